# shellcheck shell=bash
# Sourced by the scripts in scripts/. quietly COMMAND...: runs COMMAND with its output (compiler and
# package-manager chatter) in a log file, and prints that log only when COMMAND fails.
quietly() {
  local log status=0
  log=$(mktemp "${TMPDIR:-/tmp}/siteboot-${1##*/}.XXXXXX.log")
  "$@" >"$log" 2>&1 </dev/null || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    echo "${0##*/}: '$*' failed (exit $status); its output is above and in $log" >&2
    return "$status"
  fi
  rm -f "$log"
}
