# shellcheck shell=bash
# Helpers shared by bench/peers/*.sh (sourced, not run).

peers_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# Every server script takes `start|stop|pid|restart DIR`: sets $action and $dir (made absolute).
# shellcheck disable=SC2034  # action and dir are read by the scripts that source this file
read_peer_args() {
  if (($# != 2)); then
    echo "usage: $(basename "$0") start|stop|pid|restart DIR" >&2
    exit 2
  fi
  action=$1
  mkdir -p "$2"
  dir=$(cd "$2" && pwd)
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Fails naming the first of the given ports that is already taken.
require_free_ports() {
  local port
  for port in "$@"; do
    if port_answers "$port"; then
      die "port $port on 127.0.0.1 is already in use (another instance? the system service? see bench/peers/install.sh)"
    fi
  done
}

# Before starting a server: raises this shell's descriptor limit to the hard one (the server
# inherits it; each connection is a descriptor), and sets the array `pin` to the command prefix
# that pins the server to $TASKSET_CPU, when set.
# shellcheck disable=SC2034  # pin is read by the script that sources this file
prepare_launch() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  pin=()
  if [[ -n "${TASKSET_CPU:-}" ]]; then
    command -v taskset >/dev/null 2>&1 || die "TASKSET_CPU is set but taskset is missing (util-linux)"
    pin=(taskset -c "$TASKSET_CPU")
  fi
}

# True when process $1 exists and is not a zombie (an orphan whose parent does not reap it).
alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ "${stat:0:1}" != Z ]]
}

# The PID in file $1 when that process is alive; nothing otherwise.
live_pid_from() {
  local pid
  [[ -f "$1" ]] || return 1
  pid=$(tr -dc '0-9' <"$1")
  alive "$pid" && echo "$pid"
}

# SIGTERM to $1, then SIGKILL after $2 seconds (default 30) if it is still there.
stop_pid() {
  stop_pids "${2:-30}" "$1"
}

# stop_pids GRACE PID...: SIGTERM to each, then SIGKILL to those still there after GRACE seconds.
stop_pids() {
  local grace=$1 pid waited=0 left
  shift
  for pid in "$@"; do
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  while ((waited < grace * 10)); do
    left=false
    for pid in "$@"; do
      if alive "$pid"; then left=true; fi
    done
    [[ "$left" == true ]] || return 0
    sleep 0.1
    waited=$((waited + 1))
  done
  for pid in "$@"; do
    if alive "$pid"; then
      echo "$(basename "$0"): $pid did not stop within ${grace} s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  sleep 0.2
}

# Waits up to $1 seconds for a STOMP CONNECT -> CONNECTED on URL $2 (login $3, passcode $4),
# failing early when process $5 dies. Further arguments go to stomp-check.mjs (e.g. --vhost /).
wait_for_stomp() {
  local seconds=$1 url=$2 login=$3 passcode=$4 pid=$5 deadline
  shift 5
  deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    if ! alive "$pid"; then
      return 1
    fi
    if node "$peers_dir/stomp-check.mjs" "$url" --login "$login" --passcode "$passcode" --timeout 5 --quiet "$@" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

# Seconds since epoch, with fractions.
now_seconds() {
  date +%s.%N
}

# Writes the seconds since $2 (from now_seconds) to $1/last-restart-seconds: how long a restart
# took, stop and start until STOMP answered (the side-by-side benchmark reports it with the storm).
record_restart_seconds() {
  awk -v from="$2" -v to="$(now_seconds)" 'BEGIN { printf "%.3f\n", to - from }' >"$1/last-restart-seconds"
}
