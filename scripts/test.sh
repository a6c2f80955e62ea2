#!/usr/bin/env bash
# Set everything up, then run the whole test suite, ruff and mypy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
export PATH="$PWD/.venv/bin:/usr/sbin:$PATH"
status=0
python -m pytest -q "$@" || status=$?
echo "== ruff"; ruff check . || status=$?
echo "== ruff format"; ruff format --check . || status=$?
echo "== mypy"; mypy agent collector || status=$?
exit $status
