#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine (as root): installs the protocol peers the tests
# talk to and the npm packages, then lint, type check, build and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/quietly.sh
./scripts/install-test-peers.sh
# npm install compiles the native modules (node-gyp): its output only matters when it fails.
quietly npm install --no-audit --no-fund
npm test
