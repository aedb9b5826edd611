#!/usr/bin/env bash
# Replicated PutItem throughput against the number of partitions (replica groups) written at
# once, on a three-node cluster (127.0.0.1-3, data on disk, sync durability). Prints the summed
# throughput and the median and worst per-table p99 for each N.
#
# MODE=table (the default): one table of N partitions (the nodes are started afresh for each N,
# with --table-partitions N), driven by one `ferrodyn bench` of CLIENTS clients.
# MODE=tables: N tables of one partition each; the same CLIENTS clients are spread evenly over
# them, each table driven by its own `ferrodyn bench`.
# Either way every request goes to node 1, which runs it if it leads the partition and forwards
# it otherwise.
#
#   scripts/bench-cluster-partitions.sh                      # 1, 8 and 64 partitions, 64 clients
#   PARTITIONS="1 8" CLIENTS=32 SECONDS_EACH=20 scripts/bench-cluster-partitions.sh
#   MODE=tables scripts/bench-cluster-partitions.sh          # N tables instead
#   FERRODYN_BIN=/tmp/ferrodyn-old scripts/bench-cluster-partitions.sh   # a given binary
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_binary
partitions=${PARTITIONS:-"1 8 64"}
clients=${CLIENTS:-64}
seconds=${SECONDS_EACH:-10}
items=${ITEMS:-2000}
mode=${MODE:-table}
bench_root partitions
endpoint=http://127.0.0.1:18701
if [[ $mode == tables ]]; then start_cluster 18701 17701; fi

for count in $partitions; do
  each=$(( clients / count ))
  if [[ $each -lt 1 ]]; then each=1; fi
  if [[ $mode == table ]]; then
    stop_servers
    rm -rf "$root"/node*
    CLUSTER_ARGS="--table-partitions $count" start_cluster 18701 17701
    "$bin" bench --endpoint "$endpoint" --table "parts-$count" --workload put --items "$items" \
      --concurrency 4 --duration 1 --no-progress --client-threads 1 >/dev/null
    sleep 2
    "$bin" bench --endpoint "$endpoint" --table "parts-$count" --workload put --items "$items" \
      --skip-load --concurrency "$clients" --duration "$seconds" --no-progress --json \
      --client-threads 1 >"$root/run-$count-1.json"
    each=$clients
  else
    # Create and load the tables (a few at a time).
    seq 1 "$count" | xargs -P 4 -I{} "$bin" bench --endpoint "$endpoint" --table "p$count-t{}" \
      --workload put --items "$items" --concurrency 4 --duration 1 --no-progress --client-threads 1 \
      >/dev/null
    runs=()
    for t in $(seq 1 "$count"); do
      "$bin" bench --endpoint "$endpoint" --table "p$count-t$t" --workload put --items "$items" \
        --skip-load --concurrency "$each" --duration "$seconds" --no-progress --json \
        --client-threads 1 >"$root/run-$count-$t.json" &
      runs+=($!)
    done
    for run in "${runs[@]}"; do wait "$run"; done
  fi
  python3 - "$count" "$each" "$root"/run-"$count"-*.json <<'EOF'
import json, statistics, sys
count, each, files = sys.argv[1], sys.argv[2], sys.argv[3:]
totals = []
for name in files:
    for line in open(name):
        line = line.strip()
        if line.startswith("{"):
            row = json.loads(line)
            if row.get("op") == "total":
                totals.append(row)
ops = sum(r["ops_per_sec"] for r in totals)
errors = sum(r["errors"] for r in totals)
p99 = sorted(r["p99_us"] / 1000 for r in totals)
print(f"partitions={count} clients/partition={each} PutItem/s={ops:,.0f} "
      f"p99 median={statistics.median(p99):.2f} ms worst={p99[-1]:.2f} ms errors={errors}")
EOF
done
