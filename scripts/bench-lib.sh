# What the cluster benchmark scripts share; sourced by them (from the repository's root), not run.
#
#   source scripts/bench-lib.sh
#   bench_binary                      # sets $bin: $FERRODYN_BIN, or a fresh release build
#   bench_root NAME                   # sets $root: a temporary directory, removed on exit
#   start_cluster API_PORT PEER_PORT  # three nodes on 127.0.0.1-3, data under $root, each also
#                                     # given $CLUSTER_ARGS
#   stop_servers                      # stops every process started here ($pids)

pids=()

# The binary to measure: $FERRODYN_BIN (another build, e.g. to compare two commits), or this
# tree's release build.
bench_binary() {
  if [[ -n "${FERRODYN_BIN:-}" ]]; then
    bin=$FERRODYN_BIN
    return
  fi
  cargo build --release -p ferrodyn-server --bin ferrodyn
  bin=target/release/ferrodyn
  if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then bin="$CARGO_TARGET_DIR/release/ferrodyn"; fi
}

stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

# A temporary directory for this run's data and logs; the servers stop and it goes on exit.
bench_root() {
  root=$(mktemp -d "/tmp/ferrodyn-bench-$1.XXXXXX")
  trap 'stop_servers; rm -rf "$root"' EXIT
}

wait_health() {
  for _ in $(seq 1 200); do
    if curl -fs "$1/health" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  echo "no answer from $1" >&2
  return 1
}

# Three members on 127.0.0.1-3 (DynamoDB port $1, peer port $2), data and logs under $root; the
# first bootstraps the cluster and the others join it. Their PIDs are ${pids[0..2]}. The three
# share this machine's cores, so each runs $WORKER_THREADS (default 1) worker threads rather
# than one per core (builds without `--worker-threads` ignore the variable).
start_cluster() {
  local api=$1 peer=$2
  for n in 1 2 3; do
    local args=(serve --listen "127.0.0.$n:$api" --peer-listen "127.0.0.$n:$peer" --data-dir "$root/node$n")
    if [[ $n -gt 1 ]]; then args+=(--join "127.0.0.1:$peer"); fi
    # shellcheck disable=SC2206 # flags, split on spaces
    args+=(${CLUSTER_ARGS:-})
    FERRODYN_WORKER_THREADS=${WORKER_THREADS:-1} "$bin" "${args[@]}" 2>"$root/node$n.log" &
    pids+=($!)
    wait_health "http://127.0.0.$n:$api"
  done
  sleep 2
}
