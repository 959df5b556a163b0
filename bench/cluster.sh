#!/usr/bin/env bash
# Several-node benchmark: aicc-chat as a cluster on one machine (three nodes, store.kind postgres,
# bus.kind redis) against one node, under the load generator (bench/loadgen), and the failover
# times of the cluster behind HAProxy. Starts its own private PostgreSQL and Redis
# (scripts/postgres-private.sh, scripts/redis-private.sh) and nodes (bench/peers/aicc.sh) on free
# loopback ports, runs the scenarios, stops everything (also on Ctrl-C), and writes the results
# and a Markdown report (bench/cluster-report.mjs).
#
#   bench/cluster.sh [--short|--full] [--out DIR] [--doc FILE] [--only LIST]
#
#   --short     a few minutes (default): 300 fan-out subscribers, load points at 10, 25 and 50 %,
#               100 rooms at 400, 1000 and 3000 messages/s, 3 failover trials
#   --full      longer: 1200 subscribers, load points up to 75 %, longer runs, 200 rooms, 10 trials
#   --out DIR   where the JSON results, meta.json, logs and cluster.md go (default
#               build/cluster-bench-results); the results of an earlier run there are replaced
#   --doc FILE  also write the report into FILE between <!-- cluster:begin --> and
#               <!-- cluster:end --> (docs/BENCHMARKS.md, section "Several nodes")
#   --only LIST some of fanout,redis,rooms,failover (default all)
#
# Builds nothing: expects build/aicc-chat and build/bench/aicc-loadgen (or AICC_BINARY and
# AICC_LOADGEN), PostgreSQL, redis-server, HAProxy and node (scripts/install-deps.sh --test).
# The report names the checkout's commit, or AICC_COMMIT when the binaries come from another one.
# SERVER_CPU (default 0) and LOADGEN_CPU (default 1) choose the cores: PostgreSQL, Redis and every
# node share the server core, whether one node or three carry the load, so a comparison is at the
# same hardware; the load generator has the other. The failover trials are not pinned (they
# measure seconds, not microseconds).
#
# Scenarios:
#   fanout    N subscribers on /topic/chat and one publisher on node1: all subscribers on node1
#             ("one node"), then spread over node1..node3 (aicc-loadgen --spread: "three nodes",
#             two thirds of the deliveries cross Redis), one right after the other at each point:
#             flat out (the maximum), then paced at fractions of one node's maximum. Every run also
#             reads Redis' INFO and the CPU time of the nodes and Redis before and after.
#   redis     three nodes at one publish rate with 2-3 subscriber counts: Redis PUBLISH calls and
#             bytes in and out per published message, which must not grow with the subscribers
#   rooms     the rooms scenario (customers and agents, stored messages) at three rates (the last
#             beyond what one node stores with PostgreSQL on a small machine) on node1
#             (PostgreSQL, Redis bus), spread over the three nodes, on a node with SQLite (local
#             bus), and on a node with PostgreSQL with synchronous_commit off (its own database,
#             local bus: where the time of a PostgreSQL commit goes)
#   failover  bench/failover.mjs: a node SIGKILLed under its clients (HAProxy, reconnections) and
#             the routing authority SIGKILLed with customers waiting (takeover, next assignment)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
started_at=$SECONDS
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)

mode=short
out=$repo/build/cluster-bench-results
doc=""
only=fanout,redis,rooms,failover
command_line="bench/cluster.sh${*:+ $*}"

usage() {
  sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
while (($# > 0)); do
  case "$1" in
    --short) mode=short ;;
    --full) mode=full ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --doc) doc=${2:?--doc needs a file}; shift ;;
    --only) only=${2:?--only needs a list}; shift ;;
    -h | --help) usage ;;
    *) echo "cluster-bench: unknown option $1" >&2; usage ;;
  esac
  shift
done
wanted() { [[ ",$only," == *",$1,"* ]]; }

say() { printf '[cluster-bench %4ds] %s\n' $((SECONDS - started_at)) "$*"; }
die() { echo "cluster-bench: $*" >&2; exit 1; }

aicc_binary=${AICC_BINARY:-$repo/build/aicc-chat}
loadgen=${AICC_LOADGEN:-$repo/build/bench/aicc-loadgen}
[[ -x "$aicc_binary" ]] || die "no aicc-chat at $aicc_binary: build it first (make build), or set AICC_BINARY"
[[ -x "$loadgen" ]] || die "no aicc-loadgen at $loadgen: build it first (make build), or set AICC_LOADGEN"
aicc_binary=$(cd "$(dirname "$aicc_binary")" && pwd)/$(basename "$aicc_binary")
loadgen=$(cd "$(dirname "$loadgen")" && pwd)/$(basename "$loadgen")
loadgen_help=$("$loadgen" --help 2>&1 || true)
grep -q -- '--spread' <<<"$loadgen_help" || die "$loadgen has no --spread: rebuild it"
for tool in node taskset curl psql redis-server redis-cli; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh --test)"
done
haproxy=$(command -v haproxy || true)
for candidate in /usr/sbin/haproxy /usr/local/sbin/haproxy; do
  if [[ -z "$haproxy" && -x "$candidate" ]]; then haproxy=$candidate; fi
done
if wanted failover && [[ -z "$haproxy" ]]; then die "haproxy is missing (scripts/install-deps.sh --cluster)"; fi
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
cpus=$(nproc --all)
((server_cpu < cpus && loadgen_cpu < cpus)) || die "needs cores $server_cpu and $loadgen_cpu; this machine has $cpus"

# --- sizes ---
if [[ "$mode" == short ]]; then
  fan_subs=300; fan_max_messages=2000; fan_fractions="0.1 0.25 0.5"; fan_seconds=5
  redis_subs="30 300 900"; redis_rate=100; redis_seconds=5
  rooms_n=200; rooms_rates="2 5 15"; rooms_hold=10
  failover_trials=3; failover_clients=600
  run_timeout=120
else
  fan_subs=1200; fan_max_messages=1000; fan_fractions="0.1 0.25 0.5 0.75"; fan_seconds=15
  redis_subs="30 300 1200"; redis_rate=100; redis_seconds=15
  rooms_n=400; rooms_rates="1 3 8"; rooms_hold=30
  failover_trials=10; failover_clients=1500
  run_timeout=300
fi
warmup_messages=500; warmup_rate=100

mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
rm -f "$out"/*.json "$out"/logs/*.log "$out/cluster.md"
work=$(mktemp -d "${TMPDIR:-/tmp}/aicc-cluster-bench.XXXXXX")
# PostgreSQL runs as its own user when this runs as root: its folder must not be inside $work.
pg_dir=$(mktemp -d /tmp/aicc-cluster-bench-pg.XXXXXX)

# --- free loopback ports, none of make cluster's (8080-8083, 15432, 16379) ---
taken=" 8080 8081 8082 8083 15432 16379 "
free_port() {
  local port=$1
  while [[ "$taken" == *" $port "* ]] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  taken+="$port "
  echo "$port"
}
pg_port=$(free_port 25432)
redis_port=$(free_port 26379)
node_ports=("$(free_port 28181)" "$(free_port 28182)" "$(free_port 28183)")
sqlite_port=$(free_port 28190)
async_port=$(free_port 28191)
node_url() { echo "ws://127.0.0.1:$1/ws"; }
node1_url=$(node_url "${node_ports[0]}")
spread_urls="$(node_url "${node_ports[0]}"),$(node_url "${node_ports[1]}"),$(node_url "${node_ports[2]}")"

# --- starting and stopping, with a trap that leaves nothing running ---
loadgen_pid=""
failover_pid=""
cleanup() {
  local status=$? dir
  trap - EXIT INT TERM
  if [[ -n "$loadgen_pid" ]]; then kill -TERM -- "-$loadgen_pid" 2>/dev/null || true; fi
  if [[ -n "$failover_pid" ]]; then
    # It stops what it started on SIGTERM; its private Redis servers are daemons, stopped here too
    # when it could not.
    kill -TERM -- "-$failover_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$failover_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$failover_pid" 2>/dev/null || true
    for dir in "$work"/failover-tmp/aicc-it-redis-*; do
      if [[ -d "$dir" ]]; then "$repo/scripts/redis-private.sh" stop "$dir" 2>/dev/null || true; fi
    done
  fi
  for dir in "$work"/*/; do
    if [[ -f "$dir/aicc-chat.pid" ]]; then "$repo/bench/peers/aicc.sh" stop "$dir" >/dev/null 2>&1 || true; fi
  done
  "$repo/scripts/redis-private.sh" stop "$work/redis" >/dev/null 2>&1 || true
  "$repo/scripts/postgres-private.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  if [[ -n "$loadgen_pid" ]]; then kill -KILL -- "-$loadgen_pid" 2>/dev/null || true; fi
  rm -rf "$work" "$pg_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'echo "cluster-bench: interrupted: stopping everything" >&2; exit 130' INT TERM

wait_ready() {  # PORT NAME: /health/ready answers 200 (the store and the bus are reachable)
  for _ in $(seq 1 150); do
    if curl -fs "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$2 on port $1 did not become ready"
}
holds_authority() { curl -fs "http://127.0.0.1:$1/metrics" 2>/dev/null | grep -q '^aicc_routing_authority 1$'; }
# start_node NAME PORT SETTINGS: bench/peers/aicc.sh pinned to the server core, with the shared
# JWT secret; prints its PID.
start_node() {
  local name=$1 port=$2 settings=$3 dir=$work/$1
  mkdir -p "$dir"
  cp "$work/jwt-secret" "$dir/jwt-secret"
  env TASKSET_CPU="$server_cpu" AICC_BINARY="$aicc_binary" AICC_PORT="$port" AICC_THREADS=1 \
    AICC_SETTINGS="$settings" "$repo/bench/peers/aicc.sh" start "$dir" || die "$name did not start"
}
node_pid() { "$repo/bench/peers/aicc.sh" pid "$work/$1"; }
stop_node() {
  "$repo/bench/peers/aicc.sh" stop "$work/$1" >/dev/null 2>&1 || true
  cp "$work/$1/aicc-chat.log" "$out/logs/$1.log" 2>/dev/null || true
}

say "PostgreSQL on port $pg_port, Redis on $redis_port, nodes on ${node_ports[*]} (pinned to core $server_cpu)"
# Default durability (fsync, synchronous_commit on): what a production database does.
pg_url=$(taskset -c "$server_cpu" "$repo/scripts/postgres-private.sh" start "$pg_dir" "$pg_port")
psql "$pg_url" -q -c "CREATE DATABASE aicc_async" >/dev/null
async_url="${pg_url%/aicc}/aicc_async?options=-csynchronous_commit%3Doff"
redis_url=$(taskset -c "$server_cpu" "$repo/scripts/redis-private.sh" start "$work/redis" "$redis_port")
redis_pid=$(cat "$work/redis/redis.pid")
(umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$work/jwt-secret")
secret=$(cat "$work/jwt-secret")

cluster_settings="store.kind=postgres store.postgres.url=$pg_url bus.kind=redis bus.redis.url=$redis_url"
node_pids=()
for i in 0 1 2; do
  node_pids+=("$(start_node "node$((i + 1))" "${node_ports[$i]}" "$cluster_settings")")
  wait_ready "${node_ports[$i]}" "node$((i + 1))"
  # node1 holds the routing authority: the rooms scenario's commands are decided where they come.
  if ((i == 0)); then
    for _ in $(seq 1 100); do holds_authority "${node_ports[0]}" && break; sleep 0.1; done
  fi
done
say "cluster up: node1..node3 as PIDs ${node_pids[*]}, node1 holds the routing authority"

# --- what a run costs outside the load generator: Redis' counters, CPU of the servers ---
redis_counters() {  # "PUBLISH calls, bytes in, bytes out" since Redis started
  redis-cli -p "$redis_port" INFO all | tr -d '\r' | awk -F'[:,=]' '
    /^cmdstat_publish:/ { calls = $3 }
    /^total_net_input_bytes:/ { input = $2 }
    /^total_net_output_bytes:/ { output = $2 }
    END { printf "%d %d %d\n", calls, input, output }'
}
cpu_seconds() {  # user + system CPU seconds of the given PIDs together
  local pid total=0 ticks
  ticks=$(getconf CLK_TCK)
  for pid in "$@"; do
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  awk -v t="$total" -v k="$ticks" 'BEGIN { printf "%.2f\n", t / k }'
}
now() { date +%s.%N; }
# Sets variable $1 to the user + system CPU seconds of this shell's waited-for children (the load
# generators): `times` runs in this shell itself, as a command substitution would be a new process
# with no children yet.
children_cpu() {
  times >"$work/times"
  printf -v "$1" '%s' "$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
    printf "%.2f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")"
}
# The routing authority: the highest epoch any node reports, the name of the node holding it
# ("none" while none does), and how many times the nodes lost it so far (a lease that ran out, or
# taken by another node). A run that moves it says so in its result.
authority_state() {
  local i text holder=none epoch=0 e lost=0 l
  for i in 0 1 2; do
    text=$(curl -fs --max-time 2 "http://127.0.0.1:${node_ports[$i]}/metrics" 2>/dev/null || true)
    e=$(sed -n 's/^aicc_routing_authority_epoch \([0-9]*\)$/\1/p' <<<"$text")
    if [[ -n "$e" ]] && ((e > epoch)); then epoch=$e; fi
    if grep -q '^aicc_routing_authority 1$' <<<"$text"; then holder=node$((i + 1)); fi
    l=$(sed -n 's/^aicc_errors_total{kind="routing_authority_lost"} \([0-9]*\)$/\1/p' <<<"$text")
    lost=$((lost + ${l:-0}))
  done
  echo "$epoch $holder $lost"
}
# Before a run: one node has held the routing authority for 4 s, longer than its lease (3 s). After
# a run that overloaded the store, the nodes may still be working off what queued up, and a lease
# may run out (bench/BENCHMARKS.md, "Several nodes"): the next run does not start in the middle.
wait_for_authority() {
  local state last="" same=0
  for _ in $(seq 1 60); do
    state=$(authority_state)
    if [[ "$state" != *" none "* && "$state" == "$last" ]]; then same=$((same + 1)); else same=0; fi
    last=$state
    ((same >= 8)) && return 0
    sleep 0.5
  done
  say "warning: the routing authority did not settle within 30 s (last: $last)"
}

# --- running the load generator ---
json_get() {  # FILE FIELD: a field of a JSON object, empty when missing
  node -e 'try { const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
    process.stdout.write(v === undefined || v === null ? "" : String(v)); } catch { }' "$1" "$2"
}
annotate() {  # FILE KEY=VALUE...: adds what this script knows to a result
  node -e '
    const fs = require("fs");
    const [file, ...pairs] = process.argv.slice(1);
    let data = {};
    try { data = JSON.parse(fs.readFileSync(file, "utf8")); } catch { data = { error: "no result written" }; }
    for (const pair of pairs) {
      const at = pair.indexOf("=");
      const raw = pair.slice(at + 1);
      data[pair.slice(0, at)] = raw !== "" && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
    }
    fs.writeFileSync(file, JSON.stringify(data, null, 1) + "\n");
  ' "$@"
}
summarize() {
  # shellcheck disable=SC2016  # JavaScript template literals, not shell expansions
  node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const f = (k, unit = "", digits = 0) => (typeof d[k] === "number" ? `${k} ${d[k].toFixed(digits)}${unit}` : null);
    console.log([f("connected"), f("failed"), f("deliveredPerSecond", "/s"), f("latencyP50Ms", " ms", 2),
      f("latencyP99Ms", " ms", 2), f("otherNodesLatencyP50Ms", " ms", 2), f("otherNodesLatencyP99Ms", " ms", 2),
      f("redisPublishCalls"), d.error ? `error: ${d.error}` : null].filter(Boolean).join(", "));
  ' "$1"
}
# run_loadgen NAME KEY=VALUE... -- ARGS...: one run of the load generator, pinned and bounded in
# time, with Redis' counters and the servers' CPU read before and after; the KEY=VALUE pairs go
# into its result (out/NAME.json).
run_loadgen() {
  local name=$1 json log status=0 before after cpu_before cpu_after began ended
  shift
  local notes=()
  while [[ "$1" != -- ]]; do notes+=("$1"); shift; done
  shift
  json=$out/$name.json
  log=$out/logs/$name.log
  rm -f "$json"
  say "$name: aicc-loadgen $*"
  local authority_before authority_after loadgen_cpu_before loadgen_cpu_after redis_cpu_before
  if [[ "$name" == rooms-* ]]; then wait_for_authority; fi
  authority_before=$(authority_state)
  before=$(redis_counters)
  cpu_before=$(cpu_seconds "${node_pids[@]}")
  redis_cpu_before=$(cpu_seconds "$redis_pid")
  began=$(now)
  children_cpu loadgen_cpu_before
  setsid taskset -c "$loadgen_cpu" timeout -k 10 $((run_timeout + 60)) "$loadgen" --jwt-secret "$secret" \
    --timeout "$run_timeout" --json "$json" --label "$name" "$@" </dev/null >"$log" 2>&1 &
  loadgen_pid=$!
  wait "$loadgen_pid" || status=$?
  loadgen_pid=""
  children_cpu loadgen_cpu_after
  ended=$(now)
  after=$(redis_counters)
  authority_after=$(authority_state)
  cpu_after=$(cpu_seconds "${node_pids[@]}")
  read -r -a b <<<"$before"
  read -r -a a <<<"$after"
  annotate "$json" name="$name" exitCode="$status" wallSeconds="$(awk -v a="$began" -v b="$ended" 'BEGIN { printf "%.3f", b - a }')" \
    redisPublishCalls=$((a[0] - b[0])) redisNetInputBytes=$((a[1] - b[1])) redisNetOutputBytes=$((a[2] - b[2])) \
    clusterCpuSeconds="$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN { printf "%.2f", b - a }')" \
    redisCpuSeconds="$(awk -v a="$redis_cpu_before" -v b="$(cpu_seconds "$redis_pid")" 'BEGIN { printf "%.2f", b - a }')" \
    loadgenCpuSeconds="$(awk -v a="$loadgen_cpu_before" -v b="$loadgen_cpu_after" 'BEGIN { printf "%.2f", b - a }')" \
    authorityBefore="${authority_before% *}" authorityAfter="${authority_after% *}" \
    authorityLosses=$((${authority_after##* } - ${authority_before##* })) "${notes[@]}"
  if ((status != 0)); then
    say "$name: exit status $status (see $log): $(summarize "$json")"
  else
    say "$name: $(summarize "$json")"
  fi
}
# A fan-out run: WHERE is one (every subscriber on node1) or three (spread over node1..node3).
fanout() {  # NAME WHERE SUBSCRIBERS MESSAGES RATE KEY=VALUE...
  local name=$1 where=$2 subs=$3 messages=$4 rate=$5
  shift 5
  local spread=()
  [[ "$where" == three ]] && spread=(--spread "$spread_urls")
  run_loadgen "$name" scenario=fanout nodes="$where" offeredPublishRate="$rate" "$@" -- \
    --url "$node1_url" "${spread[@]}" --server-pid "$(node_pid node1)" --scenario fanout \
    --connections "$subs" --messages "$messages" --rate "$rate"
}
messages_for() {  # RATE SECONDS: at least 5 messages and 2000 deliveries
  local n=$(($1 * $2)) floor=$(((2000 + fan_subs - 1) / fan_subs))
  ((floor >= 5)) || floor=5
  ((n >= floor)) || n=$floor
  echo "$n"
}

# Redis' own PUBLISH calls while nothing runs (presence heartbeats, one a second per node): the
# per-message figures take them out.
say "Redis at rest: counting its background PUBLISH calls for 5 s"
rest_before=$(redis_counters)
rest_began=$(now)
sleep 5
rest_after=$(redis_counters)
read -r -a rb <<<"$rest_before"
read -r -a ra <<<"$rest_after"
redis_rest_rate=$(awk -v c=$((ra[0] - rb[0])) -v a="$rest_began" -v b="$(now)" 'BEGIN { printf "%.3f", c / (b - a) }')
redis_rest_bytes_in=$(awk -v c=$((ra[1] - rb[1])) -v a="$rest_began" -v b="$(now)" 'BEGIN { printf "%.1f", c / (b - a) }')
redis_rest_bytes_out=$(awk -v c=$((ra[2] - rb[2])) -v a="$rest_began" -v b="$(now)" 'BEGIN { printf "%.1f", c / (b - a) }')
say "Redis at rest: $redis_rest_rate PUBLISH/s, $redis_rest_bytes_in B/s in, $redis_rest_bytes_out B/s out"

# --- fan-out: one node against three, same subscribers, same publisher ---
if wanted fanout; then
  for where in one three; do
    fanout "warmup-$where" "$where" "$fan_subs" "$warmup_messages" "$warmup_rate" phase=warmup >/dev/null
    mv "$out/warmup-$where.json" "$out/logs/" 2>/dev/null || true
  done
  declare -A max_rate
  for where in one three; do
    fanout "fanout-$where-max" "$where" "$fan_subs" "$fan_max_messages" 0 phase=max
    delivered=$(json_get "$out/fanout-$where-max.json" deliveredPerSecond)
    max_rate[$where]=$(node -e 'console.log(Math.floor((Number(process.argv[1]) || 0) / process.argv[2]))' "$delivered" "$fan_subs")
  done
  one_max=${max_rate[one]}
  ((one_max > 0)) || die "the flat-out run on one node delivered nothing (see $out/logs/fanout-one-max.log)"
  say "one node's maximum: $one_max messages/s published to $fan_subs subscribers; load points at $fan_fractions of it"
  for fraction in $fan_fractions; do
    rate=$(node -e 'console.log(Math.max(1, Math.round(process.argv[1] * process.argv[2])))' "$one_max" "$fraction")
    percent=$(node -e 'console.log(Math.round(process.argv[1] * 100))' "$fraction")
    messages=$(messages_for "$rate" "$fan_seconds")
    for where in one three; do
      fanout "fanout-$where-$percent" "$where" "$fan_subs" "$messages" "$rate" phase=ladder fraction="$fraction"
    done
  done
fi

# --- Redis traffic per publish against the number of subscribers ---
if wanted redis; then
  # Each count twice: with one message (connections, subscriptions and one publish) and with many;
  # the difference is what the publishing costs.
  for subs in $redis_subs; do
    fanout "redis-three-$subs-base" three "$subs" 1 "$redis_rate" phase=redis-base
    fanout "redis-three-$subs" three "$subs" $((redis_rate * redis_seconds)) "$redis_rate" phase=redis
  done
fi

# --- rooms: PostgreSQL against SQLite ---
if wanted rooms; then
  node_pids_saved=("${node_pids[@]}")
  start_node sqlite "$sqlite_port" "" >/dev/null
  start_node postgres-async "$async_port" "store.kind=postgres store.postgres.url=$async_url" >/dev/null
  wait_ready "$async_port" postgres-async
  # store|URL|spread|node
  # node1 alone last: at the higher rate it is the one the store holds back most.
  targets=(
    "sqlite|$(node_url "$sqlite_port")||sqlite"
    "postgres-async|$(node_url "$async_port")||postgres-async"
    "postgres-three|$node1_url|$spread_urls|node1"
    "postgres|$node1_url||node1"
  )
  for rate in $rooms_rates; do
    for target in "${targets[@]}"; do
      IFS='|' read -r store url spread node <<<"$target"
      # The CPU figure is the node's (or the three nodes') that carried the rooms.
      if [[ "$store" == postgres* && "$store" != postgres-async ]]; then node_pids=("${node_pids_saved[@]}"); else node_pids=("$(node_pid "$node")"); fi
      args=(--url "$url" --server-pid "$(node_pid "$node")" --scenario rooms --connections "$rooms_n" --rate "$rate" --hold "$rooms_hold")
      [[ -n "$spread" ]] && args+=(--spread "$spread")
      run_loadgen "rooms-$store-r$rate" scenario=rooms store="$store" offeredMessagesPerSecond=$((rooms_n * rate)) -- "${args[@]}"
    done
  done
  node_pids=("${node_pids_saved[@]}")
  stop_node sqlite
  stop_node postgres-async
fi

for i in 1 2 3; do stop_node "node$i"; done

# --- failover: a cluster of its own per trial, behind HAProxy ---
if wanted failover; then
  say "failover: $failover_trials trials of their own clusters (bench/failover.mjs)"
  mkdir -p "$work/failover-tmp"
  setsid env TMPDIR="$work/failover-tmp" AICC_BINARY="$aicc_binary" node "$repo/bench/failover.mjs" \
    --postgres "$pg_url" --trials "$failover_trials" --clients "$failover_clients" \
    --json "$out/failover.json" </dev/null > >(tee "$out/logs/failover.log") 2>&1 &
  failover_pid=$!
  status=0
  wait "$failover_pid" || status=$?
  failover_pid=""
  ((status == 0)) || say "failover: exit status $status (see $out/logs/failover.log)"
fi

# --- what the report says about the run ---
git_commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then git_commit+=" (with local changes)"; fi
git_commit=${AICC_COMMIT:-$git_commit}
META_COMMAND=$command_line META_MODE=$mode META_DURATION=$((SECONDS - started_at)) META_COMMIT=$git_commit \
META_SERVER_CPU=$server_cpu META_LOADGEN_CPU=$loadgen_cpu META_LOAD_AT_START=$load_at_start \
META_FAN_SUBS=$fan_subs META_FAN_FRACTIONS=$fan_fractions META_FAN_SECONDS=$fan_seconds \
META_REDIS_RATE=$redis_rate META_REDIS_REST_RATE=$redis_rest_rate META_REDIS_REST_BYTES_IN=$redis_rest_bytes_in \
META_REDIS_REST_BYTES_OUT=$redis_rest_bytes_out META_ROOMS_N=$rooms_n META_ROOMS_HOLD=$rooms_hold \
META_FAILOVER_TRIALS=$failover_trials META_FAILOVER_CLIENTS=$failover_clients \
META_AICC_VERSION="$("$aicc_binary" --version 2>/dev/null | head -1 || true)" \
META_POSTGRES_VERSION="$(psql "$pg_url" -tAc 'SHOW server_version' 2>/dev/null || true)" \
META_REDIS_VERSION="$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')" \
META_HAPROXY_VERSION="$("${haproxy:-haproxy}" -v 2>/dev/null | head -1 | awk '{ print $3 }' || true)" \
  node "$repo/bench/cluster-meta.mjs" >"$out/meta.json"

report_args=(--results "$out" --out "$out/cluster.md")
[[ -n "$doc" ]] && report_args+=(--doc "$doc")
node "$repo/bench/cluster-report.mjs" "${report_args[@]}"
say "results in $out (cluster.md)${doc:+; report written into $doc}"
say "done in $((SECONDS - started_at)) s"
