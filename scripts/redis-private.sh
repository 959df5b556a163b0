#!/usr/bin/env bash
# A private Redis server for tests and `make cluster`: its own folder and loopback port, nothing
# saved to disk, never the system's service.
#
#   scripts/redis-private.sh start DIR PORT   start it (daemonised; pid in DIR/redis.pid)
#   scripts/redis-private.sh stop DIR
#
# Prints the URL on start (redis://127.0.0.1:PORT/0).
set -euo pipefail

command=${1:-}
dir=${2:-}
if [[ -z "$command" || -z "$dir" ]]; then
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-private: redis-server is not installed (scripts/install-deps.sh --test)" >&2
  exit 1
fi

case "$command" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes \
      --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log" >/dev/null
    for _ in $(seq 1 100); do
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        echo "redis://127.0.0.1:$port/0"
        exit 0
      fi
      sleep 0.05
    done
    echo "redis-private: Redis did not answer on port $port; see $dir/redis.log" >&2
    exit 1
    ;;
  stop)
    if [[ -f "$dir/redis.pid" ]]; then
      pid=$(cat "$dir/redis.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
      rm -f "$dir/redis.pid"
    fi
    ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
