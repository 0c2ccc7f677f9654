#!/usr/bin/env bash
# Import every placed list into a data dir (default /tmp/kycd-aml-all) with the example CLI.
# Usage: bench/aml/import_all.sh [DATA_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="$ROOT/../shared/data/sanctions"
DIR="${1:-/tmp/kycd-aml-all}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target-aml}"
cargo build --release -q -p kycd-aml --example aml_cli
BIN="$CARGO_TARGET_DIR/release/examples/aml_cli"
rm -rf "$DIR"
"$BIN" --data-dir "$DIR" lists import --format ofac-csv "$DATA/ofac_sdn_2024/sdn.csv"
"$BIN" --data-dir "$DIR" lists import --format ofac-csv --key ofac-sdn-2021 \
  "$DATA/ofac_sdn_2021/sdn.csv" "$DATA/ofac_sdn_2021/alt.csv" "$DATA/ofac_sdn_2021/add.csv" "$DATA/ofac_sdn_2021/sdn_comments.csv"
"$BIN" --data-dir "$DIR" lists import --format ofac-xml "$DATA/ofac_consolidated/CONSOLIDATED.XML"
"$BIN" --data-dir "$DIR" lists import --format un-xml "$DATA/un/consolidated.xml"
"$BIN" --data-dir "$DIR" lists import --format eu-aggregate-json "$DATA/eu/pakote_all_2026-01-28.json"
"$BIN" --data-dir "$DIR" lists import --format eu-xml --key eu-fsf-sample "$DATA/eu/sample_fsf_1_1.xml"
"$BIN" --data-dir "$DIR" lists import --format uk-csv "$DATA/uk/sample_ofsi_conlist.csv"
# FCDO UK Sanctions List layout: no published file is placed; the crate's hand-written fixture
"$BIN" --data-dir "$DIR" lists import --format uk-xml --key uk-fcdo-sample \
  "$ROOT/crates/kycd-aml/tests/fixtures/uk_sanctions_list_sample.xml"
"$BIN" --data-dir "$DIR" lists import --format ftm "$DATA/opensanctions/sample_entities.ftm.json"
"$BIN" --data-dir "$DIR" lists status
