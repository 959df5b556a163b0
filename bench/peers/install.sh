#!/usr/bin/env bash
# Installs what the side-by-side benchmark (bench/side-by-side.sh) needs besides aicc-chat's own
# build: the peer servers it compares aicc-chat with, RabbitMQ (with the rabbitmq_stomp and
# rabbitmq_web_stomp plugins it ships) and ActiveMQ Classic, and gnuplot for the plot; all from
# Debian. Installs only what is missing; safe to run again; quiet when there is nothing to do.
# The packages' own system services are kept off: bench/peers/rabbitmq.sh and activemq.sh start
# private instances on ports of their own instead. Also run by `scripts/install-deps.sh --bench`.
#
#   bench/peers/install.sh
set -euo pipefail

packages=(rabbitmq-server activemq gnuplot-nox)

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "peers/install: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "peers/install: Debian packages already installed"
else
  echo "peers/install: installing Debian packages: ${missing[*]}"
  # Keep the packages from starting their services during the install: a policy-rc.d that says
  # "not now" (exit 101), unless the machine already has one.
  policy=/usr/sbin/policy-rc.d
  made_policy=false
  remove_policy() {
    if [[ "$made_policy" == true ]]; then as_root rm -f "$policy"; fi
  }
  trap remove_policy EXIT
  if [[ ! -e "$policy" ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy"
    made_policy=true
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
  remove_policy
  made_policy=false
  # Installing rabbitmq-server leaves the system's epmd (port 4369) running with no node on it;
  # epmd -kill refuses while any node is registered, so this never ends someone's Erlang node.
  if [[ " ${missing[*]} " == *" rabbitmq-server "* ]] && command -v epmd >/dev/null 2>&1; then
    epmd -kill >/dev/null 2>&1 || true
  fi
fi

# On a machine with systemd, keep the system services off (they would start at every boot).
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
  for unit in rabbitmq-server.service activemq.service; do
    if systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl is-active --quiet "$unit" 2>/dev/null; then
      echo "peers/install: stopping and disabling the system service $unit"
      as_root systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
  done
fi
