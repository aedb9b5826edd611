#!/usr/bin/env bash
# Replicated writes side by side, in one sitting: Ferrodyn on one node, Ferrodyn on three nodes
# (127.0.0.1-3, data on disk, sync durability), and etcd on three nodes (Debian's etcd-server,
# if installed: `apt-get install etcd-server etcd-client`), the reference for replicated, fsynced,
# linearizable writes. Prints each run's summary; the figures go to docs/benchmarks.md.
#
#   scripts/bench-cluster.sh                 # PutItem, 32, 64 and 128 clients, 10 s each
#   CLIENTS="32" SECONDS_EACH=20 scripts/bench-cluster.sh
#   FERRODYN_BIN=/tmp/ferrodyn-old scripts/bench-cluster.sh   # a given binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_binary
clients=${CLIENTS:-"32 64 128"}
seconds=${SECONDS_EACH:-10}
bench_root cluster

run_bench() { # endpoint label server-pid...
  local endpoint=$1 label=$2
  "$bin" bench --endpoint "$endpoint" --workload put --items 100000 --concurrency 32 \
    --duration 1 --no-progress | grep '^load' | sed "s/^/$label /"
  for c in $clients; do
    "$bin" bench --endpoint "$endpoint" --workload put --items 100000 --concurrency "$c" \
      --duration "$seconds" --no-progress --skip-load | grep -E '^put ' | sed "s/^/$label clients=$c /"
  done
}

echo "== Ferrodyn, one node"
"$bin" serve --listen 127.0.0.1:18400 --data-dir "$root/single" 2>"$root/single.log" &
pids+=($!)
wait_health http://127.0.0.1:18400
run_bench http://127.0.0.1:18400 single
stop_servers

echo "== Ferrodyn, three nodes (requests to node 1, which leads the table or forwards to it)"
start_cluster 18401 17401
run_bench http://127.0.0.1:18401 cluster
"$bin" cluster status --endpoint http://127.0.0.1:18401 | tail -2
stop_servers

if command -v etcd >/dev/null && command -v etcdctl >/dev/null; then
  echo "== etcd, three nodes: etcdctl check perf --load=l"
  initial="e1=http://127.0.0.1:23801,e2=http://127.0.0.1:23802,e3=http://127.0.0.1:23803"
  for n in 1 2 3; do
    etcd --name "e$n" --data-dir "$root/e$n" \
      --listen-client-urls "http://127.0.0.1:2379$n" --advertise-client-urls "http://127.0.0.1:2379$n" \
      --listen-peer-urls "http://127.0.0.1:2380$n" --initial-advertise-peer-urls "http://127.0.0.1:2380$n" \
      --initial-cluster "$initial" --initial-cluster-state new >"$root/e$n.log" 2>&1 &
    pids+=($!)
  done
  sleep 3
  ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793 \
    check perf --load=l 2>&1 | tr '\r' '\n' | grep -E '^(PASS|FAIL)' || true
  stop_servers
else
  echo "== etcd not installed: skipped"
fi
