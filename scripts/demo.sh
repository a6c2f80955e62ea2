#!/usr/bin/env bash
# Set everything up, start a private Mosquitto on a free port, and run the agent
# twice, printing every report that comes back from the broker and then the
# ground truth: first on the bundled clip sim_videos/doorway.avi (a few
# seconds), then on a live simulated store (the `entrance` scenario rendered in
# real time: 90 s of a shop door under a ceiling camera,
# config/scenarios/entrance.toml). Nothing is left running afterwards.
# DEMO_SCENARIO=aisle|checkout|busy|night picks another store; DEMO_MINUTES the length.
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

echo "demo: 1/2 the bundled clip sim_videos/doorway.avi (config/example.toml), as fast as it decodes"
footfall listen --port "$port" --until-offline --timeout 60 &
listener=$!
sleep 1
footfall run --config config/example.toml --set source.realtime=false \
    --set "mqtt.port=$port" --set "mqtt.host='127.0.0.1'" \
    --set "outbox.path='$work/clip-outbox.db'" --log-level WARNING
wait "$listener"
listener=""
python - <<'PY'
import json

truth = json.load(open("sim_videos/doorway.truth.json"))
print(f"demo: ground truth of sim_videos/doorway.avi: {truth['line']} in={truth['in']} out={truth['out']}")
PY

echo "demo: 2/2 a live simulated store"
scenario="${DEMO_SCENARIO:-entrance}"
minutes="${DEMO_MINUTES:-1.5}"
footfall listen --port "$port" --until-offline --timeout 115 &
listener=$!
sleep 1
echo "demo: running the agent on a live simulated '$scenario' store for $minutes min (config/scenarios/$scenario.toml)"
footfall run --config "config/scenarios/$scenario.toml" --set "source.minutes=$minutes" \
    --set "mqtt.port=$port" --set "mqtt.host='127.0.0.1'" \
    --set "outbox.path='$work/outbox.db'" --log-level WARNING
wait "$listener"
listener=""
python - "$scenario" "$minutes" <<'PY'
import sys

from agent.sim.clip import scenario_truth
from agent.sim.scenarios import get_scenario
from agent.sim.source import live_people
from agent.sim.truth import ClipSettings

scenario, minutes = sys.argv[1], float(sys.argv[2])
people = live_people(get_scenario(scenario), 1, minutes * 60.0)  # who the live source showed
truth = scenario_truth(ClipSettings(scenario, 1, minutes * 60.0, 15.0), people=people)
for line in truth["lines"]:
    ins = sum(c["line"] == line["name"] and c["direction"] == "in" for c in truth["crossings"])
    outs = sum(c["line"] == line["name"] and c["direction"] == "out" for c in truth["crossings"])
    print(f"demo: ground truth of the simulated {scenario} store: {line['name']} in={ins} out={outs}")
PY
