# Sourced by scripts/models/*.sh: download a pinned PyPI artifact with pip and verify its SHA-256.
# usage: fetch_pypi <requirement> <artifact-file-name> <sha256>
set -euo pipefail
VENDOR_DIR="${KYCD_VENDOR_DIR:-$PWD/vendor}"
mkdir -p "$VENDOR_DIR" "$KYCD_MODELS_DIR"
fetch_pypi() {
  local req="$1" file="$2" sum="$3"
  if [[ ! -f "$VENDOR_DIR/$file" ]] || ! echo "$sum  $VENDOR_DIR/$file" | sha256sum -c --quiet - 2>/dev/null; then
    echo "models: downloading $req from PyPI"
    python3 -m pip download --quiet --no-deps -d "$VENDOR_DIR" "$req"
  fi
  echo "$sum  $VENDOR_DIR/$file" | sha256sum -c --quiet - || { echo "models: checksum mismatch for $file" >&2; exit 1; }
}
# usage: verify_file <path> <sha256>
verify_file() {
  echo "$2  $1" | sha256sum -c --quiet - || { echo "models: checksum mismatch for $1" >&2; exit 1; }
}
