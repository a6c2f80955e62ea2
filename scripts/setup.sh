#!/usr/bin/env bash
# Set up everything footfall needs on a fresh Debian machine with Python 3.11:
# Mosquitto (and, for the tests, PostgreSQL, Chromium and systemd's analyzer)
# through apt when missing, a virtualenv in .venv, and the package with its
# dev and collector extras (with --tests also the bench extra and norfair), pinned to the tested set
# in constraints.txt.
# Safe to run again: it only does what is missing.
#
#   bash scripts/setup.sh            what the agent and the demo need
#   bash scripts/setup.sh --tests    also what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=0
[ "${1:-}" = "--tests" ] && for_tests=1

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: footfall needs Python >= 3.11, $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    exit 1
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
"$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
if [ "$for_tests" -eq 1 ]; then
    command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)  # the unit-file tests verify with it
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)  # the collector's tests
    [ -x /usr/bin/chromium ] || missing+=(chromium)  # the dashboard's browser tests (never `playwright install`)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} with apt-get"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The Debian package starts a system broker on port 1883; footfall's scripts and
# tests start their own private brokers and do not need it.

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.footfall-installed
wanted="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "setup: installing footfall and its dependencies into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev,collector]'
    echo "$wanted" > "$stamp"
fi
if [ "$for_tests" -eq 1 ]; then
    # The peers the tests compare our tracker with on real data (issue 7: TUD, ByteTrack, norfair) and
    # the benchmark scripts' own tests. norfair pins numpy<2, so it comes without its dependencies
    # (the bench extra brings filterpy and rich, which it needs).
    bench_stamp=.venv/.footfall-bench-installed
    if [ ! -f "$bench_stamp" ] || [ "$(cat "$bench_stamp")" != "$wanted" ]; then
        echo "setup: installing the bench extra and norfair for the tests"
        .venv/bin/python -m pip install -q -c constraints.txt -e '.[bench]'
        .venv/bin/python -m pip install -q -c constraints.txt --no-deps norfair==2.3.0
        echo "$wanted" > "$bench_stamp"
    fi
fi
# Byte-compile our own code, as a non-editable install would: every `footfall` process then starts
# from the cached bytecode (about 0.2 s sooner) even where PYTHONDONTWRITEBYTECODE is set. A stale
# file is never used: Python compares it with the source's time stamp and size.
.venv/bin/python -m compileall -q -j 2 agent collector >/dev/null
