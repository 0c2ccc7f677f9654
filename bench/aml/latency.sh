#!/usr/bin/env bash
# Latency benchmark: release build, one core (taskset), all placed lists loaded, padded with
# synthetic typo copies to PAD names (default 100000; the placed lists hold fewer), screening
# the 50,000-row global negatives through the batch screen function. Peak RSS via /usr/bin/time.
# Usage: bench/aml/latency.sh [PAD] [CSV]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="$ROOT/../shared/data/sanctions"
PAD="${1:-100000}"
CSV="${2:-$DATA/benchmarks/yente_negatives_global.csv}"
DIR=/tmp/kycd-aml-all
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target-aml}"
"$(dirname "$0")/import_all.sh" "$DIR" > /dev/null
BIN="$CARGO_TARGET_DIR/release/examples/aml_cli"
echo "== real names only"
taskset -c 0 "$BIN" --data-dir "$DIR" screen --batch "$CSV" | tail -2
echo "== padded to $PAD names"
/usr/bin/time -v taskset -c 0 "$BIN" --data-dir "$DIR" screen --batch "$CSV" --pad-to-names "$PAD" 2> /tmp/kycd-aml-time.txt | tail -2
echo "== padded to $PAD names, fastest of ${REPEAT:-3} passes per query (filters preemption on a shared machine)"
taskset -c 0 "$BIN" --data-dir "$DIR" screen --batch "$CSV" --pad-to-names "$PAD" --repeat "${REPEAT:-3}" | tail -2
grep -E "Maximum resident set size|Elapsed" /tmp/kycd-aml-time.txt
