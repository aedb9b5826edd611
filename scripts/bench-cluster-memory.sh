#!/usr/bin/env bash
# Memory of three nodes under a write load on a large table: loads ITEMS records (default
# 300,000) of 1,000 bytes through node 1, prints each node's resident set (VmHWM = peak, VmRSS =
# now), runs 40 s of PutItem with 32 clients, and prints them again. Figures go to
# docs/benchmarks.md.
#
#   scripts/bench-cluster-memory.sh                         # this tree's release build
#   FERRODYN_BIN=/tmp/ferrodyn-old scripts/bench-cluster-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_binary
bench_root cluster-memory
items=${ITEMS:-300000}

resident() {
  for pid in "${pids[@]}"; do
    awk '/VmHWM|VmRSS/ {printf "%s %d MiB  ", $1, $2 / 1024}' "/proc/$pid/status"
    echo
  done
}

start_cluster 18600 18700
"$bin" bench --endpoint http://127.0.0.1:18600 --workload put --items "$items" --value-size 1000 \
  --concurrency 32 --duration 1 --no-progress | grep '^load'
resident
"$bin" bench --endpoint http://127.0.0.1:18600 --workload put --items "$items" --value-size 1000 \
  --concurrency 32 --duration 40 --skip-load --no-progress | grep -E '^(operation|total)'
resident
