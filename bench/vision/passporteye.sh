#!/usr/bin/env bash
# Side-by-side: PassportEye 2.2.2 (PyPI `passporteye`, Debian tesseract) vs kycd-vision on the shared
# documents with valid MRZ check digits. Prints MRZ found / all lines exact / p50 per image for both.
# Needs: apt tesseract-ocr (scripts/apt/vision.txt), python3 with venv; the kycd models (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="bench/out/vision"; mkdir -p "$OUT"
VENV="$OUT/pe-venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "passporteye==2.2.2"
fi
"$VENV/bin/python" - <<'PY' | tee "$OUT/passporteye.txt"
import json, time, statistics, pathlib
from passporteye import read_mrz
root = pathlib.Path("../shared/data/documents")
m = json.load(open(root / "manifest.json"))
found = exact = 0; times = []; n = 0
for f in m["files"]:
    mz = f.get("mrz") or []
    if not mz or not all(x["all_check_digits_valid"] for x in mz):
        continue
    n += 1
    t = time.time()
    r = read_mrz(str(root / f["file"]))
    times.append(time.time() - t)
    if r is not None:
        found += 1
        lines = r.aux.get("text", "").split("\n") if hasattr(r, "aux") else []
        if any(lines == x["lines"] for x in mz):
            exact += 1
print(f"passporteye: n={n} found={found} exact={exact} p50={statistics.median(times)*1000:.0f} ms")
PY
echo "kycd-vision:"
KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$PWD/models}" cargo run --quiet --release -p kycd-vision --example mrz_eval | tail -1
