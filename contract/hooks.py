"""Schemathesis hooks for Confab's contract run (loaded through `hooks` in schemathesis.toml).

Authentication comes from here, not from a static `-H "Authorization: Bearer ..."`:
`POST /api/v1/auth/logout` revokes the session whose token it is called with, and schemathesis
calls it many times. With one static header (which also wins over any auth hook) the first
logout revokes the token of every other operation and the rest of the run sees only 401
(`session_revoked`).

So: every operation but logout uses one cached session of the user run.sh registered
(CONFAB_ST_URL, CONFAB_ST_USERNAME, CONFAB_ST_PASSWORD); logout logs in afresh for every case and
revokes only that new session. Neither re-logs in on a 401 (`retry_on=[]`): a 401 to a valid
token must stay visible to the checks. Schemathesis still removes or corrupts the header itself
for its auth checks (`ignored_auth`, negative security cases).
"""

from __future__ import annotations

import json
import os
import urllib.request

import schemathesis

LOGOUT = {"method": "POST", "path": "/api/v1/auth/logout"}


def _login(case) -> str:
    base_url = os.environ.get("CONFAB_ST_URL") or case.operation.schema.get_base_url()
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api/v1/auth/login",
        data=json.dumps(
            {"username": os.environ["CONFAB_ST_USERNAME"], "password": os.environ["CONFAB_ST_PASSWORD"]}
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
@schemathesis.auth(refresh_interval=300, retry_on=[]).skip_for(**LOGOUT)
class SharedSession:
    def get(self, case, context):
        return _login(case)

    def set(self, case, data, context):
        _set_bearer(case, data)


# No caching: a new session for every logout case.
@schemathesis.auth(refresh_interval=None, retry_on=[]).apply_to(**LOGOUT)
class FreshSessionForLogout:
    def get(self, case, context):
        return _login(case)

    def set(self, case, data, context):
        _set_bearer(case, data)
