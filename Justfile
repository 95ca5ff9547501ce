# Confab tasks. `just --list` shows them.
set shell := ["bash", "-euo", "pipefail", "-c"]

# Build the web app (trunk) into frontend/dist.
web:
    cd frontend && trunk build --release

# Build the web app and run the server on the embedded default (SQLite in ./data).
run *ARGS: web
    cargo run --release -p confab -- serve {{ARGS}}

# Every test suite: Rust (unit + black-box on SQLite and PostgreSQL, several nodes on PostgreSQL + Redis),
# the API contract (schemathesis), the web app's unit tests, and the browser tests in Chromium.
test: web
    cargo test --workspace --locked
    just contract
    just frontend-test
    just e2e

# Contract tests: schemathesis against a live server and openapi.yaml, warnings failing the run
# (see contract/README.md). ST_MAX_TIME sets the budget in seconds.
contract:
    cargo build -p confab --locked
    ST_MAX_TIME="${ST_MAX_TIME:-240}" bash contract/run.sh target/debug/confab

# The web app's pure modules, with node --test.
frontend-test:
    cd frontend && npm ci --no-audit --no-fund --silent && npm test

# Browser tests: playwright-core driving Debian's Chromium against a real confab.
e2e: web
    cargo build -p confab --locked
    cd frontend && npm ci --no-audit --no-fund --silent && npm run e2e

# rustfmt check and clippy with warnings denied.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Regenerate openapi.yaml from the code.
openapi:
    cargo run -q -p confab -- openapi > openapi.yaml

# Load scenarios against a fresh release server (see docs/benchmarks.md); one JSON line per run.
bench *ARGS:
    cargo build --release -p confab -p confab-bench --locked
    ./target/release/confab-bench {{ARGS}}
