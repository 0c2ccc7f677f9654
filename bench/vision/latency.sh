#!/usr/bin/env bash
# kycd-vision latency per document on the shared set (release build): decode → MRZ fields and
# decode → full reading, p50/p95. Needs the models (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$PWD/models}"
cargo run --quiet --release -p kycd-vision --example latency
