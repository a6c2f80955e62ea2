#!/usr/bin/env bash
# Set everything up, then run the whole test suite, ruff and mypy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
export PATH="$PWD/.venv/bin:/usr/sbin:$PATH"
status=0
# Two workers (the machines have 2 cores) share the tests out as each one comes free, except a
# module marked with `xdist_group`, which one worker runs whole (a shared screenshot folder, a costly
# module fixture). Pass -n 0 to run in one process.
python -m pytest -q -n 2 --dist loadgroup "$@" || status=$?
echo "== ruff"; ruff check . || status=$?
echo "== ruff format"; ruff format --check . || status=$?
echo "== mypy"; mypy agent collector || status=$?
exit $status
