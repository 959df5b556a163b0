#!/usr/bin/env bash
# Side-by-side benchmark: aicc-chat, RabbitMQ (rabbitmq_web_stomp) and ActiveMQ Classic (STOMP over
# TCP) under the same load generator and the same scenarios, one server at a time, the server
# pinned to one core and the load generator to another, then docs/BENCHMARKS.md from the results.
#
#   bench/side-by-side.sh [--short|--full] [--out DIR] [--servers aicc,rabbitmq,activemq]
#                         [--doc FILE] [--plot FILE]
#
#   --short     a few minutes: 2000 idle connections, 100 fan-out subscribers, 3 load points (default)
#   --full      the documented run: up to 19000 idle connections (descriptor limit permitting),
#               1000 subscribers, 6 load points, longer runs
#   --out DIR   where the JSON results, meta.json and logs go (default build/bench-results);
#               the JSON files and logs of an earlier run there are replaced
#   --servers   which servers to run (default all three)
#   --doc/--plot  the Markdown and SVG written by bench/report.mjs
#                 (default docs/BENCHMARKS.md and docs/bench-latency.svg)
#
# Builds nothing: expects build/aicc-chat and build/bench/aicc-loadgen (or AICC_BINARY and
# AICC_LOADGEN), and the peers installed (bench/peers/install.sh, or scripts/install-deps.sh --bench).
# SERVER_CPU (default 0) and LOADGEN_CPU (default 1) choose the two cores. Every server it starts is
# stopped when it ends, also on Ctrl-C.
#
# Scenarios, for each server (each with the transport it is compared over):
#   idle     N connections with heart-beats, held: server RSS growth per connection
#   fanout   subscribers on one topic, one publisher: first flat out (the maximum delivered
#            messages/s), then at fractions of that maximum (latency against load), and at one
#            common rate, the same for every server (a quarter of the slowest server's maximum);
#            each (re)started server first gets an unreported warm-up run
#   storm    connections as fast as they come, then the server restarted under them (reconnects)
#   rooms    aicc-chat only: its customer/agent rooms
#   durable  producers send persistent messages with a receipt each (one waiting at a time),
#            consumers receive them: aicc-chat's room messages (stored before the RECEIPT) against
#            RabbitMQ's durable queues and ActiveMQ's KahaDB (restarted with persistence on)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
peers=$repo/bench/peers
started_at=$SECONDS
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)

mode=short
out=$repo/build/bench-results
doc=$repo/docs/BENCHMARKS.md
plot=$repo/docs/bench-latency.svg
servers_wanted=aicc,rabbitmq,activemq
command_line="bench/side-by-side.sh${*:+ $*}"

usage() {
  sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
while (($# > 0)); do
  case "$1" in
    --short) mode=short ;;
    --full) mode=full ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --servers) servers_wanted=${2:?--servers needs a list}; shift ;;
    --doc) doc=${2:?--doc needs a file}; shift ;;
    --plot) plot=${2:?--plot needs a file}; shift ;;
    -h | --help) usage ;;
    *) echo "side-by-side: unknown option $1" >&2; usage ;;
  esac
  shift
done

say() { printf '[side-by-side %4ds] %s\n' $((SECONDS - started_at)) "$*"; }
die() { echo "side-by-side: $*" >&2; exit 1; }

aicc_binary=${AICC_BINARY:-$repo/build/aicc-chat}
loadgen=${AICC_LOADGEN:-$repo/build/bench/aicc-loadgen}
[[ -x "$aicc_binary" ]] || die "no aicc-chat at $aicc_binary: build it first (make build), or set AICC_BINARY"
[[ -x "$loadgen" ]] || die "no aicc-loadgen at $loadgen: build it first (make build), or set AICC_LOADGEN"
aicc_binary=$(cd "$(dirname "$aicc_binary")" && pwd)/$(basename "$aicc_binary")
loadgen=$(cd "$(dirname "$loadgen")" && pwd)/$(basename "$loadgen")
command -v node >/dev/null || die "node is missing (scripts/install-deps.sh)"
command -v taskset >/dev/null || die "taskset is missing (Debian package util-linux)"
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
cpus=$(nproc --all)
((server_cpu < cpus && loadgen_cpu < cpus)) || die "needs cores $server_cpu and $loadgen_cpu; this machine has $cpus"
[[ "$server_cpu" != "$loadgen_cpu" ]] || echo "side-by-side: warning: server and load generator share core $server_cpu" >&2

mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
rm -f "$out"/*.json "$out"/logs/*.log
work=$(mktemp -d "${TMPDIR:-/tmp}/aicc-side-by-side.XXXXXX")

# --- what the load generator at hand can do (its CLI is growing) ---
loadgen_help=$("$loadgen" --help 2>&1 || true)
has() { grep -q -- "$1" <<<"$loadgen_help"; }
scenario_supported() { grep -qE -- "--scenario [a-z|]*$1" <<<"$loadgen_help"; }
peers_supported=false
if has '--target'; then peers_supported=true; fi

# --- sizes ---
fd_limit=$(ulimit -Hn)
if [[ "$mode" == short ]]; then
  idle_n=2000; idle_ramp=200; idle_hold=3
  fan_subs=100; fan_max_messages=2000; fan_fractions="0.25 0.5 0.75"; fan_seconds=3
  warmup_messages=500; warmup_rate=100
  storm_n=1000; rooms_n=200; rooms_rate=1; rooms_hold=5; run_timeout=120
  durable_sizes="200"; durable_hold=5
else
  idle_n=19000; idle_ramp=150; idle_hold=10
  fan_subs=1000; fan_max_messages=1000; fan_fractions="0.1 0.25 0.5 0.75 0.9"; fan_seconds=15
  warmup_messages=200; warmup_rate=10
  storm_n=5000; rooms_n=300; rooms_rate=1; rooms_hold=30; run_timeout=600
  durable_sizes="200 2000"; durable_hold=15
fi
# The server holds every connection as a descriptor, plus its own files: keep a margin.
if ((idle_n > fd_limit - 500)); then idle_n=$((fd_limit - 500)); fi
if ((storm_n > fd_limit - 500)); then storm_n=$((fd_limit - 500)); fi
# RabbitMQ refuses connections beyond 90 % of its descriptor limit, less 100 it keeps for files
# (its "file descriptor limit alarm"): it gets fewer idle connections, with a margin.
idle_connections_for() {
  local n=$idle_n cap
  if [[ "$1" == rabbitmq ]]; then
    cap=$(((fd_limit - 100) * 9 / 10 - 400))
    cap=$((cap / 500 * 500))
    if ((n > cap)); then n=$cap; fi
  fi
  echo "$n"
}
# One load generator process holds connections/P descriptors.
processes_for() { echo $(((($1 + 100) + (fd_limit - 200) - 1) / (fd_limit - 200))); }

# --- the servers and the transports they are measured over ---
# server|script|display name|transport|url-template
targets=()
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}
aicc_port=$(free_port 18080)
aicc_tcp_port=""
IFS=, read -r -a servers <<<"$servers_wanted"
for server in "${servers[@]}"; do
  case "$server" in
    aicc)
      targets+=("aicc|ws|ws://127.0.0.1:$aicc_port/ws")
      if "$aicc_binary" --help-config 2>/dev/null | grep -q '^stomp\.tcp-port' && has '--transport'; then
        aicc_tcp_port=$(free_port $((aicc_port + 1)))
        targets+=("aicc|tcp|tcp://127.0.0.1:$aicc_tcp_port")
      fi
      ;;
    rabbitmq | activemq)
      if [[ "$peers_supported" != true ]]; then
        echo "side-by-side: warning: this aicc-loadgen has no --target: $server is not run" >&2
        continue
      fi
      if [[ "$server" == rabbitmq ]] && ! [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
        echo "side-by-side: warning: RabbitMQ is not installed (bench/peers/install.sh): not run" >&2
        continue
      fi
      if [[ "$server" == activemq ]] && ! [[ -f /usr/share/activemq/bin/activemq.jar ]]; then
        echo "side-by-side: warning: ActiveMQ is not installed (bench/peers/install.sh): not run" >&2
        continue
      fi
      if [[ "$server" == rabbitmq ]]; then
        targets+=("rabbitmq|ws|ws://127.0.0.1:${RABBITMQ_WEB_STOMP_PORT:-15674}/ws")
      else
        targets+=("activemq|tcp|tcp://127.0.0.1:${ACTIVEMQ_STOMP_PORT:-61614}")
      fi
      ;;
    *) die "unknown server $server (aicc, rabbitmq, activemq)" ;;
  esac
done
((${#targets[@]} > 0)) || die "no server to run"
run_servers=()
for target in "${targets[@]}"; do
  server=${target%%|*}
  [[ " ${run_servers[*]} " == *" $server "* ]] || run_servers+=("$server")
done

# --- starting and stopping, with a trap that leaves nothing running ---
loadgen_pid=""
server_script() { echo "$peers/$1.sh"; }
server_dir() { echo "$work/$1"; }
cleanup() {
  local status=$? server
  trap - EXIT INT TERM
  if [[ -n "$loadgen_pid" ]]; then kill -TERM -- "-$loadgen_pid" 2>/dev/null || true; fi
  for server in "${run_servers[@]}"; do
    if [[ -d "$(server_dir "$server")" ]]; then
      "$(server_script "$server")" stop "$(server_dir "$server")" >/dev/null 2>&1 || true
    fi
  done
  if [[ -n "$loadgen_pid" ]]; then kill -KILL -- "-$loadgen_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'echo "side-by-side: interrupted: stopping the servers" >&2; exit 130' INT TERM

# Environment of the server scripts (ports, binary, pinning).
server_env=(
  TASKSET_CPU="$server_cpu" AICC_BINARY="$aicc_binary" AICC_PORT="$aicc_port" AICC_TCP_PORT="$aicc_tcp_port"
  AICC_THREADS=1
)
start_server() {
  local server=$1 pid
  say "starting $server (pinned to core $server_cpu)"
  if ! pid=$(env "${server_env[@]}" "$(server_script "$server")" start "$(server_dir "$server")"); then
    echo "side-by-side: $server did not start" >&2
    return 1
  fi
  say "$server runs as PID $pid"
}
restart_server() {
  local server=$1
  env "${server_env[@]}" "$(server_script "$server")" restart "$(server_dir "$server")" >/dev/null
}
stop_server() {
  local server=$1 pass=$2 log
  say "stopping $server"
  "$(server_script "$server")" stop "$(server_dir "$server")" || true
  # Keep the server's logs of this pass beside the results (the next pass starts them anew).
  while IFS= read -r log; do
    cp "$log" "$out/logs/$server-pass$pass-$(basename "$log")" 2>/dev/null || true
    : >"$log"
  done < <(find "$(server_dir "$server")" -name '*.log' -size -50M 2>/dev/null)
}
server_pid() { "$(server_script "$1")" pid "$(server_dir "$1")"; }
restart_command() {
  printf 'env TASKSET_CPU=%q AICC_BINARY=%q %q restart %q' "$server_cpu" "$aicc_binary" \
    "$(server_script "$1")" "$(server_dir "$1")"
}

# --- running the load generator ---
json_get() {  # FILE FIELD: a field of a JSON object, empty when missing
  node -e 'try { const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
    process.stdout.write(v === undefined || v === null ? "" : String(v)); } catch { }' "$1" "$2"
}
# Completes a result file with what this script knows (and the loadgen may not write yet).
annotate() {  # FILE NAME KEY=VALUE...
  node -e '
    const fs = require("fs");
    const [file, name, ...pairs] = process.argv.slice(1);
    let data = {};
    try { data = JSON.parse(fs.readFileSync(file, "utf8")); } catch { data = { error: "no result written" }; }
    for (const pair of pairs) {
      const at = pair.indexOf("=");
      const key = pair.slice(0, at), raw = pair.slice(at + 1);
      const value = raw !== "" && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
      // The load generator knows its own figures best; this script knows the setting.
      if (["server", "run", "exitCode", "offeredPublishRate", "phase"].includes(key) || !(key in data)) data[key] = value;
    }
    data.name = name;
    fs.writeFileSync(file, JSON.stringify(data, null, 1) + "\n");
  ' "$@"
}
# run_loadgen NAME SERVER TRANSPORT URL SCENARIO ARGS...: one run, pinned, bounded in time.
run_loadgen() {
  local name=$1 server=$2 transport=$3 url=$4 scenario=$5
  shift 5
  local json=${json_dir:-$out}/$name.json log=$out/logs/$name.log status=0 pid args=()
  pid=$(server_pid "$server" 2>/dev/null || true)
  args=(--url "$url" --scenario "$scenario" --timeout "$run_timeout" --json "$json")
  [[ -n "$pid" ]] && args+=(--server-pid "$pid")
  if has '--target'; then args+=(--target "$server"); fi
  if has '--transport'; then args+=(--transport "$transport"); fi
  if has '--label'; then args+=(--label "$name"); fi
  if has '--heartbeat-ms'; then args+=(--heartbeat-ms 10000); fi
  case "$server" in
    aicc) args+=(--jwt-secret "$(cat "$(server_dir aicc)/jwt-secret")" --jwt-issuer aicc-chat) ;;
    rabbitmq) args+=(--login "${PEER_LOGIN:-bench}" --passcode "${PEER_PASSCODE:-bench}" --vhost /) ;;
    activemq) args+=(--login "${PEER_LOGIN:-bench}" --passcode "${PEER_PASSCODE:-bench}") ;;
  esac
  args+=("$@")
  rm -f "$json"
  say "$name: aicc-loadgen --scenario $scenario $* (pinned to core $loadgen_cpu)"
  # Its own session, so the trap can end it and whatever it forks in one go.
  setsid taskset -c "$loadgen_cpu" timeout -k 10 $((run_timeout + 60)) "$loadgen" "${args[@]}" \
    </dev/null >"$log" 2>&1 &
  loadgen_pid=$!
  wait "$loadgen_pid" || status=$?
  loadgen_pid=""
  annotate "$json" "$name" scenario="$scenario" target="$server" transport="$transport" label="$name" \
    server="$server" exitCode="$status" "${annotations[@]}"
  annotations=()
  summarize "$json" "$name" "$status"
}
annotations=()
# An unreported fan-out run after each (re)start: JIT compilers (ActiveMQ's JVM) and caches warm
# up before the runs that count.
warm_up() {  # SERVER TRANSPORT URL
  annotations=(phase=warmup)
  json_dir=$out/logs run_loadgen "warmup-$1-$2" "$1" "$2" "$3" fanout \
    --connections "$fan_subs" --messages "$warmup_messages" --rate "$warmup_rate" "${extra[@]}"
}
summarize() {
  local json=$1 name=$2 status=$3 line
  # shellcheck disable=SC2016  # JavaScript template literals, not shell expansions
  line=$(node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const f = (k, unit = "", digits = 0) => (typeof d[k] === "number" ? `${k} ${d[k].toFixed(digits)}${unit}` : null);
    console.log([f("connected"), f("failed"), f("serverBytesPerConnection", " B"), f("deliveredPerSecond", "/s"),
      f("latencyP50Ms", " ms", 2), f("latencyP99Ms", " ms", 2), f("connectionsPerSecond", "/s"),
      f("reconnectSeconds", " s", 2), d.error ? `error: ${d.error}` : null].filter(Boolean).join(", "));
  ' "$json")
  if ((status != 0)); then
    say "$name: exit status $status (see $out/logs/$name.log): $line"
  else
    say "$name: $line"
  fi
}

flag_if() {  # prints "FLAG VALUE" when the load generator knows FLAG
  if has "$1"; then printf '%s\n%s\n' "$1" "$2"; fi
}
scale_args() {  # connection-count flags for N connections
  local n=$1
  if has '--source-addresses'; then printf '%s\n%s\n' --source-addresses 16; fi
  if has '--processes'; then printf '%s\n%s\n' --processes "$(processes_for "$n")"; fi
}

# A fan-out run has at least 2000 deliveries (latency samples) and 5 messages.
min_messages() {
  local messages=$1 floor=$(((2000 + fan_subs - 1) / fan_subs))
  ((floor >= 5)) || floor=5
  ((messages >= floor)) || messages=$floor
  echo "$messages"
}

# --- pass 1: memory per connection and the flat-out fan-out, each on a fresh server ---
declare -A max_publish_rate
for server in "${run_servers[@]}"; do
  start_server "$server" || continue
  first=true
  for target in "${targets[@]}"; do
    IFS='|' read -r t_server transport url <<<"$target"
    [[ "$t_server" == "$server" ]] || continue
    key=$server-$transport
    if [[ "$first" != true ]]; then restart_server "$server"; fi
    first=false
    connections=$(idle_connections_for "$server")
    mapfile -t extra < <(scale_args "$connections")
    annotations=(phase=idle)
    run_loadgen "$key-idle" "$server" "$transport" "$url" idle \
      --connections "$connections" --ramp "$idle_ramp" --hold "$idle_hold" "${extra[@]}"
    restart_server "$server"
    mapfile -t extra < <(scale_args "$fan_subs")
    warm_up "$server" "$transport" "$url"
    annotations=(phase=max offeredPublishRate=0)
    run_loadgen "$key-fanout-max" "$server" "$transport" "$url" fanout \
      --connections "$fan_subs" --messages "$fan_max_messages" --rate 0 "${extra[@]}"
    delivered=$(json_get "$out/$key-fanout-max.json" deliveredPerSecond)
    subscribers=$(json_get "$out/$key-fanout-max.json" subscribers)
    if [[ -n "$delivered" && -n "$subscribers" && "$subscribers" != 0 ]]; then
      max_publish_rate[$key]=$(node -e 'console.log(Math.floor(process.argv[1] / process.argv[2]))' "$delivered" "$subscribers")
    fi
  done
  stop_server "$server" 1
done

# The common offered load: a quarter of the slowest server's flat-out publish rate (servers batch
# when flooded: what they sustain when paced is less than their flat-out figure).
common_rate=""
for key in "${!max_publish_rate[@]}"; do
  rate=${max_publish_rate[$key]}
  ((rate > 0)) || continue
  if [[ -z "$common_rate" ]] || ((rate / 4 < common_rate)); then common_rate=$((rate / 4)); fi
done
if [[ -n "$common_rate" ]] && ((common_rate < 1)); then common_rate=1; fi
say "common offered load: ${common_rate:-none} messages/s published to $fan_subs subscribers"

# --- pass 2: latency against load, connection storm with a restart, rooms ---
for server in "${run_servers[@]}"; do
  start_server "$server" || continue
  for target in "${targets[@]}"; do
    IFS='|' read -r t_server transport url <<<"$target"
    [[ "$t_server" == "$server" ]] || continue
    key=$server-$transport
    mapfile -t extra < <(scale_args "$fan_subs")
    warm_up "$server" "$transport" "$url"
    max=${max_publish_rate[$key]:-}
    if [[ -n "$max" ]] && ((max > 0)); then
      for fraction in $fan_fractions; do
        rate=$(node -e 'console.log(Math.max(1, Math.round(process.argv[1] * process.argv[2])))' "$max" "$fraction")
        messages=$(min_messages $((rate * fan_seconds)))
        percent=$(node -e 'console.log(Math.round(process.argv[1] * 100))' "$fraction")
        annotations=(phase=ladder offeredPublishRate="$rate" fraction="$fraction")
        run_loadgen "$key-fanout-$percent" "$server" "$transport" "$url" fanout \
          --connections "$fan_subs" --messages "$messages" --rate "$rate" "${extra[@]}"
      done
    fi
    if [[ -n "$common_rate" ]]; then
      messages=$(min_messages $((common_rate * fan_seconds)))
      annotations=(phase=common offeredPublishRate="$common_rate")
      run_loadgen "$key-fanout-common" "$server" "$transport" "$url" fanout \
        --connections "$fan_subs" --messages "$messages" --rate "$common_rate" "${extra[@]}"
    fi
  done
  if scenario_supported storm; then
    for target in "${targets[@]}"; do
      IFS='|' read -r t_server transport url <<<"$target"
      [[ "$t_server" == "$server" ]] || continue
      mapfile -t extra < <(scale_args "$storm_n")
      mapfile -t restart < <(flag_if '--restart-command' "$(restart_command "$server")")
      annotations=(phase=storm)
      rm -f "$(server_dir "$server")/last-restart-seconds"
      run_loadgen "$server-$transport-storm" "$server" "$transport" "$url" storm \
        --connections "$storm_n" "${extra[@]}" "${restart[@]}"
      if [[ -f "$(server_dir "$server")/last-restart-seconds" ]]; then
        annotate "$out/$server-$transport-storm.json" "$server-$transport-storm" \
          restartSeconds="$(cat "$(server_dir "$server")/last-restart-seconds")"
      fi
      # A restart leaves a new process: make sure it is up before the next scenario.
      server_pid "$server" >/dev/null 2>&1 || start_server "$server" || true
    done
  fi
  if [[ "$server" == aicc ]] && scenario_supported rooms; then
    mapfile -t extra < <(scale_args "$rooms_n")
    annotations=(phase=rooms)
    run_loadgen "aicc-ws-rooms" aicc ws "ws://127.0.0.1:$aicc_port/ws" rooms \
      --connections "$rooms_n" --rate "$rooms_rate" --hold "$rooms_hold" "${extra[@]}"
  fi
  stop_server "$server" 2
done

# --- pass 3: durable messages (ActiveMQ restarted with persistence on) ---
if scenario_supported durable; then
  for server in "${run_servers[@]}"; do
    if [[ "$server" == activemq ]]; then
      ACTIVEMQ_PERSISTENT=1 start_server "$server" || continue
    else
      start_server "$server" || continue
    fi
    for target in "${targets[@]}"; do
      IFS='|' read -r t_server transport url <<<"$target"
      [[ "$t_server" == "$server" ]] || continue
      for n in $durable_sizes; do
        mapfile -t extra < <(scale_args "$n")
        annotations=(phase=durable)
        run_loadgen "$server-$transport-durable-$n" "$server" "$transport" "$url" durable \
          --connections "$n" --window 1 --hold "$durable_hold" "${extra[@]}"
      done
    done
    stop_server "$server" 3
  done
fi

# --- what the report says about the run ---
git_commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then git_commit+=" (with local changes)"; fi
version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
META_COMMAND=$command_line META_MODE=$mode META_DURATION=$((SECONDS - started_at)) META_COMMIT=$git_commit \
META_FD_LIMIT=$fd_limit META_SERVER_CPU=$server_cpu META_LOADGEN_CPU=$loadgen_cpu \
META_IDLE_N=$idle_n META_IDLE_RAMP=$idle_ramp META_IDLE_HOLD=$idle_hold META_FAN_SUBS=$fan_subs \
META_FAN_MAX_MESSAGES=$fan_max_messages META_FAN_FRACTIONS=$fan_fractions META_FAN_SECONDS=$fan_seconds \
META_STORM_N=$storm_n META_ROOMS_N=$rooms_n META_COMMON_RATE=${common_rate:-} \
META_DURABLE_SIZES="$durable_sizes" META_DURABLE_HOLD=$durable_hold \
META_SERVERS="${run_servers[*]}" META_PEERS_SUPPORTED=$peers_supported \
META_AICC_VERSION="$("$aicc_binary" --version 2>/dev/null | head -1 || true)" \
META_RABBITMQ_VERSION="$(version_of rabbitmq-server)" META_ACTIVEMQ_VERSION="$(version_of activemq)" \
META_ERLANG_VERSION="$(version_of erlang-base)" META_JAVA_VERSION="$(java -version 2>&1 | head -1 || true)" \
META_HEAP=${ACTIVEMQ_HEAP:-2g} META_LOAD_AT_START=$load_at_start \
  node "$peers/meta.mjs" >"$out/meta.json"

say "results in $out; writing $doc"
node "$repo/bench/report.mjs" --results "$out" --out "$doc" --plot "$plot"
say "done in $((SECONDS - started_at)) s"
