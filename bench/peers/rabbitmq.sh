#!/usr/bin/env bash
# A private RabbitMQ (Debian's rabbitmq-server 3.10) for the side-by-side benchmark: its own node,
# config, data and logs under DIR, STOMP over WebSocket (rabbitmq_web_stomp) and STOMP over TCP
# (rabbitmq_stomp) on 127.0.0.1 only, AMQP off, its own epmd and distribution ports. Not the
# system service (bench/peers/install.sh disables that).
#
#   bench/peers/rabbitmq.sh start DIR   start, wait for a STOMP CONNECTED, print the beam.smp PID
#   bench/peers/rabbitmq.sh pid DIR     print that PID (fails when not running)
#   bench/peers/rabbitmq.sh stop DIR    stop it (SIGTERM, SIGKILL after 30 s) and its epmd
#   bench/peers/rabbitmq.sh restart DIR stop, then start (same data, ports and user)
#
# Environment (defaults in brackets): TASKSET_CPU [unset: not pinned] runs it under
# `taskset -c $TASKSET_CPU`; RABBITMQ_WEB_STOMP_PORT [15674] (ws://127.0.0.1:PORT/ws),
# RABBITMQ_STOMP_PORT [61613], RABBITMQ_EPMD_PORT [14369], RABBITMQ_DIST_PORT [25679];
# PEER_LOGIN / PEER_PASSCODE [bench / bench], the STOMP user created at the first start.
# STOMP clients must send host:/ (RabbitMQ reads the CONNECT host header as the virtual host).
set -euo pipefail
# shellcheck source=bench/peers/lib.sh
source "$(dirname "$0")/lib.sh"

read_peer_args "$@"

web_stomp_port=${RABBITMQ_WEB_STOMP_PORT:-15674}
stomp_port=${RABBITMQ_STOMP_PORT:-61613}
epmd_port=${RABBITMQ_EPMD_PORT:-14369}
dist_port=${RABBITMQ_DIST_PORT:-25679}
login=${PEER_LOGIN:-bench}
passcode=${PEER_PASSCODE:-bench}
rabbitmq_bin=/usr/lib/rabbitmq/bin
pid_file=$dir/rabbitmq.pid        # written by RabbitMQ itself: the beam.smp process
launcher_file=$dir/launcher.pid   # the rabbitmq-server script that waits on it

stop_epmd() {
  # Our epmd outlives the node; it refuses to die while nodes are registered with it.
  if port_answers "$epmd_port"; then
    ERL_EPMD_PORT=$epmd_port epmd -kill >/dev/null 2>&1 || true
  fi
}

case "$action" in
  pid)
    live_pid_from "$pid_file" || die "not running (no live PID in $pid_file)"
    ;;

  stop)
    launcher=$(live_pid_from "$launcher_file" || true)
    beam=$(live_pid_from "$pid_file" || true)
    # SIGTERM to beam.smp stops the node cleanly (the launcher script passes it on too). With
    # thousands of connections that takes a while on one core; the data is throwaway, so after
    # 30 s it is SIGKILL.
    pids=()
    for pid in "$beam" "$launcher"; do
      if [[ -n "$pid" ]]; then pids+=("$pid"); fi
    done
    if ((${#pids[@]} > 0)); then stop_pids 30 "${pids[@]}"; fi
    stop_epmd
    rm -f "$pid_file" "$launcher_file"
    ;;

  start)
    [[ -x $rabbitmq_bin/rabbitmq-server ]] || die "rabbitmq-server is not installed: run bench/peers/install.sh"
    if running=$(live_pid_from "$pid_file"); then
      die "already running as PID $running (stop it first: $0 stop $dir)"
    fi
    require_free_ports "$web_stomp_port" "$stomp_port" "$dist_port"
    mkdir -p "$dir/mnesia" "$dir/log"
    rm -f "$pid_file" "$launcher_file"

    cat >"$dir/rabbitmq.conf" <<CONF
# Written by bench/peers/rabbitmq.sh: a loopback-only broker for the benchmark.
listeners.tcp = none
stomp.listeners.tcp.1 = 127.0.0.1:$stomp_port
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = $web_stomp_port
web_stomp.max_connections = infinity
web_stomp.tcp.backlog = 4096
stomp.tcp_listen_options.backlog = 4096
default_user = $login
default_pass = $passcode
loopback_users = none
log.console = false
log.file.level = warning
CONF
    echo '[rabbitmq_stomp,rabbitmq_web_stomp].' >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"  # instead of /etc/rabbitmq/rabbitmq-env.conf

    prepare_launch
    # setsid: a Ctrl-C in the terminal reaches the caller, whose trap stops us in order.
    env HOME="$dir" \
      RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
      RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
      RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      RABBITMQ_MNESIA_BASE="$dir/mnesia" \
      RABBITMQ_LOG_BASE="$dir/log" \
      RABBITMQ_PID_FILE="$pid_file" \
      RABBITMQ_NODENAME="aiccbench@localhost" \
      RABBITMQ_DIST_PORT="$dist_port" \
      RABBITMQ_SCHEDULER_BIND_TYPE=u \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      ERL_EPMD_PORT="$epmd_port" \
      ERL_EPMD_ADDRESS=127.0.0.1 \
      setsid "${pin[@]}" "$rabbitmq_bin/rabbitmq-server" </dev/null >"$dir/log/stdout.log" 2>&1 &
    echo $! >"$launcher_file"

    # The pid file appears early in the boot; the STOMP listeners come last.
    deadline=$((SECONDS + 90))
    beam=""
    while ((SECONDS < deadline)); do
      beam=$(live_pid_from "$pid_file" || true)
      [[ -n "$beam" ]] && break
      alive "$(cat "$launcher_file")" || break
      sleep 0.2
    done
    if [[ -z "$beam" ]] ||
      ! wait_for_stomp $((deadline - SECONDS)) "tcp://127.0.0.1:$stomp_port" "$login" "$passcode" "$beam" --vhost / ||
      ! wait_for_stomp 20 "ws://127.0.0.1:$web_stomp_port/ws" "$login" "$passcode" "$beam" --vhost /; then
      echo "$(basename "$0"): RabbitMQ did not answer STOMP; last lines of its logs:" >&2
      tail -n 20 "$dir"/log/*.log >&2 2>/dev/null || true
      "$0" stop "$dir" || true
      exit 1
    fi
    echo "$beam"
    ;;

  restart)
    restart_began=$(now_seconds)
    "$0" stop "$dir"
    "$0" start "$dir"
    record_restart_seconds "$dir" "$restart_began"
    ;;

  *) usage ;;
esac
