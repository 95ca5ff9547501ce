#!/usr/bin/env bash
# Contract tests: run schemathesis against a freshly started Confab server and the checked-in
# OpenAPI document. Usage (from anywhere):
#
#   contract/run.sh [BINARY] [extra schemathesis run options...]
#
# BINARY defaults to target/debug/confab (relative to the repository root). The exit status is
# schemathesis's. Knobs (environment):
#   ST_SPEC          OpenAPI document to test against (default: openapi.yaml of the repo)
#   ST_MAX_EXAMPLES  cases per operation and phase (default 50)
#   ST_MAX_TIME      time budget of the whole run in seconds (default 300; fuzzing and the
#                    stateful phase repeat until it is spent)
#   ST_SEED          hypothesis seed (default: random; printed at the end of the run)
#   ST_REPORT_DIR    where JUnit and NDJSON reports go (default: contract/report)
#   ST_SERVER_LOG    server log file (default: a temp file, printed on failure)
set -euo pipefail

CONTRACT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$CONTRACT_DIR/.." && pwd)
cd "$ROOT"

BINARY=${1:-target/debug/confab}
shift || true
SPEC=${ST_SPEC:-$ROOT/openapi.yaml}
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-50}
MAX_TIME=${ST_MAX_TIME:-300}
REPORT_DIR=${ST_REPORT_DIR:-$CONTRACT_DIR/report}

if [[ ! -x "$BINARY" ]]; then
    echo "run.sh: server binary '$BINARY' not found or not executable (build it first)" >&2
    exit 2
fi

# schemathesis 4.x, installed on demand.
if ! command -v schemathesis >/dev/null 2>&1 || ! schemathesis --version 2>/dev/null | grep -q 'version 4\.'; then
    echo "run.sh: installing schemathesis 4 with pip" >&2
    python3 -m pip install --quiet 'schemathesis>=4,<5'
fi
ST_BIN=$(command -v schemathesis || true)
if [[ -z "$ST_BIN" ]]; then
    ST_BIN="python3 -m schemathesis.cli"
fi

DATA_DIR=$(mktemp -d -t confab-contract-data.XXXXXX)
SERVER_LOG=${ST_SERVER_LOG:-$(mktemp -t confab-contract-log.XXXXXX)}
SERVER_PID=

cleanup() {
    local status=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA_DIR" "${CONFIG_DIR:-}"
    if [[ -z "${ST_SERVER_LOG:-}" ]]; then
        if [[ $status -ne 0 && -s "$SERVER_LOG" ]]; then
            echo "---- last server log lines ($SERVER_LOG) ----" >&2
            tail -n 40 "$SERVER_LOG" >&2 || true
        fi
        rm -f "$SERVER_LOG"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Generous limits: the run itself would otherwise trip the rate limiters (429s everywhere).
"$BINARY" serve \
    --listen 127.0.0.1:0 \
    --data-dir "$DATA_DIR" \
    --web-dir /nonexistent \
    --log-format text \
    --register-rate-per-hour 100000 \
    --login-rate-per-minute 100000 \
    --send-rate 10000 \
    --send-burst 10000 \
    --bot-send-rate 10000 \
    --bot-send-burst 10000 \
    --webhook-allow-private \
    --refresh-rate-per-minute 100000 \
    --room-rate-per-hour 100000 \
    --upload-rate-per-minute 100000 \
    --action-rate 10000 \
    --action-burst 10000 \
    --registration open \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

# The log line is "listening on http://127.0.0.1:PORT" wrapped in ANSI colour codes.
URL=
for _ in $(seq 600); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "run.sh: the server exited before listening" >&2
        exit 1
    fi
    URL=$(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" | grep -o 'listening on http://[0-9.]*:[0-9]*' | head -n1 | sed 's/^listening on //' || true)
    if [[ -n "$URL" ]] && curl -fsS -o /dev/null --max-time 2 "$URL/healthz"; then
        break
    fi
    URL=
    sleep 0.1
done
if [[ -z "$URL" ]]; then
    echo "run.sh: the server did not answer /healthz within 60 s" >&2
    exit 1
fi
echo "run.sh: server $BINARY up at $URL (pid $SERVER_PID)" >&2

USERNAME="contract_$(date +%s)_$$"
PASSWORD="contract-password-$RANDOM$RANDOM"
REGISTER=$(curl -fsS --max-time 30 -X POST "$URL/api/v1/auth/register" \
    -H 'Content-Type: application/json' \
    -d "{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\"}")
if ! printf '%s' "$REGISTER" | python3 -c 'import json, sys; assert json.load(sys.stdin)["access_token"]'; then
    echo "run.sh: registering $USERNAME gave no access_token: $REGISTER" >&2
    exit 1
fi

# hooks.py logs in as this user: one shared session for every operation but logout, and a fresh
# session for each logout case. (No static `-H Authorization`: logout would revoke it, and a
# configured header wins over the hooks.)
export CONFAB_ST_URL="$URL" CONFAB_ST_USERNAME="$USERNAME" CONFAB_ST_PASSWORD="$PASSWORD"

# Test data schemathesis cannot make with one user: rooms the user is a member (not the last
# owner) of, so DELETE /rooms/{id}/members/me can succeed, and rooms of the user's with a second
# member, so DELETE /rooms/{id}/members/{user_id} can. Their ids are offered to schemathesis as
# dictionaries for the `room_id` and `user_id` path parameters (half of the generated values),
# in a copy of schemathesis.toml made for this run. Likewise files: an image (so the thumbnail
# has one to make) and a text file in one of the user's rooms, for `file_id`; a room of its
# own for hooks.py to post messages to for the reaction operations; and the two users' ids for
# hooks.py to put in some `POST /dms` bodies.
SEED=$(python3 - "$URL" "$USERNAME" "$PASSWORD" <<'PY'
import json, struct, sys, urllib.request, zlib

url, username, password = sys.argv[1:4]

def call(method, path, token=None, body=None, raw=None):
    headers = {"Content-Type": "application/octet-stream" if raw is not None else "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw else None

a = call("POST", "/api/v1/auth/login", body={"username": username, "password": password})
b = call("POST", "/api/v1/auth/register", body={"username": username + "_b", "password": password})
rooms = []
for i in range(5):
    room = call("POST", "/api/v1/rooms", b["access_token"], {"name": f"{username}-b{i}"})
    call("PUT", f"/api/v1/rooms/{room['id']}/members/me", a["access_token"])
    rooms.append(room["id"])
    room = call("POST", "/api/v1/rooms", a["access_token"], {"name": f"{username}-a{i}"})
    call("PUT", f"/api/v1/rooms/{room['id']}/members/me", b["access_token"])
    rooms.append(room["id"])

def png(width, height):
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes([x % 256, 80, 160]) * width for x in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

files = [
    call("POST", f"/api/v1/rooms/{rooms[1]}/files?name=seed.png", a["access_token"], raw=png(64, 48))["id"],
    call("POST", f"/api/v1/rooms/{rooms[1]}/files?name=seed.txt", a["access_token"], raw=b"seed text")["id"],
]
reactions = call("POST", "/api/v1/rooms", a["access_token"], {"name": f"{username}-reactions"})["id"]
seed = {"room_ids": rooms, "user_ids": [a["user"]["id"], b["user"]["id"]], "file_ids": files, "reaction_room": reactions}
print(json.dumps(seed))
PY
)
export CONFAB_ST_REACTION_ROOM=$(printf '%s' "$SEED" | python3 -c 'import json, sys; print(json.load(sys.stdin)["reaction_room"])')
export CONFAB_ST_USER_IDS=$(printf '%s' "$SEED" | python3 -c 'import json, sys; print(",".join(map(str, json.load(sys.stdin)["user_ids"])))')
CONFIG_DIR=$(mktemp -d -t confab-contract-config.XXXXXX)
CONFIG="$CONFIG_DIR/schemathesis.toml"
python3 - "$CONTRACT_DIR/schemathesis.toml" "$SEED" >"$CONFIG" <<'PY'
import json, sys

base, seed = open(sys.argv[1]).read(), json.loads(sys.argv[2])
print(base.rstrip("\n"))
print()
print("# Added by run.sh: ids of the test data it made.")
for name in ("room_ids", "user_ids", "file_ids"):
    print(f"[dictionaries.{name}]")
    print("values = [" + ", ".join(str(v) for v in seed[name]) + "]")
print("[parameters]")
print('"path.room_id" = { dictionary = "room_ids", probability = 0.5 }')
print('"path.user_id" = { dictionary = "user_ids", probability = 0.5 }')
print('"path.file_id" = { dictionary = "file_ids", probability = 0.5 }')
PY

mkdir -p "$REPORT_DIR"
args=(
    --config-file "$CONFIG"
    run "$SPEC"
    --url "$URL"
    --checks all
    --mode all
    --phases examples,coverage,fuzzing,stateful
    --max-examples "$MAX_EXAMPLES"
    --max-time "$MAX_TIME"
    --request-timeout 30
    --report junit,ndjson
    --report-dir "$REPORT_DIR"
    --no-color
)
if [[ -n "${ST_SEED:-}" ]]; then
    args+=(--seed "$ST_SEED")
fi

set +e
# shellcheck disable=SC2086
$ST_BIN "${args[@]}" "$@"
status=$?
set -e
echo "run.sh: schemathesis exited with $status" >&2
exit "$status"
