#!/usr/bin/env bash
# Installs everything kycd needs on a fresh Debian 12 machine: system packages (scripts/apt/*.txt)
# and the model files (scripts/models/*.sh → $KYCD_MODELS_DIR, default ./models, SHA-256 verified).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for f in scripts/apt/*.txt; do
  while read -r pkg _; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
  done < "$f"
done
if ((${#need[@]})); then
  echo "setup: installing system packages: ${need[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# PyPI tools for the tests (scripts/pip/*.txt), installed once.
for r in scripts/pip/*.txt; do
  [[ -e "$r" ]] || continue
  while read -r req _; do
    [[ -z "$req" || "$req" == \#* ]] && continue
    name="${req%%[*}"; name="${name%%==*}"; want="${req##*==}"
    have=$(python3 -m pip show "$name" 2>/dev/null | awk '/^Version:/{print $2}')
    if [[ "$have" != "$want" ]]; then
      echo "setup: installing $req from PyPI"
      python3 -m pip install -q --disable-pip-version-check "$req"
    fi
  done < "$r"
done

export KYCD_MODELS_DIR="${KYCD_MODELS_DIR:-$PWD/models}"
for m in scripts/models/*.sh; do
  [[ -e "$m" ]] || continue
  bash "$m"
done
echo "setup: ok (models in $KYCD_MODELS_DIR)"
