#!/usr/bin/env bash
# The single-node speed targets, side by side in one sitting: `ferrodyn bench-baseline` (the same
# HTTP stack answering canned responses: what the client reaches at all on this machine), then
# `ferrodyn serve` on disk with its defaults (sync durability), each running GetItem, PutItem and
# the 50/50 GetItem/UpdateItem workload with 32 clients over 100,000 records of 100 bytes.
# Prints one line per run and Ferrodyn's throughput as a share of the baseline's; the figures
# go to docs/benchmarks.md.
#
#   scripts/bench-single.sh                  # 10 s per workload, each pair twice (alternating)
#   SECONDS_EACH=20 ROUNDS=3 scripts/bench-single.sh
#   FERRODYN_BIN=/tmp/ferrodyn-old scripts/bench-single.sh   # a given binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_binary
bench_root single
seconds=${SECONDS_EACH:-10}
rounds=${ROUNDS:-2}

# The baseline serves no /health: wait for its port instead.
wait_listening() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# server label, workload, then the bench's JSON summary on one line
run() { # label port
  local label=$1 port=$2 first=1
  for workload in get put a; do
    local skip=()
    if [[ $first -eq 0 ]]; then skip=(--skip-load); fi
    first=0
    "$bin" bench --endpoint "http://127.0.0.1:$port" --workload "$workload" --items 100000 \
      --concurrency 32 --value-size 100 --duration "$seconds" --server-pid "${pids[0]}" --json \
      --no-progress "${skip[@]}" | grep '"op":"total"' | sed "s/^/$label $workload /" >>"$root/results"
  done
}

for round in $(seq 1 "$rounds"); do
  "$bin" bench-baseline --listen 127.0.0.1:18500 >/dev/null &
  pids=($!)
  wait_listening 18500
  run baseline 18500
  stop_servers
  rm -rf "$root/data"
  "$bin" serve --listen 127.0.0.1:18501 --data-dir "$root/data" 2>"$root/serve.log" &
  pids=($!)
  wait_listening 18501
  run ferrodyn 18501
  stop_servers
  echo "round $round done" >&2
done

python3 - "$root/results" <<'EOF'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, workload, summary = line.split(" ", 2)
    runs.setdefault((label, workload), []).append(json.loads(summary))
print(f"{'server':9} {'workload':8} {'ops/s':>9} {'p99 ms':>7} {'server CPU us/op':>17} {'peak RSS MiB':>13}  runs")
for (label, workload), rs in sorted(runs.items()):
    med = lambda f: statistics.median(r[f] for r in rs)
    print(f"{label:9} {workload:8} {med('ops_per_sec'):9.0f} {med('p99_us') / 1000:7.2f} "
          f"{med('server_cpu_us_per_op'):17.1f} {max(r['server_peak_rss_bytes'] for r in rs) / 2**20:13.0f}"
          f"  ops/s " + " ".join(f"{r['ops_per_sec']:.0f}" for r in rs))
for workload in ("get", "put", "a"):
    base = statistics.median(r["ops_per_sec"] for r in runs[("baseline", workload)])
    ours = statistics.median(r["ops_per_sec"] for r in runs[("ferrodyn", workload)])
    print(f"ferrodyn / baseline, {workload}: {ours / base:.0%}")
EOF
