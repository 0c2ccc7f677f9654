#!/usr/bin/env bash
# HTTP fuzz run: schemathesis against the OpenAPI document served by a real `kycd serve`.
#
# Usage: bench/http_fuzz.sh [KYCD_BIN]
#   KYCD_BIN            kycd binary (default: $CARGO_TARGET_DIR or target/, release if built, else debug)
#   KYCD_MODELS_DIR     models (default: <repo>/models, installed by scripts/setup.sh)
#   FUZZ_REQUESTS       minimum number of requests the server must answer (default 10000)
#   FUZZ_MAX_EXAMPLES   schemathesis --max-examples per operation and round (default 300)
#   FUZZ_WORKERS        schemathesis --workers (default 2)
#   FUZZ_CHECKS         schemathesis --checks (default not_a_server_error; e.g. add status_code_conformance,
#                       content_type_conformance,response_headers_conformance,response_schema_conformance)
#   SCHEMATHESIS        the schemathesis command (default: `schemathesis`; `pip install schemathesis`)
#   FUZZ_KEEP_LOGS=1    keep the data dir and the server and schemathesis logs (always kept on failure)
#
# Starts the server on a free loopback port with a temporary data dir and a high rate limit, creates a
# direct-processing partner, then runs schemathesis rounds (new seed each round, every phase, positive and
# negative cases, HTTP Basic auth) until the server has answered FUZZ_REQUESTS requests. The request and 5xx
# counts come from the server's own `kycd_http_request_duration_seconds` counters (/metrics), so every request
# schemathesis sent is counted, whatever it reports itself. Fails when any response was 5xx, when a schemathesis
# check (`not_a_server_error` by default, FUZZ_CHECKS) failed, or when the server died; prints the peak RSS
# (VmHWM) at the end.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
bin="${1:-${KYCD_BIN:-}}"
if [[ -z "$bin" ]]; then
    if [[ -x "$target/release/kycd" ]]; then bin="$target/release/kycd"; else bin="$target/debug/kycd"; fi
fi
[[ -x "$bin" ]] || { echo "no kycd binary at $bin (cargo build -p kycd)" >&2; exit 2; }
want="${FUZZ_REQUESTS:-10000}"
max_examples="${FUZZ_MAX_EXAMPLES:-300}"
workers="${FUZZ_WORKERS:-2}"
checks="${FUZZ_CHECKS:-not_a_server_error}"
st="${SCHEMATHESIS:-schemathesis}"
st="$(command -v "$st")" || { echo "schemathesis not found (pip install schemathesis)" >&2; exit 2; }

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export KYCD_DATA_DIR="$work/data"
export KYCD_BIND="127.0.0.1:$port"
export KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$repo/models}"
export KYCD_RATE_LIMIT_RPS=1000000 KYCD_RATE_LIMIT_BURST=1000000
export KYCD_LOG_FORMAT=json KYCD_LOG="${KYCD_LOG:-warn}"
unset KYCD_DATABASE_URL
base="http://127.0.0.1:$port"

partner="$("$bin" partner create --name fuzz --direct-processing)"
api_key="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])' <<<"$partner")"
api_secret="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["apiSecret"])' <<<"$partner")"

"$bin" serve >"$work/server.out" 2>"$work/server.err" &
pid=$!
hwm_file="$work/hwm"
echo 0 >"$hwm_file"
keep="${FUZZ_KEEP_LOGS:-0}"
cleanup() {
    [[ -n "${sampler:-}" ]] && kill "$sampler" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if (( keep )); then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

for _ in $(seq 1 300); do
    grep -q "kycd listening on" "$work/server.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "server exited at start:" >&2; cat "$work/server.err" >&2; exit 1; }
    sleep 0.1
done
grep -q "kycd listening on" "$work/server.out" || { echo "server did not start" >&2; exit 1; }

# Peak resident set size, sampled from the kernel's high-water mark.
(
    while kill -0 "$pid" 2>/dev/null; do
        awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" >"$hwm_file.tmp" 2>/dev/null && mv "$hwm_file.tmp" "$hwm_file"
        sleep 1
    done
) &
sampler=$!

# Requests answered so far, and how many were 5xx, from the server's latency histogram counters.
counts() {
    curl -sf "$base/metrics" | awk '
        /^kycd_http_request_duration_seconds_count\{/ {
            n += $NF
            if (match($0, /status="5[0-9][0-9]"/)) e += $NF
        }
        END { printf "%d %d\n", n, e }'
}

round=0
st_failed=0
start=$(date +%s)
while :; do
    read -r total fivexx < <(counts)
    (( total >= want )) && break
    round=$((round + 1))
    echo "== round $round: $total requests so far"
    # Run from the scratch dir: schemathesis keeps state in ./.schemathesis.
    if ! (cd "$work" && "$st" run "$base/api/openapi.json" \
        --url "$base" \
        --auth "$api_key:$api_secret" \
        --checks "$checks" \
        --mode all \
        --max-examples "$max_examples" \
        --seed "$round" \
        --workers "$workers" \
        --request-timeout 30 \
        --suppress-health-check all \
        --generation-database none \
        --no-color) >"$work/round-$round.log" 2>&1; then
        st_failed=$((st_failed + 1))
        echo "schemathesis reported failures in round $round:"
        sed -n '/= FAILURES =/,/= SUMMARY =/p' "$work/round-$round.log" | head -80
    fi
    tail -n 6 "$work/round-$round.log"
    kill -0 "$pid" 2>/dev/null || break
    (( round >= 200 )) && break
done
elapsed=$(( $(date +%s) - start ))

alive=1
kill -0 "$pid" 2>/dev/null || alive=0
read -r total fivexx < <(counts || echo "0 0")
panics=$(grep -c "panicked" "$work/server.err" || true)
hwm_kb=$(cat "$hwm_file")
echo
echo "== http fuzz summary"
echo "binary:              $bin"
echo "schemathesis rounds: $round ($elapsed s)"
echo "requests answered:   $total"
echo "5xx responses:       $fivexx"
echo "checks:              $checks"
echo "rounds with failed checks: $st_failed"
echo "server alive at end: $alive (panics logged: $panics)"
echo "peak RSS (VmHWM):    $((hwm_kb / 1024)) MiB ($hwm_kb kB)"
echo "responses by status:"
curl -sf "$base/metrics" | awk '
    /^kycd_http_request_duration_seconds_count\{/ {
        match($0, /status="[0-9]+"/); s = substr($0, RSTART + 8, 3); c[s] += $NF
    }
    END { for (s in c) printf "  %s %d\n", s, c[s] }' | sort || true
if (( alive == 0 || fivexx > 0 || st_failed > 0 || panics > 0 || total < want )); then
    echo "FAIL" >&2
    [[ -s "$work/server.err" ]] && tail -n 40 "$work/server.err" >&2
    keep=1
    exit 1
fi
echo "OK"
