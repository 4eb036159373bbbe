#!/usr/bin/env bash
# Set up everything on a fresh machine: system packages (as root), a virtual environment, the project.
#   bash scripts/setup.sh app    # what the web chat needs
#   bash scripts/setup.sh test   # plus the test tools: Chromium, CJK fonts, the sentence-transformers extra
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-app}"

if [ "$target" = test ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=""
  command -v chromium >/dev/null || missing="$missing chromium"
  fc-list :lang=zh 2>/dev/null | grep -q . || missing="$missing fonts-noto-cjk"
  if [ -n "$missing" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
fi

pip_install() {  # quiet, minus the machine's per-package "Location ... is ignored" notices
  .venv/bin/python -m pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }
}

[ -x .venv/bin/python ] || python3 -m venv .venv
pip_install --upgrade pip
if [ "$target" = test ]; then
  # CPU build of torch from the local wheel first, so the sentence-transformers extra does not pull CUDA.
  .venv/bin/python -c "import torch" 2>/dev/null || pip_install torch==2.13.0
  pip_install -e ".[st,test]"
else
  pip_install -e .
fi
