#!/usr/bin/env bash
# Installs siteboot on a Debian box as a systemd service:
#   code in /opt/siteboot, configuration in /etc/siteboot/site.yaml (and the example's
#   provisioning folder beside it on a first install), leases in /var/lib/siteboot,
#   an unprivileged "siteboot" user, the unit siteboot.service, and /usr/local/bin/siteboot.
# Run as root from a checkout. Every prerequisite is checked before anything changes. Re-running
# upgrades: the code is replaced, the configuration and leases are kept, and a running service is
# restarted once the new code's `check` (the unit's ExecStartPre) accepts the configuration.
#
#   --root DIR  install into the tree DIR instead of / (a staging tree, or a test): the user is
#               added to DIR/etc with useradd --prefix, and systemd is left alone unless
#               SITEBOOT_SYSTEMCTL names a command to call in place of systemctl. The target is
#               another machine, so this host's interfaces are not checked against the file unless
#               SITEBOOT_HOST_CHECK=1.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/quietly.sh

root=/
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    *) echo "install: unknown argument $1 (usage: install.sh [--root DIR])" >&2; exit 2 ;;
  esac
done
R=${root%/} # prefix for paths on the target; empty for /
PREFIX=/opt/siteboot
UNIT=scripts/systemd/siteboot.service

# --- Prerequisites: all are reported at once, and nothing changes unless every one holds. --------
problems=()
[ "$(id -u)" -eq 0 ] || problems+=("run as root: it adds a system user and writes $PREFIX, /etc and /usr/local")
[ "$root" = / ] || [ -d "$root" ] || problems+=("--root $root is not a directory")

how_to_get_node="Debian 12 ships Node.js 18: install the nodejs package from NodeSource's repository (node_20.x), see the README's \"What the install needs\""
min_node=$(sed -n 's/.*"node": *">=\([0-9.]*\)".*/\1/p' package.json)
node=$(command -v node || true)
if [ -z "$node" ]; then
  problems+=("Node.js $min_node or newer is needed and there is no node on PATH. $how_to_get_node")
else
  node_version=$(node --version 2>/dev/null || echo unknown)
  IFS=. read -r have_major have_minor _ <<<"${node_version#v}"
  IFS=. read -r want_major want_minor <<<"$min_node"
  if ! [[ "$have_major" =~ ^[0-9]+$ && "$have_minor" =~ ^[0-9]+$ ]] ||
    [ "$have_major" -lt "$want_major" ] ||
    { [ "$have_major" -eq "$want_major" ] && [ "$have_minor" -lt "${want_minor:-0}" ]; }; then
    problems+=("Node.js $min_node or newer is needed; $node is $node_version. $how_to_get_node")
  fi
  case "$node" in
    /root/* | /home/*) problems+=("$node is under /root or /home, which the service cannot read (ProtectHome=yes): install Node.js system-wide. $how_to_get_node") ;;
  esac
fi
command -v npm >/dev/null || problems+=("npm is missing (NodeSource's nodejs package includes it)")

# The native modules (build/Release/*.node) are compiled by npm install with node-gyp; again after
# an update of their sources.
native_built=1
for module in udp_batch sd_notify; do
  for source in native/*.[ch] binding.gyp; do
    [ "build/Release/$module.node" -nt "$source" ] || native_built=0
  done
done
if [ ! -d node_modules ] || [ "$native_built" = 0 ]; then
  no_tools=()
  for tool in make cc c++ python3; do command -v "$tool" >/dev/null || no_tools+=("$tool"); done
  [ ${#no_tools[@]} -eq 0 ] ||
    problems+=("the native modules must be compiled and ${no_tools[*]} is missing: apt-get install build-essential python3")
fi

# The same check the unit runs before every start (its ExecStartPre), with the arguments it uses.
check_args=$(sed -n "s#^ExecStartPre=/usr/bin/node $PREFIX/dist/main.js \(check .*\) --config /etc/siteboot/site.yaml\$#\1#p" "$UNIT")
[ -n "$check_args" ] || problems+=("$UNIT: no ExecStartPre line running check on /etc/siteboot/site.yaml")

if [ ${#problems[@]} -gt 0 ]; then
  printf 'install: %s\n' "${problems[@]}" >&2
  echo "install: nothing was changed" >&2
  exit 1
fi

# --- Build in the checkout and check the configuration with the new code, still changing nothing. -
if [ ! -d node_modules ] || [ "$native_built" = 0 ]; then quietly npm install --no-audit --no-fund; fi
quietly npm run -s build

config=$R/etc/siteboot/site.yaml
# The example as it would be installed: site.yaml beside its provisioning folder (files and templates).
example_dir=$(mktemp -d "${TMPDIR:-/tmp}/siteboot-site.XXXXXX")
trap 'rm -rf "$example_dir"' EXIT
example=$example_dir/site.yaml
# shellcheck disable=SC2016 # a literal $schema
sed 's#\$schema=./site.schema.json#$schema=/opt/siteboot/config/site.schema.json#' config/site.yaml >"$example"
cp -R config/provisioning "$example_dir/"
checked=$config
[ -e "$config" ] || checked=$example
# The file itself must be valid before anything changes; whether this host has its interfaces and
# addresses (--strict) decides below whether the service is started.
file_check_args=${check_args//--strict/}
# shellcheck disable=SC2086 # the check arguments hold several words
if ! report=$(node dist/main.js $file_check_args --config "$checked" 2>&1); then
  printf '%s\n' "$report" >&2
  echo "install: siteboot rejects $checked (above); nothing was changed" >&2
  exit 1
fi

# --- Install. -------------------------------------------------------------------------------------
install -d -m 0755 "$R$PREFIX" "$R/usr/local/bin"
rm -rf "$R$PREFIX/dist" "$R$PREFIX/build" "$R$PREFIX/docs"
cp -a dist docs README.md package.json package-lock.json "$R$PREFIX/"
install -d -m 0755 "$R$PREFIX/build/Release" "$R$PREFIX/config"
cp build/Release/*.node "$R$PREFIX/build/Release/"
cp config/site.schema.json "$R$PREFIX/config/"
# The native modules were built in the checkout; the runtime tree needs no build step.
(cd "$R$PREFIX" && quietly npm install --omit=dev --ignore-scripts --no-audit --no-fund)
chmod 0755 "$R$PREFIX/dist/main.js"
ln -sfn "$PREFIX/dist/main.js" "$R/usr/local/bin/siteboot"

if [ "$root" = / ]; then
  account=()
  has_account() { getent "$1" siteboot >/dev/null; }
  account_id() { id "-$1" siteboot; }
else
  account=(--prefix "$R")
  has_account() { grep -q '^siteboot:' "$R/etc/$1"; }
  account_id() { awk -F: -v f="$([ "$1" = u ] && echo 3 || echo 4)" '$1 == "siteboot" { print $f }' "$R/etc/passwd"; }
fi
has_account group || groupadd "${account[@]}" --system siteboot
has_account passwd ||
  useradd "${account[@]}" --system --gid siteboot --home-dir /var/lib/siteboot --no-create-home --shell /usr/sbin/nologin siteboot

install -d -m 0755 "$R/etc/siteboot"
if [ ! -e "$config" ]; then
  install -m 0644 "$example" "$config"
  # The example's provisioning folder, unless one is there already.
  if [ ! -e "$R/etc/siteboot/provisioning" ]; then
    cp -R "$example_dir/provisioning" "$R/etc/siteboot/"
    chmod -R u=rwX,go=rX "$R/etc/siteboot/provisioning"
  fi
  echo "install: wrote the example to /etc/siteboot/site.yaml and its provisioning folder: edit listen, dhcp, dns and provisioning for this site"
fi
install -d -m 0750 -o "$(account_id u)" -g "$(account_id g)" "$R/var/lib/siteboot"
# The unit runs the Node.js that was checked above; /usr/bin/node itself is never replaced.
install -d -m 0755 "$R/etc/systemd/system"
sed "s#^\(Exec[A-Za-z]*=\)/usr/bin/node #\1$node #" "$UNIT" >"$R/etc/systemd/system/siteboot.service"
chmod 0644 "$R/etc/systemd/system/siteboot.service"

# --- Start, or restart the running service with the new code. ------------------------------------
if [ "$root" = / ] && [ -d /run/systemd/system ]; then
  systemctl=(systemctl)
elif [ "$root" != / ] && [ -n "${SITEBOOT_SYSTEMCTL:-}" ]; then
  systemctl=("$SITEBOOT_SYSTEMCTL")
elif [ "$root" != / ]; then
  echo "install: installed into $root; systemd was not told (enable siteboot.service on the target)"
  exit 0
else
  echo "install: systemd is not running here; the unit is installed for the next boot"
  exit 0
fi
"${systemctl[@]}" daemon-reload
"${systemctl[@]}" enable --quiet siteboot.service
# The unit's own ExecStartPre would refuse a start on this host: say why instead of a failed unit,
# and leave a running service as it is.
if [ "$root" = / ] || [ "${SITEBOOT_HOST_CHECK:-}" = 1 ]; then
  # shellcheck disable=SC2086 # check_args holds several words
  if ! report=$(node dist/main.js $check_args --config "$config" 2>&1); then
    printf '%s\n' "$report" >&2
    echo "install: installed, but not (re)started: this host lacks what $config names (above); fix it, then systemctl restart siteboot" >&2
    exit 0
  fi
fi
if "${systemctl[@]}" is-active --quiet siteboot.service; then
  "${systemctl[@]}" restart siteboot.service
  echo "install: siteboot restarted with the new code: systemctl status siteboot; journalctl -u siteboot -f"
else
  "${systemctl[@]}" start siteboot.service
  echo "install: siteboot is running: systemctl status siteboot; journalctl -u siteboot -f"
fi
