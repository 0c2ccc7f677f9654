#!/usr/bin/env bash
# Accuracy gates in release mode (the same tests CI runs in debug): UN positives recall,
# negatives alerts per 1,000, nomenklatura pairs precision/recall, cross-script pairs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target-aml}"
cd "$ROOT"
cargo test --release -p kycd-aml --test aml accuracy:: -- --nocapture --test-threads 1 2>&1 | grep -vE "^\s+(Compiling|Running)"
