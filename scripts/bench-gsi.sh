#!/usr/bin/env bash
# PutItem's server CPU per operation on a table without secondary indexes and on one with two
# global secondary indexes (projection ALL, keyed on the two payload fields, so every put moves
# both of its entries), side by side: a fresh on-disk server (defaults, sync durability) per
# run, alternating, 32 clients over 100,000 records. Prints the medians and their ratio; the
# figures go to docs/benchmarks.md.
#
#   scripts/bench-gsi.sh                       # 10 s per run, three rounds
#   SECONDS_EACH=20 ROUNDS=5 FERRODYN_BIN=/path/to/ferrodyn scripts/bench-gsi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_binary
bench_root gsi
seconds=${SECONDS_EACH:-10}
rounds=${ROUNDS:-3}
port=18520

for round in $(seq 1 "$rounds"); do
  for gsis in 0 2; do
    rm -rf "$root/data"
    "$bin" serve --listen "127.0.0.1:$port" --data-dir "$root/data" 2>"$root/serve.log" &
    pids=($!)
    wait_health "http://127.0.0.1:$port"
    "$bin" bench --endpoint "http://127.0.0.1:$port" --workload put --items 100000 --fields 2 \
      --gsis "$gsis" --concurrency 32 --value-size 100 --duration "$seconds" \
      --server-pid "${pids[0]}" --json --no-progress \
      | grep '"op":"total"' | sed "s/^/$gsis /" >>"$root/results"
    stop_servers
  done
  echo "round $round done" >&2
done

python3 - "$root/results" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    gsis, summary = line.split(" ", 1)
    runs.setdefault(int(gsis), []).append(json.loads(summary))
cpu = {}
print(f"{'GSIs':>4} {'puts/s':>8} {'p99 ms':>7} {'server CPU us/op':>17}  runs (us/op)")
for gsis, rs in sorted(runs.items()):
    cpu[gsis] = statistics.median(r["server_cpu_us_per_op"] for r in rs)
    print(f"{gsis:>4} {statistics.median(r['ops_per_sec'] for r in rs):8.0f} "
          f"{statistics.median(r['p99_us'] for r in rs) / 1000:7.2f} {cpu[gsis]:17.1f}  "
          + " ".join(f"{r['server_cpu_us_per_op']:.1f}" for r in rs))
print(f"two GSIs / none, server CPU per put: {cpu[2] / cpu[0]:.2f}x")
PY
