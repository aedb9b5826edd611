#!/usr/bin/env bash
# CPU per replicated write: three nodes on 127.0.0.1-3 (data on disk, sync durability), PutItem
# with 32 clients through node 1 for 15 s, and the three servers' CPU time (from /proc) over that
# time divided by the writes. Given several binaries, runs them alternately, ROUNDS times, and
# prints one line per run; the figures go to docs/benchmarks.md.
#
#   scripts/bench-cluster-cpu.sh                                  # this tree's release build
#   ROUNDS=5 scripts/bench-cluster-cpu.sh /tmp/ferrodyn-a /tmp/ferrodyn-b
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
binaries=("$@")
if [[ ${#binaries[@]} -eq 0 ]]; then
  bench_binary
  binaries=("$bin")
fi
rounds=${ROUNDS:-3}
bench_root cluster-cpu

cpu_ticks() { # the servers' user + system time, in clock ticks
  local total=0
  for pid in "${pids[@]}"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$total"
}

for round in $(seq 1 "$rounds"); do
  for bin in "${binaries[@]}"; do
    rm -rf "$root"/node*
    start_cluster 18600 18700
    "$bin" bench --endpoint http://127.0.0.1:18600 --workload put --items 100000 \
      --concurrency 32 --duration 1 --no-progress >/dev/null
    before=$(cpu_ticks)
    "$bin" bench --endpoint http://127.0.0.1:18600 --workload put --items 100000 \
      --concurrency 32 --duration 15 --no-progress --skip-load >"$root/out"
    after=$(cpu_ticks)
    stop_servers
    awk -v bin="$bin" -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '/^put / {
      printf "%s: %d writes/s, p99 %.2f ms, %.0f us of server CPU per write (three nodes)\n",
        bin, $3, $6, ticks / hz * 1e6 / $2 }' "$root/out"
  done
done
