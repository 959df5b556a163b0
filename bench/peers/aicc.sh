#!/usr/bin/env bash
# aicc-chat under the same start|stop|pid interface as the peers (bench/peers/rabbitmq.sh,
# activemq.sh), for the side-by-side benchmark: one I/O thread, 127.0.0.1 only, quiet logs, its
# data (SQLite) under DIR, a random JWT secret kept in DIR/jwt-secret (the load generator signs its
# clients' tokens with it), handshake limits per address out of the way, no automatic assignment
# of rooms (the load generator's agents accept their own customers' rooms).
#
#   bench/peers/aicc.sh start DIR     start, wait for a STOMP CONNECTED over /ws, print the PID
#   bench/peers/aicc.sh pid DIR       print that PID (fails when not running)
#   bench/peers/aicc.sh stop DIR      stop it (SIGTERM: graceful; SIGKILL after 30 s)
#   bench/peers/aicc.sh restart DIR   stop, then start with the same ports and secret
#
# Environment (defaults in brackets): AICC_BINARY [build/aicc-chat]; AICC_PORT [18080]
# (ws://127.0.0.1:PORT/ws); AICC_TCP_PORT [unset] also opens STOMP over TCP there
# (stomp.tcp-port); AICC_THREADS [1]; AICC_SETTINGS [unset] more KEY=VALUE settings, separated by
# spaces, applied after these (bench/cluster.sh: a PostgreSQL store and the Redis bus);
# TASKSET_CPU [unset: not pinned] runs it under `taskset -c $TASKSET_CPU`. `start` records the
# ports and settings in DIR, so `restart` needs none of these. A DIR/jwt-secret written before the
# first start is kept (several nodes of one cluster share it).
set -euo pipefail
# shellcheck source=bench/peers/lib.sh
source "$(dirname "$0")/lib.sh"

read_peer_args "$@"
repo=$(cd "$peers_dir/../.." && pwd)
pid_file=$dir/aicc-chat.pid
settings_file=$dir/settings  # what `start` chose, for `restart`

case "$action" in
  pid)
    live_pid_from "$pid_file" || die "not running (no live PID in $pid_file)"
    ;;

  stop)
    if pid=$(live_pid_from "$pid_file"); then
      stop_pid "$pid" 30
    fi
    rm -f "$pid_file"
    ;;

  restart)
    [[ -f "$settings_file" ]] || die "never started in $dir"
    restart_began=$(now_seconds)
    "$0" stop "$dir"
    # shellcheck source=/dev/null
    source "$settings_file"
    AICC_BINARY=$binary AICC_PORT=$port AICC_TCP_PORT=$tcp_port AICC_THREADS=$threads \
      AICC_SETTINGS=$extra_settings "$0" start "$dir"
    record_restart_seconds "$dir" "$restart_began"
    ;;

  start)
    binary=${AICC_BINARY:-$repo/build/aicc-chat}
    [[ -x "$binary" ]] || die "no aicc-chat binary at $binary (build it, or set AICC_BINARY)"
    binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
    port=${AICC_PORT:-18080}
    tcp_port=${AICC_TCP_PORT:-}
    threads=${AICC_THREADS:-1}
    extra_settings=${AICC_SETTINGS:-}
    if running=$(live_pid_from "$pid_file"); then
      die "already running as PID $running (stop it first: $0 stop $dir)"
    fi
    require_free_ports "$port" ${tcp_port:+"$tcp_port"}
    if [[ ! -s "$dir/jwt-secret" ]]; then
      (umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$dir/jwt-secret")
    fi
    secret=$(cat "$dir/jwt-secret")
    printf 'binary=%q\nport=%q\ntcp_port=%q\nthreads=%q\nextra_settings=%q\n' "$binary" "$port" "$tcp_port" \
      "$threads" "$extra_settings" >"$settings_file"

    settings=(
      --set server.host=127.0.0.1
      --set server.port="$port"
      --set server.threads="$threads"
      --set server.port-file="$dir/port"
      --set ws.handshake-rate-per-ip=1000000
      --set ws.handshake-burst-per-ip=1000000
      --set log.level=warn
      --set store.kind=sqlite
      --set store.sqlite.path="$dir/aicc-chat.sqlite"
      --set bus.kind=local
      --set routing.auto-assign-after=3600
      # The load generator publishes far faster than people type, from few users, over more
      # connections than the default cap: the send-rate, session and connection limits are lifted
      # so that they measure the server, not its guards.
      --set server.max-connections=0
      --set limits.sessions-per-user=100000
      --set limits.abuse-refusals=1000000
    )
    for class in connection chat lobby; do
      settings+=(--set "limits.$class.sends-per-second=1000000" --set "limits.$class.send-burst=10000000"
        --set "limits.$class.bytes-per-second=1073741824" --set "limits.$class.bytes-burst=1073741824")
    done
    if [[ -n "$tcp_port" ]]; then settings+=(--set stomp.tcp-port="$tcp_port"); fi
    for setting in $extra_settings; do settings+=(--set "$setting"); done

    prepare_launch
    rm -f "$dir/port"
    # The secret goes by environment, not on the command line (ps shows command lines).
    (cd "$dir" && AICC_JWT_SECRET="$secret" exec setsid "${pin[@]}" "$binary" "${settings[@]}" \
      </dev/null >>"$dir/aicc-chat.log" 2>&1) &
    pid=$!
    echo "$pid" >"$pid_file"

    url="ws://127.0.0.1:$port/ws"
    if ! wait_for_stomp 30 "$url" "" "" "$pid" --jwt-secret "$secret" ||
      { [[ -n "$tcp_port" ]] && ! wait_for_stomp 10 "tcp://127.0.0.1:$tcp_port" "" "" "$pid" --jwt-secret "$secret"; }; then
      echo "$(basename "$0"): aicc-chat did not answer STOMP; last lines of its log:" >&2
      tail -n 20 "$dir/aicc-chat.log" >&2 || true
      "$0" stop "$dir" || true
      exit 1
    fi
    echo "$pid"
    ;;

  *) usage ;;
esac
