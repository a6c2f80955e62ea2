#!/usr/bin/env bash
# Set everything up, start a private Mosquitto on a free port, run the agent on
# the bundled simulated doorway clip (30 s at its native rate) and print every
# report that comes back from the broker. Nothing is left running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:/usr/sbin:$PATH"

work="$(mktemp -d -t footfall-demo.XXXXXX)"
port="$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file %s/mosquitto.log\n' \
    "$port" "$work" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" &
broker=$!
listener=""
cleanup() {
    [ -n "$listener" ] && kill "$listener" 2>/dev/null || true
    kill "$broker" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
echo "demo: private Mosquitto on 127.0.0.1:$port"

footfall listen --port "$port" --until-offline --timeout 110 &
listener=$!
sleep 1
footfall run --config config/example.toml --set "mqtt.port=$port" --set "mqtt.host='127.0.0.1'" \
    --set "outbox.path='$work/outbox.db'" --log-level WARNING
wait "$listener"
listener=""
python - <<'PY'
import json

truth = json.load(open("sim_videos/doorway.truth.json"))
print(f"demo: ground truth of sim_videos/doorway.avi: {truth['line']} in={truth['in']} out={truth['out']}")
PY
