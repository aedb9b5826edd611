#!/usr/bin/env bash
# What many replica groups cost a three-node cluster (127.0.0.1-3, data on disk) while idle, and
# how long the groups a killed node led take to elect new leaders.
#
# Creates TABLES tables of PARTITIONS partitions each (default 1; each partition one replica
# group with a replica on every node), waits until each group has a leader, sleeps SETTLE seconds, then reads the three processes' CPU time from /proc over
# IDLE seconds. Then kills (SIGKILL) the node leading the most groups and polls a survivor's
# /cluster/status until every group has a leader other than the killed node.
#
#   scripts/bench-cluster-idle.sh                    # 1,000 tables, 20 s idle
#   TABLES=100 IDLE=10 scripts/bench-cluster-idle.sh
#   TABLES=250 PARTITIONS=4 scripts/bench-cluster-idle.sh   # 1,000 groups in 250 tables
#   FERRODYN_BIN=/tmp/ferrodyn-old scripts/bench-cluster-idle.sh   # a given binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
bench_binary
tables=${TABLES:-1000}
partitions=${PARTITIONS:-1}
groups=$(( tables * partitions ))
idle=${IDLE:-20}
settle=${SETTLE:-10}
bench_root idle

# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# A CreateTable call. The server accepts any well-formed SigV4 header.
create_table() {
  local endpoint=$1 name=$2
  curl -fs -o /dev/null -X POST "$endpoint/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.CreateTable' \
    -H 'X-Amz-Date: 20260101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' \
    -d "{\"TableName\":\"$name\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"
}
export -f create_table

# How many groups the status JSON on stdin shows with a leader (other than $1, if given).
led_groups() {
  python3 -c '
import json, sys
status = json.load(sys.stdin)
dead = sys.argv[1] if len(sys.argv) > 1 else None
print(sum(1 for t in status["tables"] for p in t["partitions"]
          if p.get("leader") and p["leader"] != dead))' "$@"
}

CLUSTER_ARGS="${CLUSTER_ARGS:-} --table-partitions $partitions" start_cluster 18501 17501

echo "== creating $tables tables of $partitions partitions"
started=$(date +%s.%N)
seq 1 "$tables" | xargs -P 8 -I{} bash -c 'create_table http://127.0.0.$(( {} % 3 + 1 )):18501 table-{}'
echo "created in $(echo "$(date +%s.%N) - $started" | bc) s"
for _ in $(seq 1 600); do
  led=$(curl -fs http://127.0.0.1:18501/cluster/status | led_groups)
  [[ $led -ge $groups ]] && break
  sleep 0.5
done
echo "groups with a leader: $led of $groups"

sleep "$settle"
echo "== idle for $idle s"
before=()
for pid in "${pids[@]}"; do before+=("$(cpu_ticks "$pid")"); done
sleep "$idle"
total=0
for i in 0 1 2; do
  used=$(( $(cpu_ticks "${pids[$i]}") - before[i] ))
  total=$(( total + used ))
  echo "node $((i + 1)): $used ticks"
done
hz=$(getconf CLK_TCK)
echo "idle: $total ticks over $idle s = $(echo "scale=2; 100 * $total / $hz / $idle" | bc)% of one core (three processes)"

echo "== failover"
status=$(curl -fs http://127.0.0.1:18501/cluster/status)
# The node leading the most groups, and its index among 1-3.
victim=$(echo "$status" | python3 -c '
import json, sys, collections
status = json.load(sys.stdin)
count = collections.Counter(p["leader"] for t in status["tables"] for p in t["partitions"] if p.get("leader"))
leader, groups = count.most_common(1)[0]
index = next(i for i, m in enumerate(status["members"]) if m["node"] == leader)
addr = status["members"][index]["api_address"]
print(leader, groups, addr)')
read -r victim_id victim_groups victim_addr <<<"$victim"
victim_n=${victim_addr#127.0.0.}
victim_n=${victim_n%%:*}
survivor=$(( victim_n % 3 + 1 ))
echo "killing node $victim_n ($victim_id), leader of $victim_groups groups"
kill -9 "${pids[$((victim_n - 1))]}"
killed=$(date +%s.%N)
for _ in $(seq 1 600); do
  led=$(curl -fs -m 2 "http://127.0.0.$survivor:18501/cluster/status" | led_groups "$victim_id" || echo 0)
  [[ $led -ge $groups ]] && break
  sleep 0.1
done
echo "every group led by a live node after $(echo "$(date +%s.%N) - $killed" | bc) s ($led of $groups)"
