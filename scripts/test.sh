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
drop_scratch
trap drop_scratch EXIT

export KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$PWD/models}"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --no-fail-fast
