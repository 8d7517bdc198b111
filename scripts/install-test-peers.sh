#!/usr/bin/env bash
# Installs the real protocol peers the test suite talks to (Debian packages), once.
# A peer counts as present when its command is on PATH, whichever package brought it (dnsutils or
# bind9-dnsutils, busybox or busybox-static, a local build): only missing commands cost an apt run.
# Daemons in these packages are never started: tests run their own instances by PID.
#   --check  print what would be installed and install nothing; exit 1 when something is missing.
set -euo pipefail
# shellcheck source=scripts/lib/quietly.sh
. "$(dirname "$0")/lib/quietly.sh"

# The command the tests run (or, for what brings no command, a file it installs), and the Debian
# package that provides it.
peers=(
  dig:bind9-dnsutils kdig:knot-dnsutils dhclient:isc-dhcp-client udhcpc:udhcpc dhcpcd:dhcpcd-base
  sntp:sntp chronyd:chrony tshark:tshark ip:iproute2 dnsperf:dnsperf ps:procps dnsmasq:dnsmasq-base
  nsd:nsd kea-dhcp4:kea-dhcp4-server perfdhcp:kea-admin systemd-analyze:systemd python3:python3
  curl:curl gcc:gcc /usr/include/stdio.h:libc6-dev chromium:chromium
  tftp:tftp-hpa atftp:atftp initdb:postgresql nginx:nginx-light wrk:wrk
)
# PostgreSQL's server programs (initdb, pg_ctl) live under /usr/lib/postgresql/<version>/bin.
found() {
  if [[ $1 == /* ]]; then [ -e "$1" ]; else
    command -v "$1" >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null
  fi
}
missing=()
for peer in "${peers[@]}"; do
  found "${peer%%:*}" || missing+=("${peer#*:}")
done

if [ "${1:-}" = --check ]; then
  if [ ${#missing[@]} -eq 0 ]; then
    echo "install-test-peers: every test peer is present; nothing to install"
    exit 0
  fi
  echo "install-test-peers: would install ${missing[*]}"
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-peers: need root to install: ${missing[*]}" >&2
  exit 1
fi
# Keep package daemons (chronyd) from starting: no time traffic leaves this machine.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
echo "install-test-peers: installing ${missing[*]}"
quietly apt-get update
quietly apt-get install -y --no-install-recommends "${missing[@]}"
