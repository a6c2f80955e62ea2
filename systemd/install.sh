#!/usr/bin/env bash
# Install footfall as a systemd service on a device (Raspberry Pi OS / Debian).
#
#   sudo systemd/install.sh [--dry-run] [--config FILE]
#
# Puts the agent in a virtualenv under /opt/footfall and the shipped head
# model in /opt/footfall/models, the device config template
# (systemd/footfall.toml) under /etc/footfall (an existing config is never
# overwritten), the unit in
# /etc/systemd/system, and enables and starts it. Idempotent: running it
# again upgrades the agent and keeps the config. --dry-run prints each step
# instead of doing it.
set -euo pipefail
cd "$(dirname "$0")/.."

dry_run=0
config_source="systemd/footfall.toml"
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry_run=1 ;;
        --config) config_source="$2"; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "install: unknown argument '$1' (expected --dry-run or --config FILE)" >&2; exit 2 ;;
    esac
    shift
done

run() {
    if [ "$dry_run" -eq 1 ]; then
        printf 'would run:'; printf ' %q' "$@"; printf '\n'
    else
        "$@"
    fi
}

if [ "$dry_run" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install: must run as root (try: sudo $0)" >&2
    exit 1
fi
[ -f "$config_source" ] || { echo "install: config file $config_source not found" >&2; exit 2; }

prefix=/opt/footfall
run mkdir -p "$prefix" /etc/footfall/credentials
[ -x "$prefix/venv/bin/python" ] || run python3 -m venv "$prefix/venv"
run "$prefix/venv/bin/pip" install --quiet --upgrade -c constraints.txt .
run install -m 0644 README.md "$prefix/README.md"
run install -d -m 0755 "$prefix/models"
run install -m 0644 models/footfall_head_int8.onnx models/footfall_head_fp32.onnx models/footfall_height.onnx models/README.md models/TRIALS.md "$prefix/models/"
if [ -e /etc/footfall/footfall.toml ]; then
    echo "install: keeping the existing /etc/footfall/footfall.toml"
else
    run install -m 0640 "$config_source" /etc/footfall/footfall.toml
fi
[ -e /etc/footfall/credentials/mqtt_password ] || run install -m 0600 /dev/null /etc/footfall/credentials/mqtt_password
run install -m 0644 systemd/footfall.service /etc/systemd/system/footfall.service
run systemctl daemon-reload
run systemctl enable footfall.service
run systemctl restart footfall.service
echo "install: done; check with: systemctl status footfall; journalctl -u footfall -f"
