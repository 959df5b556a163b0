#!/usr/bin/env bash
# A private PostgreSQL server for tests and `make cluster`: its own data folder, loopback port and
# socket folder, never the system's cluster.
#
#   scripts/postgres-private.sh start DIR PORT [--fast]   initdb once, start, create database aicc
#   scripts/postgres-private.sh stop DIR
#
# Prints the connection URL on start (postgresql://aicc@127.0.0.1:PORT/aicc; trust authentication
# on loopback only, for a throw-away server). --fast turns fsync off: for tests, which kill the
# server's clients but never the machine. initdb refuses to run as root, so as root the server
# runs as the `postgres` user (created by Debian's package) and DIR is handed to it.
set -euo pipefail

command=${1:-}
dir=${2:-}
if [[ -z "$command" || -z "$dir" ]]; then
  echo "usage: $0 start DIR PORT [--fast] | stop DIR" >&2
  exit 2
fi

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
  [[ -x "$candidate/initdb" ]] && bindir=$candidate
done
if [[ -z "$bindir" ]]; then
  echo "postgres-private: PostgreSQL is not installed (scripts/install-deps.sh --test)" >&2
  exit 1
fi

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$command" in
  start)
    port=${3:?port}
    fast=false
    [[ "${4:-}" == --fast ]] && fast=true
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      as_owner "$bindir/initdb" -D "$dir/data" -U aicc --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        {
          cat "$dir/initdb.log" >&2
          exit 1
        }
    fi
    options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300"
    if [[ "$fast" == true ]]; then
      options+=" -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    fi
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$options" \
      start >/dev/null ||
      {
        tail -20 "$dir/server.log" >&2
        exit 1
      }
    if ! as_owner "$bindir/psql" -h 127.0.0.1 -p "$port" -U aicc -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'aicc'" | grep -q 1; then
      as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U aicc aicc
    fi
    echo "postgresql://aicc@127.0.0.1:$port/aicc"
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    ;;
  *)
    echo "usage: $0 start DIR PORT [--fast] | stop DIR" >&2
    exit 2
    ;;
esac
