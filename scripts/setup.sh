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

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$target" = test ]; then
  # CPU build of torch from the local wheel first, so the sentence-transformers extra does not pull CUDA.
  .venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -e ".[st,test]"
else
  .venv/bin/python -m pip install -q -e .
fi
