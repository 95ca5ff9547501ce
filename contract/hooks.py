"""Schemathesis hooks for Confab's contract run (loaded through `hooks` in schemathesis.toml).

Authentication comes from here, not from a static `-H "Authorization: Bearer ..."`:
`POST /api/v1/auth/logout` revokes the session whose token it is called with, and schemathesis
calls it many times. With one static header (which also wins over any auth hook) the first
logout revokes the token of every other operation and the rest of the run sees only 401
(`session_revoked`).

So: every operation but those that end sessions uses one cached session of the user run.sh
registered (CONFAB_ST_URL, CONFAB_ST_USERNAME, CONFAB_ST_PASSWORD). Logout, "log out everywhere",
ending a session and changing the password log in afresh for every case as run.sh's second user
(`<username>_b`), so they can only ever end that user's sessions. Neither re-logs in on a 401 (`retry_on=[]`): a 401 to a valid
token must stay visible to the checks. Schemathesis still removes or corrupts the header itself
for its auth checks (`ignored_auth`, negative security cases).
"""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.request

import schemathesis

SESSION_ENDERS = [
    {"method": "POST", "path": "/api/v1/auth/logout"},
    {"method": "DELETE", "path": "/api/v1/sessions"},
    {"method": "DELETE", "path": "/api/v1/sessions/{session_id}"},
    {"method": "PUT", "path": "/api/v1/me/password"},
]


def _login(username: str | None = None) -> str:
    base_url = os.environ["CONFAB_ST_URL"]
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api/v1/auth/login",
        data=json.dumps(
            {"username": username or os.environ["CONFAB_ST_USERNAME"], "password": os.environ["CONFAB_ST_PASSWORD"]}
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


def _set_bearer(case, token: str) -> None:
    case.headers = case.headers or {}
    case.headers["Authorization"] = f"Bearer {token}"


# Access tokens live 900 s by default: re-login every 300 s.
shared = schemathesis.auth(refresh_interval=300, retry_on=[])
for operation in SESSION_ENDERS:
    shared = shared.skip_for(**operation)


@shared
class SharedSession:
    def get(self, case, context):
        return _login()

    def set(self, case, data, context):
        _set_bearer(case, data)


fresh = schemathesis.auth(refresh_interval=None, retry_on=[])
for operation in SESSION_ENDERS:
    fresh = fresh.apply_to(**operation)


# No caching: a new session of the second user for every case that may end sessions.
@fresh
class FreshSessionOfSecondUser:
    def get(self, case, context):
        return _login(os.environ["CONFAB_ST_USERNAME"] + "_b")

    def set(self, case, data, context):
        _set_bearer(case, data)


CHANGE_PASSWORD = ("PUT", "/api/v1/me/password")


@schemathesis.hook
def map_body(ctx, body):
    """Lets some `PUT /me/password` cases give the right current password, so the operation's
    success path (204) runs too, not only 403. Only bodies that are valid already are touched
    (so no negative case turns positive), and the new password is the old one again, so the
    second user can still log in. Which valid bodies: those whose generated new password has an
    even length, so both outcomes keep being generated."""
    operation = ctx.operation
    if operation is not None and (operation.method.upper(), operation.path) == CREATE_DM:
        return _known_people(body)
    if operation is not None and (operation.method.upper(), operation.path) == SUBSCRIBE_PUSH:
        return _real_keys(body)
    if operation is not None and (operation.method.upper(), operation.path) == RESET_PASSWORD:
        return _live_reset(body)
    if operation is not None and (operation.method.upper(), operation.path) == SET_AVATAR:
        return AVATAR_PNG
    if operation is not None and (operation.method.upper(), operation.path) == HOOK_POST:
        return _something_to_post(body)
    if operation is None or (operation.method.upper(), operation.path) != CHANGE_PASSWORD:
        return body
    valid = (
        isinstance(body, dict)
        and set(body) == {"current_password", "new_password"}
        and all(isinstance(value, str) for value in body.values())
        and 8 <= len(body["new_password"]) <= 128
    )
    if valid and len(body["new_password"]) % 2 == 0:
        password = os.environ["CONFAB_ST_PASSWORD"]
        return {"current_password": password, "new_password": password}
    return body


CREATE_DM = ("POST", "/api/v1/dms")


def _known_people(body):
    """Lets some `POST /dms` cases name users who exist (random ids almost never do, and a list of
    them even less), so the success paths (201, then 200) run too. Only valid bodies are touched,
    and only those whose first id is even, so 404 keeps being generated; each id becomes one of
    the seeded users (the caller among them is fine: it counts once)."""
    people = [int(v) for v in os.environ["CONFAB_ST_USER_IDS"].split(",")]
    known = lambda v: people[v % len(people)]
    int64 = lambda v: type(v) is int and -(2**63) <= v < 2**63
    if isinstance(body, dict) and set(body) == {"user_id"} and int64(body["user_id"]):
        return {"user_id": known(body["user_id"])} if body["user_id"] % 2 == 0 else body
    ids = body.get("user_ids") if isinstance(body, dict) and set(body) == {"user_ids"} else None
    if isinstance(ids, list) and 1 <= len(ids) <= 8 and all(map(int64, ids)) and ids[0] % 2 == 0:
        return {"user_ids": [known(v) for v in ids]}
    return body


SUBSCRIBE_PUSH = ("POST", "/api/v1/push/subscriptions")
# A P-256 public key and an auth secret made for this run's fixtures (openssl): random strings of
# the schema's shape are almost never a point of the curve, so without them only 400 would run.
PUSH_KEYS = {"p256dh": "BLwsaw8beXIjnpoGeplj_bFrLe7ETw_B5wC8OArh05J3hSRm7qlhjJjiDUCR4itdFNThv_MY-UqIZKiiJim063U",
             "auth": "wPBSuicv4UZ9Q4SUMRVDfQ"}


def _real_keys(body):
    """Gives schema-valid `POST /push/subscriptions` bodies a real key pair, and an endpoint on a
    host that never resolves (`.invalid`), so the success path (201) runs and nothing is ever
    posted anywhere. Invalid bodies are left as they are (their 400 stays)."""
    keys = body.get("keys") if isinstance(body, dict) else None
    matches = lambda pattern, value: isinstance(value, str) and re.fullmatch(pattern, value) is not None
    valid = (
        isinstance(keys, dict)
        and set(body) == {"endpoint", "keys"}
        and set(keys) == {"p256dh", "auth"}
        and matches(r"[A-Za-z0-9_-]{87}=?", keys["p256dh"])
        and matches(r"[A-Za-z0-9_-]{22}(==)?", keys["auth"])
        and matches(r"https://[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*)*(:[0-9]{1,4})?(/\S*)?", body["endpoint"])
        and len(body["endpoint"]) <= 2048
    )
    if valid:
        return {"endpoint": "https://push.invalid/" + str(abs(hash(body["endpoint"]))), "keys": dict(PUSH_KEYS)}
    return body


SET_AVATAR = ("PUT", "/api/v1/me/avatar")
# `PUT /me/avatar` takes any `image/*` bytes the schema allows, but only an image the server can
# read is one (random bytes are a 400 that no schema can say): every case sends this 2 × 2 PNG.
AVATAR_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4YWMDRAwQCgAlPgUBdJmUYAAAAABJRU5ErkJggg=="
)


RESET_PASSWORD = ("POST", "/api/v1/auth/password-reset")
_third = []


def _live_reset(body):
    """Lets some valid `POST /auth/password-reset` bodies carry the token of a real link (made
    by run.sh's user, the server's admin, for a third account of the run's, `<username>_c`, that
    nothing else uses), so the success path (204) runs, not only 404. Only valid bodies are
    touched, and only those whose password has an even length, so unknown tokens keep being
    tried too."""
    valid = (
        isinstance(body, dict)
        and set(body) == {"token", "password"}
        and all(isinstance(value, str) for value in body.values())
        and len(body["token"]) <= 64
        and 8 <= len(body["password"]) <= 128
    )
    if not valid or len(body["password"]) % 2 == 1:
        return body
    token = _login()
    try:
        if not _third:
            name = os.environ["CONFAB_ST_USERNAME"] + "_c"
            credentials = {"username": name, "password": os.environ["CONFAB_ST_PASSWORD"]}
            _third.append(_call("POST", "/api/v1/auth/register", token, credentials)["user"]["id"])
        link = _call("POST", f"/api/v1/admin/users/{_third[0]}/password-reset", token)
    except urllib.error.HTTPError:
        return body
    return {"token": link["url"].rsplit("/", 1)[-1], "password": body["password"]}


UPDATE_USER = ("PATCH", "/api/v1/admin/users/{user_id}")
END_SESSION = ("DELETE", "/api/v1/sessions/{session_id}")
REACTION = "/api/v1/rooms/{room_id}/messages/{message_id}/reactions/{emoji}"
DELETE_MESSAGE = ("DELETE", "/api/v1/rooms/{room_id}/messages/{message_id}")
REMOVE_MEMBER = ("DELETE", "/api/v1/rooms/{room_id}/members/{user_id}")
GET_AVATAR = ("GET", "/api/v1/users/{user_id}/avatar")
PUT_DRAFT = ("PUT", "/api/v1/rooms/{room_id}/draft")
HOOK_POST = ("POST", "/hooks/{token}")
WEBHOOK = "/api/v1/rooms/{room_id}/webhooks/{webhook_id}"
EDIT_MESSAGE = ("PATCH", "/api/v1/rooms/{room_id}/messages/{message_id}")
BOT = "/api/v1/bots/{user_id}"


def _odd_id(path_parameters, name: str) -> bool:
    """Whether the path parameter is a valid id (a whole number from 0 to 2^63 - 1) that is odd:
    the half of the valid cases a hook may point at real data (the rest stay random)."""
    value = (path_parameters or {}).get(name)
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63 and value % 2 == 1


def _new_bot(path_parameters):
    """Lets half the valid `DELETE /bots/{user_id}` and `POST /bots/{user_id}/token` cases (odd
    ids) name a new bot, made by run.sh's user (the server's admin), so they reach their success
    paths (204, 200), not only 404 for random ids."""
    if not _odd_id(path_parameters, "user_id"):
        return path_parameters
    _bots[0] += 1
    try:
        bot = _call("POST", "/api/v1/bots", _login(), {"username": f"bot{_bots[0]}-{os.getpid()}"})
    except urllib.error.HTTPError:
        return path_parameters
    path_parameters["user_id"] = bot["user"]["id"]
    return path_parameters


_bots = [0]


def _new_webhook() -> dict:
    """A new incoming webhook of the run's reaction room (owned by run.sh's user)."""
    token = _login()
    return _call("POST", f"/api/v1/rooms/{_reaction_room(token)}/webhooks", token, {"name": "contract"})


def _live_hook_token(path_parameters):
    """Lets every `POST /hooks/{token}` case with a token of the schema's shape (`cfh_…`) name a
    real webhook's token, so posts reach the writer (200). Splitting them by chance between real
    and random tokens failed the run now and then: a small fuzzing scenario whose only positive
    case drew a random token got only 404 ("missing test data"). Unknown tokens still get
    tried (the negative cases), and tests/api/webhooks.rs checks their 404. A new webhook every
    20 uses: other cases rotate and delete webhooks."""
    value = (path_parameters or {}).get("token")
    if not (isinstance(value, str) and value.startswith("cfh_")):
        return path_parameters
    if _hook_uses[0] % 20 == 0:
        try:
            _hook_urls.append(_new_webhook()["url"])
        except urllib.error.HTTPError:
            return path_parameters
    _hook_uses[0] += 1
    if _hook_urls:
        path_parameters["token"] = _hook_urls[-1].rsplit("/", 1)[-1]
    return path_parameters


def _something_to_post(body):
    """Gives every `POST /hooks/{token}` body with neither `text` nor `body` a text, so it has
    something to post: a Slack payload of only a username, colours or unknown fields shows
    nothing, and the server refuses it (valid by the schema, which cannot say what mrkdwn shows;
    tests/api/webhooks.rs checks that refusal). Left to chance, such a body was sometimes the only
    positive case of a small fuzzing scenario, and its 400 failed the run as a schema mismatch.
    Adding a text never makes an invalid body valid: a field of the wrong type stays wrong."""
    if isinstance(body, dict) and "text" not in body and "body" not in body:
        return {**body, "text": "posted by the contract run"}
    return body


_hook_urls: list[str] = []
_hook_uses = [0]


def _real_webhook(path_parameters):
    """Lets half the valid rotate and delete cases (odd webhook ids) name a new webhook of the
    reaction room, so they reach their success paths (200, 204), not only 404."""
    if not _odd_id(path_parameters, "webhook_id"):
        return path_parameters
    try:
        hook = _new_webhook()
    except urllib.error.HTTPError:
        return path_parameters
    path_parameters["room_id"], path_parameters["webhook_id"] = hook["room_id"], hook["id"]
    return path_parameters


def _undrafted_room(path_parameters):
    """Lets half the valid `PUT /rooms/{room_id}/draft` cases (odd room ids) name a new room of
    run.sh's user, whose draft has never changed, so a body with `base_seq` 0 (a boundary
    schemathesis tries often) is stored (200); other bases still meet 409 with the newer draft,
    and random rooms 403 or 404."""
    if not _odd_id(path_parameters, "room_id"):
        return path_parameters
    _drafted_rooms[0] += 1
    name = f"{os.environ['CONFAB_ST_USERNAME']}-drafts-{_drafted_rooms[0]}"
    try:
        path_parameters["room_id"] = _call("POST", "/api/v1/rooms", _login(), {"name": name})["id"]
    except urllib.error.HTTPError:
        pass
    return path_parameters


_drafted_rooms = [0]


def _own_avatar(path_parameters):
    """Lets half the valid `GET /users/{user_id}/avatar` cases (odd ids) name run.sh's user after
    giving it an avatar (other cases remove it), so the image itself is served and checked, not
    only 404 for users without one."""
    if not _odd_id(path_parameters, "user_id"):
        return path_parameters
    try:
        user = _call("PUT", "/api/v1/me/avatar", _login(), raw=AVATAR_PNG)
    except urllib.error.HTTPError:
        return path_parameters
    path_parameters["user_id"] = user["id"]
    return path_parameters


def _removable_member(path_parameters):
    """Lets half the valid `DELETE /rooms/{room_id}/members/{user_id}` cases (odd user ids)
    remove a real member: run.sh's second user, added first to the run's reaction room (which
    run.sh's user owns), so the success path (204) runs, not only 403 and 404 for random pairs."""
    if not _odd_id(path_parameters, "user_id"):
        return path_parameters
    token = _login()
    second = int(os.environ["CONFAB_ST_USER_IDS"].split(",")[1])
    try:
        room = _reaction_room(token)
        _call("PUT", f"/api/v1/rooms/{room}/members/{second}", token)
    except urllib.error.HTTPError:
        return path_parameters
    path_parameters["room_id"], path_parameters["user_id"] = room, second
    return path_parameters


def _call(method: str, path: str, token: str, body: dict | None = None, raw: bytes | None = None):
    request = urllib.request.Request(
        os.environ["CONFAB_ST_URL"].rstrip("/") + path,
        data=raw if raw is not None else json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "image/png" if raw is not None else "application/json", "Authorization": f"Bearer {token}"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def _seeded_message(path_parameters):
    """Lets some reaction cases name a real message in its own room, so PUT and DELETE reach
    their success path (204), not only 404 for random pairs: a new message in run.sh's room for
    reactions (joined again first, in case another operation left it). Other operations can
    leave rooms and delete messages, so seeding them once would not last the run. Only pairs of
    valid ids (whole numbers from 0 to 2^63 - 1) are replaced, so a negative case stays negative (unknown messages are the
    black-box tests' business: backend/tests/api/reactions.rs)."""
    whole = lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63
    value = (path_parameters or {}).get("message_id")
    if whole(value) and whole(path_parameters.get("room_id")):
        token = _login()
        try:
            room = _reaction_room(token)
            message = _call("POST", f"/api/v1/rooms/{room}/messages", token, {"body": "react to me"})
        except urllib.error.HTTPError:
            return path_parameters  # keep the random pair
        path_parameters["room_id"], path_parameters["message_id"] = room, message["id"]
    return path_parameters


_reaction_rooms = [int(os.environ.get("CONFAB_ST_REACTION_ROOM", "0"))]


def _reaction_room(token: str) -> int:
    """The room for reaction cases, joined: run.sh's, or a new one once another case deleted it
    (the stateful phase deletes rooms whose ids it saw)."""
    try:
        _call("PUT", f"/api/v1/rooms/{_reaction_rooms[-1]}/members/me", token)
    except urllib.error.HTTPError as refused:
        if refused.code != 404:
            raise
        name = f"{os.environ['CONFAB_ST_USERNAME']}-reactions-{len(_reaction_rooms)}"
        _reaction_rooms.append(_call("POST", "/api/v1/rooms", token, {"name": name})["id"])
    return _reaction_rooms[-1]


def _session_id(token: str) -> int:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"]


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    """Lets some `DELETE /sessions/{session_id}` cases name a real session of the second user
    (a new one, made by logging in), so the operation's success path (204) runs, not only 404
    for random ids. Only whole-number ids are replaced (a negative case stays negative), and
    only odd ones, so unknown ids keep being tried too."""
    operation = ctx.operation
    if operation is not None and operation.path == REACTION:
        return _seeded_message(path_parameters)
    if operation is not None and (operation.method.upper(), operation.path) == GET_AVATAR:
        return _own_avatar(path_parameters)
    if operation is not None and (operation.method.upper(), operation.path) == REMOVE_MEMBER:
        return _removable_member(path_parameters)
    if operation is not None and (operation.method.upper(), operation.path) == PUT_DRAFT:
        return _undrafted_room(path_parameters)
    if operation is not None and (operation.method.upper(), operation.path) == HOOK_POST:
        return _live_hook_token(path_parameters)
    if operation is not None and operation.path.startswith(WEBHOOK):
        return _real_webhook(path_parameters)
    if operation is not None and operation.path.startswith(BOT):
        return _new_bot(path_parameters)
    if operation is not None and (operation.method.upper(), operation.path) in (DELETE_MESSAGE, EDIT_MESSAGE):
        # Half the valid cases edit or delete a real message of the run's user (200, 204), the
        # rest stay random (404); random pairs alone seldom reach past 404 and 403.
        if _odd_id(path_parameters, "message_id"):
            return _seeded_message(path_parameters)
        return path_parameters
    if operation is not None and (operation.method.upper(), operation.path) == UPDATE_USER:
        # The run's own accounts are never demoted or deactivated (it would lock the run out);
        # any other id, existing or not, is fair game.
        seeded = {int(v) for v in os.environ["CONFAB_ST_USER_IDS"].split(",")}
        if (path_parameters or {}).get("user_id") in seeded:
            path_parameters["user_id"] = 2**62
        return path_parameters
    if operation is None or (operation.method.upper(), operation.path) != END_SESSION:
        return path_parameters
    if _odd_id(path_parameters, "session_id"):
        token = _login(os.environ["CONFAB_ST_USERNAME"] + "_b")
        path_parameters["session_id"] = _session_id(token)
    return path_parameters


@schemathesis.deserializer("image/*")
def deserialize_image(ctx, response):
    """Images are documented as bytes (`type: string, format: binary`): the checks see them as a
    string. A thumbnail, which the server makes, is also checked to be the JPEG or PNG its header
    says; a download is whatever was uploaded (its type sniffed from a few bytes), so it is not."""
    content = response.content
    if ctx.operation.path != "/api/v1/files/{file_id}/thumbnail":
        return content.decode("latin-1")
    media_type = response.headers.get("content-type", [""])
    media_type = (media_type[0] if isinstance(media_type, list) else media_type).split(";")[0].strip()
    signatures = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
    if not content.startswith(signatures.get(media_type, b"\0")):
        raise ValueError(f"a {media_type} thumbnail that does not start like one")
    return content.decode("latin-1")
