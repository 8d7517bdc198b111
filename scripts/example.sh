#!/usr/bin/env bash
# Quick start: serves config/site.yaml on a private lab network, never on a real LAN.
#
# Two network namespaces joined by a veth pair stand in for the phone LAN: "siteboot-lab" holds
# the appliance (interface lab0, 198.51.100.2/24, as the example says) and "siteboot-phone" a
# phone-to-be (interface phone0, no address until DHCP gives one). Ctrl-C stops siteboot and
# removes both namespaces. Run as root on Debian; installs what it needs on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

LAB=siteboot-lab
PHONE=siteboot-phone
if [ "$(id -u)" -ne 0 ]; then
  echo "example: run as root (it creates network namespaces and binds ports 53, 67 and 123 inside them)" >&2
  exit 1
fi
command -v ip >/dev/null || { apt-get update -qq && apt-get install -y -qq iproute2 >/dev/null; }
[ -d node_modules ] || npm install --no-audit --no-fund
npm run -s build

state=$(mktemp -d /tmp/siteboot-example.XXXXXX)
pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  for ns in "$PHONE" "$LAB"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$state" "/etc/netns/$PHONE"
}
trap cleanup EXIT INT TERM

for ns in "$PHONE" "$LAB"; do ip netns del "$ns" 2>/dev/null || true; done
ip netns add "$LAB"
ip netns add "$PHONE"
# Whatever a DHCP client script in the phone namespace writes to /etc/resolv.conf lands here,
# not in this machine's own /etc/resolv.conf ("ip netns exec" bind-mounts it).
mkdir -p "/etc/netns/$PHONE"
echo "nameserver 198.51.100.2" >"/etc/netns/$PHONE/resolv.conf"
ip link add sb-lab0 type veth peer name sb-phone0
ip link set sb-lab0 netns "$LAB"
ip link set sb-phone0 netns "$PHONE"
ip -n "$LAB" link set sb-lab0 name lab0
ip -n "$PHONE" link set sb-phone0 name phone0
ip -n "$LAB" addr add 198.51.100.2/24 dev lab0
for ns in "$LAB" "$PHONE"; do ip -n "$ns" link set lo up; done
ip -n "$LAB" link set lab0 up
ip -n "$PHONE" link set phone0 up

cat <<TXT
siteboot is serving config/site.yaml in the network namespace $LAB (lab0, 198.51.100.2).
From another terminal, be the phone:
  ip netns exec $PHONE dhclient -v -1 -lf $state/phone.leases -pf $state/phone.pid phone0   # DHCP
  ip netns exec $PHONE dig @198.51.100.2 _sipinternaltls._tcp.fabrikam.com SRV
  ip netns exec $PHONE dig @198.51.100.2 _sipinternal._tcp.fabrikam.com.contoso.com SRV   # NXDOMAIN, fast
  ip netns exec $PHONE sntp 198.51.100.2
  ip netns exec $PHONE curl http://198.51.100.2/polycom/<phone MAC, 12 hex digits>.cfg   # its file (option 160)
  ip netns exec $PHONE tftp 198.51.100.2 -c get polycom/<phone MAC>.cfg /dev/stdout       # the same over TFTP (66)
and look inside the appliance:
  ip netns exec $LAB node dist/main.js leases -c config/site.yaml
  ip netns exec $LAB node dist/main.js timeline <phone MAC> -c config/site.yaml
  ip netns exec $LAB curl -s 127.0.0.1:8053/metrics
Ctrl-C stops siteboot and removes the namespaces.

TXT
ip netns exec "$LAB" node dist/main.js serve -c config/site.yaml --state-dir "$state" &
pid=$!
wait "$pid"
