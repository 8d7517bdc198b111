#!/usr/bin/env bash
# Installs the real protocol peers the test suite talks to (Debian packages), once.
# Daemons in these packages are never started: tests run their own instances by PID.
set -euo pipefail

packages=(dnsutils knot-dnsutils isc-dhcp-client udhcpc dhcpcd-base sntp chrony tshark iproute2 dnsperf procps dnsmasq-base nsd kea-dhcp4-server kea-admin systemd python3 curl tftp-hpa atftp)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-peers: installed ${missing[*]}"
