#!/usr/bin/env bash
# The test command of the README and of CI: set-up, formatting, lints, and every test of the workspace against
# SQLite and (when a server is reachable on 127.0.0.1:5432) PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# PostgreSQL: use KYCD_TEST_POSTGRES_URL when given; else the local server (user postgres, trust auth), started if
# it is installed but stopped. Tests create one scratch database each (kycd_t_*), dropped here before and after.
if [[ -z "${KYCD_TEST_POSTGRES_URL:-}" ]]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null 2>&1; then
    for v in $(ls /etc/postgresql 2>/dev/null); do pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
    sleep 2
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kycd_ci'" | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE kycd_ci"
    export KYCD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/kycd_ci"
  else
    echo "test: no PostgreSQL on 127.0.0.1:5432 — PostgreSQL runs will be skipped" >&2
  fi
fi
drop_scratch() {
  [[ -n "${KYCD_TEST_POSTGRES_URL:-}" ]] || return 0
  psql "$KYCD_TEST_POSTGRES_URL" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'kycd_t_%'" 2>/dev/null \
    | while read -r db; do [[ -n "$db" ]] && psql "$KYCD_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db" || true; done
}
# S3: an S3-compatible server on loopback (moto, installed by setup.sh) for the S3 tests, unless one is given.
S3_PID=""
if [[ -z "${KYCD_TEST_S3_ENDPOINT:-}" ]]; then
  s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m moto.server -H 127.0.0.1 -p "$s3_port" >"${TMPDIR:-/tmp}/kycd-test-s3.log" 2>&1 &
  S3_PID=$!
  python3 - "$s3_port" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/kycd-test"
for _ in range(100):
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="PUT"), timeout=2)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("test: the S3 test server did not start")
PY
  export KYCD_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port" KYCD_TEST_S3_BUCKET="kycd-test"
fi
cleanup() {
  drop_scratch
  [[ -n "$S3_PID" ]] && kill "$S3_PID" 2>/dev/null || true
}
drop_scratch
trap cleanup EXIT

export KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$PWD/models}"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --no-fail-fast
