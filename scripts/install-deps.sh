#!/usr/bin/env bash
# Installs what aicc-chat needs to build, run and test, and nothing that is already there.
# Debian packages come from apt, JavaScript packages from package-lock.json (npm ci).
# Safe to run again and again. Run as root, or as a user who may use sudo.
#
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   also what `make test` needs (clang for the fuzzer, Chromium, ...)
#   scripts/install-deps.sh --cluster  also what `make cluster` runs (PostgreSQL, Redis, HAProxy)
#   scripts/install-deps.sh --bench  also the side-by-side benchmark's peers (RabbitMQ, ActiveMQ) and
#                                    gnuplot, through bench/peers/install.sh (which keeps their
#                                    system services off); flags may be combined
set -euo pipefail

cd "$(dirname "$0")/.."

build_packages=(
  build-essential cmake ninja-build ccache pkg-config
  dpkg-dev  # make package: dpkg-shlibdeps and dpkg-deb
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev libsodium-dev libsqlite3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libhiredis-dev libpq-dev libpqxx-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nodejs npm
)
test_packages=(
  clang libclang-rt-14-dev clang-format clang-tidy curl  # sanitizers, fuzzers, format check, lint
  sqlite3  # integration tests change a running server's database to make the store fail
  openssl  # certificates made by the TLS tests
  postgresql-15 redis-server haproxy  # several nodes: the store, the bus, the load balancer
  chromium fonts-nanum  # browser tests (headless, driven by playwright-core); Korean text in screenshots
  python3 python3-websocket  # the SockJS protocol reference suite (tests/sockjs-protocol/)
  systemd adduser strace  # the Debian package's test: its unit checked (systemd-analyze, the server's
                          # system calls against its filter) and a dpkg install in a sandbox
)

cluster_packages=(postgresql-15 redis-server haproxy curl openssl)

packages=("${build_packages[@]}")
bench=false
for flag in "$@"; do
  case "$flag" in
    --test) packages+=("${test_packages[@]}") ;;
    --cluster) packages+=("${cluster_packages[@]}") ;;
    --bench) bench=true ;;
    *) echo "install-deps: unknown flag $flag (--test, --cluster, --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  # The machine's own Node.js counts, wherever it came from.
  if [[ "$package" == nodejs ]] && command -v node >/dev/null 2>&1; then continue; fi
  if [[ "$package" == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "install-deps: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: Debian packages already installed"
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.aicc-lock-stamp
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "install-deps: installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
else
  echo "install-deps: npm packages already installed"
fi

if [[ "$bench" == true ]]; then
  bench/peers/install.sh
fi
