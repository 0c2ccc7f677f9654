#!/usr/bin/env bash
# Face evaluation (issue 5) in release mode: TAR@FAR 0.1 %, ROC, detection recall, multi-face,
# quality gates, synthetic document portraits, real document portraits, latency.
# Needs the models (scripts/setup.sh). Results: bench/face/out/<tag>/{summary.json,roc_*.csv,images.csv}.
#   bench/face/eval.sh            # default configuration + ablations
#   bench/face/eval.sh --quick    # default configuration, subset of the extra experiments → out/quick
set -euo pipefail
cd "$(dirname "$0")/../.."
export KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$PWD/models}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# dlib's network calls BLAS; with several builds/requests sharing the cores, one BLAS thread
# per worker is faster and gives stable timings.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
cargo build --release -p kycd-face --example face_eval
BIN="$CARGO_TARGET_DIR/release/examples/face_eval"
if [[ "${1:-}" == "--quick" ]]; then
  "$BIN" --tag quick --quick > /dev/null
  cat bench/face/out/quick/summary.json
  exit 0
fi
"$BIN" --tag default > /dev/null
# ablations (detection + verification only)
"$BIN" --core-only --tag ablation-fullsize-hog --det-side 100000 --max-upscale 1 --max-detect-side 100000 --decode-min 0 > /dev/null
"$BIN" --core-only --tag ablation-det640 --det-side 640,1280 > /dev/null
"$BIN" --core-only --tag ablation-det320 --det-side 320,640 > /dev/null
"$BIN" --core-only --tag ablation-jitter5 --jitters 5 > /dev/null
"$BIN" --core-only --tag ablation-chip150 --embed-side 150 > /dev/null
python3 - <<'PY'
import json, glob, os
print(f"{'config':28} {'found':>5} {'TAR@FAR0.1% all':>16} {'thr':>6} {'TAR@FAR0.1% base':>17} {'thr':>6} {'cpu p50':>8} {'wall p50':>9} {'wall p95':>9}")
for p in sorted(glob.glob("bench/face/out/*/summary.json")):
    s = json.load(open(p)); tag = os.path.basename(os.path.dirname(p))
    if "pairs_all_rule" not in s or "config" not in s: continue
    a, b, l, d = s["pairs_all_rule"], s["pairs_baseline_protocol"], s["latency_ms"], s["detection"]
    print(f"{tag:28} {d['face_found']:>5} {a['tar_at_far_0.1pct']*100:>15.2f}% {a['threshold_at_far_0.1pct']:>6.3f} "
          f"{b['tar_at_far_0.1pct']*100:>16.2f}% {b['threshold_at_far_0.1pct']:>6.3f} {l['per_image_cpu_p50']:>8.1f} "
          f"{l['per_image_p50']:>9.1f} {l['per_image_p95']:>9.1f}")
PY
