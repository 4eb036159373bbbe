#!/usr/bin/env bash
# Set up and start the web chat on the bundled decisions: http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export ANONYMIZED_TELEMETRY=False
exec .venv/bin/python app.py "$@"
