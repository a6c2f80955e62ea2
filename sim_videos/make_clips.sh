#!/usr/bin/env bash
# Regenerate the committed scenario clips, their ground truth and contact sheets.
# Each line is the exact command recorded in that clip's truth file ("command").
set -euo pipefail
cd "$(dirname "$0")/.."
footfall simulate --scenario entrance --seed 1 --minutes 0.5 --fps 10 --size 480x360 --bucket 10 --out sim_videos
footfall simulate --scenario aisle --seed 1 --minutes 0.5 --fps 10 --size 480x360 --bucket 10 --out sim_videos
footfall simulate --scenario checkout --seed 1 --minutes 1 --fps 10 --size 480x360 --bucket 10 --out sim_videos
footfall simulate --scenario busy --seed 1 --minutes 0.25 --fps 10 --size 480x360 --bucket 10 --out sim_videos
footfall simulate --scenario night --seed 1 --minutes 0.5 --fps 10 --size 480x360 --bucket 10 --out sim_videos
