#!/usr/bin/env bash
# Set up and run every test, then gate on answer quality over the held-out question set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/python -m pytest -p no:cacheprovider "$@"
# The quality report is kept (its path is printed and stays valid); only the throwaway index is deleted.
out="test-artifacts/eval"
rm -rf "$out" && mkdir -p "$out"
index="$(mktemp -d)"
trap 'rm -rf "$index"' EXIT
.venv/bin/python -m assistant.evaluate eval/seeds_test.jsonl --mode extractive --index-dir "$index" --out "$out" \
  --fail-under recall@5=0.95,mrr=0.93,citation_precision=0.92,citation_recall=0.88,refusal_accuracy=0.93,invalid_citations=0
