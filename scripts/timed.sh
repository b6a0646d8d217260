#!/usr/bin/env bash
# Runs one khabar stage (`timed.sh .venv/bin/khabar <command> …`) and says how long it took;
# with KHABAR_STAGE_LOG set, also appends "<command>\t<seconds>\t<exit status>" to that file,
# which `make all` sums up at its end.
set -uo pipefail
start=$(date +%s.%N)
"$@"
rc=$?
# The stage: the command, and the mode flags that make one command two stages (export pulls
# with --no-build, then builds the dataset with --from-file).
name=${2:-}
for arg in "$@"; do
  case $arg in --from-file | --no-build) name+=" $arg" ;; esac
done
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "  [khabar $name took ${secs} s]" >&2
if [[ -n "${KHABAR_STAGE_LOG:-}" ]]; then
  printf '%s\t%s\t%s\n' "$name" "$secs" "$rc" >> "$KHABAR_STAGE_LOG"
fi
exit "$rc"
