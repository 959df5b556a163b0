#!/usr/bin/env bash
# Installs, upgrades, removes and purges an aicc-chat Debian package with dpkg for real, but on a
# throwaway copy of this machine: run in a mount namespace of its own (package.test.mjs starts it
# with `unshare --mount --propagation private`), it lays overlays over /etc, /usr and /var and an
# empty /run, so everything dpkg, adduser and the maintainer scripts write is gone when it exits.
# The empty /run also means no running systemd is seen, as in a container: the unit is enabled,
# not started. In between, it starts the installed server as the service would: as the aicc-chat
# user, from /var/lib/aicc-chat, with the installed configuration and the secret postinst made
# (only the port is chosen free here).
#
#   deb-install-sandbox.sh DEB CALLER_MOUNT_NAMESPACE
#
# Prints one `name=value` line per fact it observed; package.test.mjs judges them. Exits non-zero
# without touching anything when it is not root or not in a mount namespace of its own.
set -uo pipefail

deb=$1
caller_namespace=$2
password='packaged-login-1'

setup_error() {
  echo "setup_error=$*"
  exit 1
}

[[ $(id -u) == 0 ]] || setup_error "needs root"
[[ $(readlink /proc/self/ns/mnt) != "$caller_namespace" ]] ||
  setup_error "not in a mount namespace of its own"
[[ -f "$deb" ]] || setup_error "no package at $deb"

scratch=$(mktemp -d /tmp/aicc-deb-sandbox.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
for dir in etc usr var; do
  mkdir -p "$scratch/$dir/upper" "$scratch/$dir/work"
  mount -t overlay overlay \
    -o "lowerdir=/$dir,upperdir=$scratch/$dir/upper,workdir=$scratch/$dir/work" "/$dir" ||
    setup_error "cannot lay an overlay over /$dir"
  [[ $(findmnt -n -o FSTYPE --mountpoint "/$dir") == overlay ]] || setup_error "/$dir is no overlay"
done
mount -t tmpfs tmpfs /run || setup_error "cannot mount an empty /run"
[[ ! -d /run/systemd/system ]] || setup_error "/run still shows a running systemd"

fact() { echo "$1=$2"; }
mode_of() { stat -c '%U:%G %a' "$1" 2>/dev/null || echo missing; }
as_service() { setpriv --reuid=aicc-chat --regid=aicc-chat --init-groups "$@"; }

fact preinstalled "$(dpkg-query -W -f='${Status}' aicc-chat 2>/dev/null | grep -c 'install ok installed')"

# 1. Installation.
dpkg -i "$deb" </dev/null >"$scratch/install.log" 2>&1
fact install_status $?
fact install_log "$(tr '\n' '|' <"$scratch/install.log")"
fact user "$(getent passwd aicc-chat | cut -d: -f1,6,7)"
fact group "$(getent group aicc-chat | cut -d: -f1)"
fact data_dir "$(mode_of /var/lib/aicc-chat)"
fact env_file "$(mode_of /etc/aicc-chat/aicc-chat.env)"
fact env_secret_length "$(sed -n 's/^AICC_JWT_SECRET=//p' /etc/aicc-chat/aicc-chat.env | tr -d '\n' | wc -c)"
fact env_readable_by_service "$(as_service cat /etc/aicc-chat/aicc-chat.env >/dev/null 2>&1 && echo yes || echo no)"
fact env_readable_by_others "$(setpriv --reuid=nobody --regid=nogroup --clear-groups cat /etc/aicc-chat/aicc-chat.env >/dev/null 2>&1 && echo yes || echo no)"
fact enabled "$([[ -L /etc/systemd/system/multi-user.target.wants/aicc-chat.service ]] && echo yes || echo no)"
fact conffiles "$(dpkg-query -W -f='${Conffiles}' aicc-chat | awk 'NF {print $1}' | tr '\n' ' ')"
secret_before=$(md5sum /etc/aicc-chat/aicc-chat.env | cut -d' ' -f1)

# 2. The installed server, run as the unit runs it.
port_file=/var/lib/aicc-chat/sandbox.port
(
  cd /var/lib/aicc-chat || exit 1
  umask 0027 # the unit's UMask=
  set -a
  . /etc/aicc-chat/aicc-chat.env
  set +a
  exec setpriv --reuid=aicc-chat --regid=aicc-chat --init-groups /usr/bin/aicc-chat \
    --config /etc/aicc-chat/aicc-chat.yaml --set server.port=0 --set "server.port-file=$port_file"
) 2>"$scratch/server.log" &
server=$!
port=""
for _ in $(seq 1 150); do
  [[ -s "$port_file" ]] && port=$(cat "$port_file") && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
fact server_port "${port:-none}"
if [[ -n "$port" ]]; then
  base=http://127.0.0.1:$port
  # An administrator adds the first user while the service runs.
  printf '%s\n' "$password" | as_service /usr/bin/aicc-chat --config /etc/aicc-chat/aicc-chat.yaml \
    user add admin1 --role admin --password-stdin >"$scratch/user-add.log" 2>&1
  fact user_add_status $?
  fact health "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")"
  fact index_page "$(curl -s "$base/" | grep -c '<html')"
  login=$(curl -s -H 'content-type: application/json' \
    --data "{\"username\":\"admin1\",\"password\":\"$password\"}" "$base/api/auth/login")
  fact login_token "$(grep -c '"accessToken":"ey' <<<"$login")"
  fact database "$(mode_of /var/lib/aicc-chat/aicc-chat.sqlite)"
fi
kill -TERM "$server" 2>/dev/null
wait "$server"
fact server_exit $?
fact server_log "$(tail -n 5 "$scratch/server.log" | tr '\n' '|')"

# 3. An upgrade (the same package again): the administrator's configuration, the secret and the
# data stay.
echo '# changed by the administrator' >>/etc/aicc-chat/aicc-chat.yaml
dpkg -i "$deb" </dev/null >"$scratch/upgrade.log" 2>&1
fact upgrade_status $?
fact upgrade_keeps_config "$(grep -c '^# changed by the administrator$' /etc/aicc-chat/aicc-chat.yaml)"
fact upgrade_keeps_secret "$([[ $(md5sum /etc/aicc-chat/aicc-chat.env | cut -d' ' -f1) == "$secret_before" ]] && echo yes || echo no)"
fact upgrade_keeps_data "$([[ -f /var/lib/aicc-chat/aicc-chat.sqlite ]] && echo yes || echo no)"
# An administrator who took the secrets file away (the secret given another way) gets no new one.
mv /etc/aicc-chat/aicc-chat.env "$scratch/env.saved"
dpkg -i "$deb" </dev/null >>"$scratch/upgrade.log" 2>&1
fact upgrade_brings_back_secret "$([[ -e /etc/aicc-chat/aicc-chat.env ]] && echo yes || echo no)"
mv "$scratch/env.saved" /etc/aicc-chat/aicc-chat.env

# 4. Removal keeps the data and the configuration; purge deletes them, and keeps the user.
dpkg -r aicc-chat </dev/null >"$scratch/remove.log" 2>&1
fact remove_status $?
fact remove_binary "$([[ -e /usr/bin/aicc-chat ]] && echo present || echo absent)"
fact remove_data "$([[ -f /var/lib/aicc-chat/aicc-chat.sqlite ]] && echo present || echo absent)"
fact remove_env "$([[ -f /etc/aicc-chat/aicc-chat.env ]] && echo present || echo absent)"
dpkg --purge aicc-chat </dev/null >"$scratch/purge.log" 2>&1
fact purge_status $?
fact purge_data "$([[ -e /var/lib/aicc-chat ]] && echo present || echo absent)"
fact purge_etc "$([[ -e /etc/aicc-chat ]] && echo present || echo absent)"
fact purge_enabled "$([[ -e /etc/systemd/system/multi-user.target.wants/aicc-chat.service ]] && echo present || echo absent)"
fact purge_user "$(getent passwd aicc-chat >/dev/null && echo present || echo absent)"
# After a purge, an installation is a first one again: a new secret.
dpkg -i "$deb" </dev/null >"$scratch/reinstall.log" 2>&1
fact reinstall_status $?
fact reinstall_secret "$([[ -f /etc/aicc-chat/aicc-chat.env ]] && md5sum /etc/aicc-chat/aicc-chat.env | cut -d' ' -f1 | grep -vqx "$secret_before" && echo new || echo none-or-old)"
fact done yes
