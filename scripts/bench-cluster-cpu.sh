#!/usr/bin/env bash
# CPU per replicated write: three nodes on 127.0.0.1-3 (data on disk, sync durability), PutItem
# with 32 clients through one node for 15 s, and the servers' CPU time (from /proc) over that
# time divided by the writes, in all and per node, with the node that leads the table. Given
# several binaries, runs them alternately, ROUNDS times, and prints one line per run; the
# figures go to docs/benchmarks.md.
#
#   scripts/bench-cluster-cpu.sh                                  # this tree's release build
#   ROUNDS=5 scripts/bench-cluster-cpu.sh /tmp/ferrodyn-a /tmp/ferrodyn-b
#   VIA=leader scripts/bench-cluster-cpu.sh     # the clients call the table's leader (no forwarding)
#   PARTITIONS=4 GSIS=2 scripts/bench-cluster-cpu.sh   # a table of 4 partitions with 2 global indexes
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
binaries=("$@")
if [[ ${#binaries[@]} -eq 0 ]]; then
  bench_binary
  binaries=("$bin")
fi
rounds=${ROUNDS:-3}
partitions=${PARTITIONS:-1}
gsis=${GSIS:-0}
items=${ITEMS:-100000}
bench_root cluster-cpu

cpu_ticks() { # one server's user + system time, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

for round in $(seq 1 "$rounds"); do
  for bin in "${binaries[@]}"; do
    rm -rf "$root"/node*
    CLUSTER_ARGS="--table-partitions $partitions" start_cluster 18600 18700
    "$bin" bench --endpoint http://127.0.0.1:18600 --workload put --items "$items" \
      --gsis "$gsis" --concurrency 32 --duration 1 --no-progress >/dev/null
    # The node leading the table's (first) partition: 1, 2 or 3.
    leader=$(curl -fs http://127.0.0.1:18600/cluster/status | python3 -c '
import json, sys
status = json.load(sys.stdin)
api = {m["node"]: m["api_address"] for m in status["members"]}
print(api[status["tables"][0]["partitions"][0]["leader"]].split(":")[0].split(".")[3])')
    via=1
    if [[ ${VIA:-} == leader ]]; then via=$leader; fi
    before=()
    for pid in "${pids[@]}"; do before+=("$(cpu_ticks "$pid")"); done
    "$bin" bench --endpoint "http://127.0.0.$via:18600" --workload put --items "$items" \
      --concurrency 32 --duration 15 --no-progress --skip-load >"$root/out"
    ticks=()
    for i in "${!pids[@]}"; do ticks+=($(($(cpu_ticks "${pids[$i]}") - before[i]))); done
    stop_servers
    awk -v bin="$bin partitions=$partitions gsis=$gsis" -v ticks="${ticks[*]}" -v hz="$(getconf CLK_TCK)" -v leader="$leader" \
      -v via="$via" '/^put / {
      split(ticks, t, " ")
      per = 1e6 / hz / $2
      printf "%s: %d writes/s, p99 %.2f ms, %.0f us of server CPU per write (nodes 1-3: %.0f %.0f %.0f; leader node %d, clients on node %d)\n",
        bin, $3, $6, (t[1] + t[2] + t[3]) * per, t[1] * per, t[2] * per, t[3] * per, leader, via }' "$root/out"
  done
done
