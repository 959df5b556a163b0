#!/usr/bin/env bash
# Runs the SockJS protocol reference suite (tests/sockjs-protocol/, Python 3 and
# python3-websocket) against the built server: starts build/aicc-chat in demo mode with the
# suite's test services (sockjs.test-services) on a free loopback port, runs the suite, stops the
# server. The suite's last line is "N passed, M failed (K excluded)"; the exit status is non-zero
# when a test failed.
#   scripts/run-sockjs-protocol.sh [build-dir]
set -uo pipefail

cd "$(dirname "$0")/.."
build=${1:-build}
python=/usr/bin/python3  # Debian's, which has python3-websocket
dir=$(mktemp -d)
server=""
cleanup() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# The suite's own expectations: a response limit of 4096 bytes on streaming transports (as its
# reference server is set up), CORS requests from the origins "test" and "null", and many new
# sessions per second from one address.
"$build/aicc-chat" --demo \
  --set server.host=127.0.0.1 --set server.port=0 --set server.port-file="$dir/port" \
  --set server.web-root="$build/web" --set store.sqlite.path="$dir/aicc-chat.sqlite" \
  --set sockjs.test-services=true --set sockjs.streaming-bytes=4096 \
  --set 'ws.allowed-origins=*' \
  --set ws.handshake-rate-per-ip=100000 --set ws.handshake-burst-per-ip=100000 \
  2>"$dir/server.log" &
server=$!
for _ in $(seq 1 300); do
  [[ -s "$dir/port" ]] && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "run-sockjs-protocol: the server did not start:" >&2
    cat "$dir/server.log" >&2
    exit 1
  fi
  sleep 0.05
done
if [[ ! -s "$dir/port" ]]; then
  echo "run-sockjs-protocol: the server wrote no port" >&2
  exit 1
fi
port=$(cat "$dir/port")
SOCKJS_URL="http://127.0.0.1:$port" "$python" tests/sockjs-protocol/run.py 2>&1
status=$?
if [[ $status -ne 0 ]]; then
  echo "-- server log (last 40 lines)"
  tail -40 "$dir/server.log"
fi
exit $status
