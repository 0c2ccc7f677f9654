#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ for a fixed time each and prints, per target, the executions, exec/s and
# crashes found.
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]      # default: 60 s each, every target
#
# Targets: mrz_parse, process_body, image_decode, pdf_inspect (see fuzz/README.md).
#
# Environment:
#   FUZZ_SANITIZER   cargo-fuzz sanitizer: address (default) or none (faster, no ASan / malloc limit)
#   KYCD_DATA        shared data folder for the seeds (default: ../shared/data next to the repository)
#   FUZZ_NICE        niceness of the build and the fuzzers (default 15; the machine is shared)
#   FUZZ_TIMEOUT     seconds one input may take before libFuzzer reports a timeout (default 10)
#   FUZZ_RSS_MB      RSS limit in MiB (default 2048); FUZZ_MALLOC_MB: largest single allocation (default 512)
#
# Only the stable toolchain is needed: cargo-fuzz's nightly-only flags (-Zsanitizer=address, sanitizer coverage)
# are accepted with RUSTC_BOOTSTRAP=1. Seeds are generated at run time from the shared data into fuzz/corpus/<target>
# (gitignored, kept between runs so findings accumulate); crashes go to fuzz/artifacts/<target>/, logs to
# fuzz/target/fuzz-logs/. After a crash the target is restarted until its time is used up, so the crash count is
# the number of crashing inputs written. Exit status: 0 when no target crashed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=60
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  secs=$1
  shift
fi
all=(mrz_parse process_body image_decode pdf_inspect)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "unknown target: $t (known: ${all[*]})" >&2; exit 2; }
done

sanitizer=${FUZZ_SANITIZER:-address}
data=${KYCD_DATA:-$root/../shared/data}
nice=(nice -n "${FUZZ_NICE:-15}")
timeout_s=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
malloc_mb=${FUZZ_MALLOC_MB:-512}
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
  exit 2
fi

cd "$root/fuzz"
logs=target/fuzz-logs
mkdir -p "$logs" corpus

echo "== build (sanitizer: $sanitizer)"
if [[ ${#targets[@]} -eq ${#all[@]} ]]; then
  "${nice[@]}" cargo fuzz build --sanitizer "$sanitizer"
else
  for t in "${targets[@]}"; do "${nice[@]}" cargo fuzz build --sanitizer "$sanitizer" "$t"; done
fi

echo "== seeds from $data"
if [[ -d $data ]]; then
  "${nice[@]}" python3 make_seeds.py "$data" corpus "${targets[@]}"
else
  echo "warning: $data not found; running from the existing corpus only" >&2
fi

# Largest input libFuzzer makes, per target.
max_len() {
  case $1 in
    mrz_parse) echo 1024 ;;
    process_body) echo 16384 ;;
    image_decode) echo 65536 ;;
    pdf_inspect) echo 131072 ;;
  esac
}

# A libFuzzer statistic from a log (0 when absent).
fstat() { grep -a "^stat::$2:" "$1" | tail -1 | awk '{print $2}' | grep . || echo 0; }

summary=()
failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  before=$(find "artifacts/$t" -maxdepth 1 -type f | wc -l)
  execs=0
  runs=0
  start=$(date +%s)
  : >"$logs/$t.log"
  while :; do
    left=$((secs - ($(date +%s) - start)))
    [[ $left -le 0 || $runs -ge 20 ]] && break
    runs=$((runs + 1))
    echo "== $t: run $runs, ${left}s"
    set +e
    "${nice[@]}" cargo fuzz run --sanitizer "$sanitizer" "$t" "corpus/$t" -- \
      -max_total_time="$left" -max_len="$(max_len "$t")" -timeout="$timeout_s" \
      -rss_limit_mb="$rss_mb" -malloc_limit_mb="$malloc_mb" -print_final_stats=1 \
      >"$logs/$t.run.log" 2>&1
    rc=$?
    set -e
    cat "$logs/$t.run.log" >>"$logs/$t.log"
    execs=$((execs + $(fstat "$logs/$t.run.log" number_of_executed_units)))
    if [[ $rc -eq 0 ]]; then
      break
    fi
    grep -a -E "^==[0-9]+==|panicked at|Test unit written|ERROR: libFuzzer" "$logs/$t.run.log" | head -5 || true
    if ! grep -aq "Test unit written" "$logs/$t.run.log"; then
      echo "fuzzer failed without a crash input (exit $rc): see fuzz/$logs/$t.log" >&2
      failed=1
      break
    fi
  done
  elapsed=$(($(date +%s) - start))
  crashes=$(($(find "artifacts/$t" -maxdepth 1 -type f | wc -l) - before))
  [[ $crashes -gt 0 ]] && failed=1
  rate=$((execs / (elapsed > 0 ? elapsed : 1)))
  corpus=$(find "corpus/$t" -maxdepth 1 -type f | wc -l)
  peak=$(fstat "$logs/$t.run.log" peak_rss_mb)
  summary+=("$(printf '%-13s %8ss %12s %9s %8s %9s %8s' "$t" "$elapsed" "$execs" "$rate" "$crashes" "$corpus" "$peak")")
done

echo
printf '%-13s %9s %12s %9s %8s %9s %8s\n' target time executions exec/s crashes corpus rss_mb
printf '%s\n' "${summary[@]}"
echo "(crash inputs: fuzz/artifacts/<target>/; logs: fuzz/$logs/)"
exit $failed
