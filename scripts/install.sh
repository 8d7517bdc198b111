#!/usr/bin/env bash
# Installs siteboot on a Debian box as a systemd service:
#   code in /opt/siteboot, configuration in /etc/siteboot/site.yaml, leases in /var/lib/siteboot,
#   an unprivileged "siteboot" user, the unit siteboot.service, and /usr/local/bin/siteboot.
# Run as root from a checkout. Re-running upgrades the code and keeps the configuration and leases.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=/opt/siteboot

[ "$(id -u)" -eq 0 ] || { echo "install: run as root" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install: siteboot needs Node.js 20 or newer at /usr/bin/node (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
if [ "$(command -v node)" != /usr/bin/node ]; then
  ln -sf "$(command -v node)" /usr/bin/node
fi

# Build in the checkout, then copy only what runs.
[ -d node_modules ] || npm install --no-audit --no-fund
npm run -s build
install -d -m 0755 "$PREFIX"
rm -rf "$PREFIX/dist" "$PREFIX/build"
cp -a dist package.json package-lock.json "$PREFIX/"
install -d -m 0755 "$PREFIX/build/Release" "$PREFIX/config"
cp build/Release/*.node "$PREFIX/build/Release/"
cp config/site.schema.json "$PREFIX/config/"
# The native modules were built in the checkout by npm install; the runtime tree needs no build step.
(cd "$PREFIX" && npm install --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
chmod 0755 "$PREFIX/dist/main.js"
ln -sf "$PREFIX/dist/main.js" /usr/local/bin/siteboot

getent group siteboot >/dev/null || groupadd --system siteboot
getent passwd siteboot >/dev/null ||
  useradd --system --gid siteboot --home-dir /var/lib/siteboot --no-create-home --shell /usr/sbin/nologin siteboot

install -d -m 0755 /etc/siteboot
if [ ! -e /etc/siteboot/site.yaml ]; then
  sed 's#\$schema=./site.schema.json#$schema=/opt/siteboot/config/site.schema.json#' config/site.yaml >/etc/siteboot/site.yaml
  echo "install: wrote the example to /etc/siteboot/site.yaml: edit listen, dhcp and dns for this site"
fi
install -d -m 0750 -o siteboot -g siteboot /var/lib/siteboot
install -m 0644 scripts/systemd/siteboot.service /etc/systemd/system/siteboot.service

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if node "$PREFIX/dist/main.js" check --quiet --config /etc/siteboot/site.yaml; then
    systemctl enable --now siteboot.service
    echo "install: siteboot is running: systemctl status siteboot; journalctl -u siteboot -f"
  else
    systemctl enable siteboot.service
    echo "install: fix /etc/siteboot/site.yaml, then: systemctl start siteboot" >&2
  fi
else
  echo "install: systemd is not running here; the unit is installed for the next boot"
fi
