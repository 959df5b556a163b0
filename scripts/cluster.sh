#!/usr/bin/env bash
# A cluster on one machine, in demo mode: a private PostgreSQL and Redis, three aicc-chat nodes on
# ports 8081, 8082 and 8083, and HAProxy on http://localhost:8080 in front of them.
#
#   scripts/cluster.sh up [build-dir]     start everything (make cluster)
#   scripts/cluster.sh down [build-dir]   stop everything (make cluster-down)
#
# Each process's pid is in <build-dir>/cluster/<name>.pid (postgres, redis, node1, node2, node3,
# haproxy), so a test or a person can kill one; the nodes' logs are beside them. The data of
# PostgreSQL and Redis lives in a folder under /tmp (PostgreSQL runs as the `postgres` user when
# started as root, and must reach it); `down` removes it. The nodes share one JWT secret:
# AICC_JWT_SECRET when set, else a random one kept in <build-dir>/cluster/jwt-secret.
set -euo pipefail

cd "$(dirname "$0")/.."
command=${1:-}
build=${2:-build}
cluster="$build/cluster"
data="/tmp/aicc-cluster-$(id -u)"
postgres_port=${AICC_CLUSTER_POSTGRES_PORT:-15432}
redis_port=${AICC_CLUSTER_REDIS_PORT:-16379}
http_port=${AICC_CLUSTER_PORT:-8080}
node_ports=(8081 8082 8083)

wait_ready() {
  local port=$1 name=$2
  for _ in $(seq 1 150); do
    if curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "cluster: $name on port $port did not become ready; see $cluster/$name.log" >&2
  return 1
}

stop_pid_file() {
  local file=$1
  [[ -f "$file" ]] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

case "$command" in
  up)
    if [[ ! -x "$build/aicc-chat" ]]; then
      echo "cluster: $build/aicc-chat is not built (make build)" >&2
      exit 1
    fi
    for tool in haproxy redis-server curl; do
      command -v "$tool" >/dev/null 2>&1 || {
        echo "cluster: $tool is not installed (scripts/install-deps.sh --cluster)" >&2
        exit 1
      }
    done
    mkdir -p "$cluster" "$data"
    postgres_url=$(scripts/postgres-private.sh start "$data/postgres" "$postgres_port")
    head -1 "$data/postgres/data/postmaster.pid" >"$cluster/postgres.pid"
    redis_url=$(scripts/redis-private.sh start "$data/redis" "$redis_port")
    cp "$data/redis/redis.pid" "$cluster/redis.pid"
    secret=${AICC_JWT_SECRET:-}
    if [[ -z "$secret" ]]; then
      [[ -f "$cluster/jwt-secret" ]] || openssl rand -hex 32 >"$cluster/jwt-secret"
      secret=$(cat "$cluster/jwt-secret")
    fi
    for i in 0 1 2; do
      name="node$((i + 1))"
      port=${node_ports[$i]}
      AICC_JWT_SECRET="$secret" nohup "$build/aicc-chat" --demo \
        --set server.host=127.0.0.1 --set "server.port=$port" --set server.trust-proxy=true \
        --set store.kind=postgres --set "store.postgres.url=$postgres_url" \
        --set bus.kind=redis --set "bus.redis.url=$redis_url" \
        --set "ws.allowed-origins=http://localhost:$http_port,http://127.0.0.1:$http_port" \
        >"$cluster/$name.log" 2>&1 &
      echo $! >"$cluster/$name.pid"
      # The first node takes the routing authority; the others start once it is serving.
      wait_ready "$port" "$name"
    done
    sed -e "s/^  bind :8080$/  bind 127.0.0.1:$http_port/" \
      -e "s/10\.0\.0\.11:8080/127.0.0.1:${node_ports[0]}/; s/10\.0\.0\.12:8080/127.0.0.1:${node_ports[1]}/" \
      -e "s/10\.0\.0\.13:8080/127.0.0.1:${node_ports[2]}/" \
      -e "s/^  maxconn 200000$/  maxconn 4096/" \
      -e "/^  log stdout format raw local0 notice$/d; /^  log global$/d; /^  option httplog$/d" \
      deploy/haproxy.cfg >"$cluster/haproxy.cfg"
    haproxy -D -f "$cluster/haproxy.cfg" -p "$cluster/haproxy.pid"
    wait_ready "$http_port" haproxy
    cat <<EOF
cluster: up (demo mode: demo users agent1, agent2, user1, admin with password 1234)
  http://localhost:$http_port        HAProxy (pid $(cat "$cluster/haproxy.pid")), health checks on /health/ready
  http://127.0.0.1:${node_ports[0]}        node1 (pid $(cat "$cluster/node1.pid")), log $cluster/node1.log
  http://127.0.0.1:${node_ports[1]}        node2 (pid $(cat "$cluster/node2.pid")), log $cluster/node2.log
  http://127.0.0.1:${node_ports[2]}        node3 (pid $(cat "$cluster/node3.pid")), log $cluster/node3.log
  $postgres_url   PostgreSQL (pid $(cat "$cluster/postgres.pid"))
  $redis_url        Redis (pid $(cat "$cluster/redis.pid"))
Stop it with: make cluster-down
EOF
    ;;
  down)
    stop_pid_file "$cluster/haproxy.pid"
    for name in node1 node2 node3; do stop_pid_file "$cluster/$name.pid"; done
    scripts/redis-private.sh stop "$data/redis" 2>/dev/null || true
    scripts/postgres-private.sh stop "$data/postgres" 2>/dev/null || true
    rm -f "$cluster/redis.pid" "$cluster/postgres.pid"
    rm -rf "$data"
    echo "cluster: down"
    ;;
  *)
    echo "usage: $0 up|down [build-dir]" >&2
    exit 2
    ;;
esac
