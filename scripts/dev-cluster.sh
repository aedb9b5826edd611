#!/usr/bin/env bash
# Starts a local three-node Ferrodyn cluster for development: nodes on 127.0.0.1, 127.0.0.2 and
# 127.0.0.3 (DynamoDB endpoint on port 8000, peer port 7000), data under ./ferrodyn-cluster/nodeN.
# The first node bootstraps the cluster, the others join it. Ctrl-C stops all three.
#
#   scripts/dev-cluster.sh            # build (release) and run
#   ferrodyn cluster status --endpoint http://127.0.0.2:8000
#
# Restarting the script reuses the data directories: the nodes resume as the same members.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p ferrodyn-server --bin ferrodyn
bin=target/release/ferrodyn
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then bin="$CARGO_TARGET_DIR/release/ferrodyn"; fi
root=ferrodyn-cluster
mkdir -p "$root"
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait
}
trap stop EXIT INT TERM
for n in 1 2 3; do
  # Three nodes share this machine's cores: one worker thread each.
  args=(serve --listen "127.0.0.$n:8000" --peer-listen "127.0.0.$n:7000" --data-dir "$root/node$n"
    --worker-threads 1)
  if [[ $n -gt 1 ]]; then args+=(--join 127.0.0.1:7000); fi
  "$bin" "${args[@]}" 2>"$root/node$n.log" &
  pids+=($!)
  # The next node joins through the first: wait until this one answers.
  for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.$n:8000/health" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  echo "node $n: http://127.0.0.$n:8000 (pid ${pids[-1]}, log $root/node$n.log)"
done
"$bin" cluster status --endpoint http://127.0.0.1:8000
echo "Ctrl-C stops the cluster."
wait
