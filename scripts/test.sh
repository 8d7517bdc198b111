#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine (as root): installs the protocol peers the tests
# talk to and the npm packages, then lint, type check, build and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-peers.sh
npm install --no-audit --no-fund
npm test
