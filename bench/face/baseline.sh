#!/usr/bin/env bash
# Side-by-side baseline: the Python `face_recognition` package (PyPI) with dlib from PyPI,
# same dlib models, HOG at full image size (its default), on the same data and pair protocol as
# bench/face/eval.sh. dlib has no binary wheel for CPython 3.11 on PyPI: `pip install dlib`
# compiles it (cmake from PyPI, ~15-30 min on 2 cores). The venv is kept in bench/face/.venv.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
fi
if ! $VENV/bin/python -c "import face_recognition" 2>/dev/null; then
  $VENV/bin/pip install --quiet "numpy<2" "Pillow" "cmake" "Click>=6.0"
  $VENV/bin/pip install --quiet "dlib==20.0.1"
  # the models package: the pinned sdist fetched by scripts/models/face.sh if present
  SDIST=../../vendor/face_recognition_models-0.3.0.tar.gz
  if [[ -f $SDIST ]]; then
    echo "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf  $SDIST" | sha256sum -c --quiet -
    $VENV/bin/pip install --quiet --no-deps "$SDIST"
  else
    $VENV/bin/pip install --quiet --no-deps "face_recognition_models==0.3.0"
  fi
  $VENV/bin/pip install --quiet --no-deps "face_recognition==1.3.0"
fi
OPENBLAS_NUM_THREADS=1 $VENV/bin/python baseline.py
