#!/usr/bin/env bash
# switchboardd with `sip: { threads: 1 }` appended to the config it is given: pass it to
# run.sh as `-B bench/calls/threads1.sh` to measure one SIP loop against the default
# (one per core) in the same run. Same binary ($SWITCHBOARDD or the release build);
# `exec` keeps the PID run.sh measures.
#   bench/calls/threads1.sh --config FILE
set -u
[ "${1:-}" = --config ] && [ -n "${2:-}" ] || { echo "usage: $0 --config FILE" >&2; exit 2; }
HERE="$(cd "$(dirname "$0")" && pwd)"
cfg="${2%.yaml}.threads1.yaml"
{ cat "$2"; printf '\nsip: { threads: 1 }\n'; } > "$cfg"
exec "${SWITCHBOARDD:-$HERE/../../.build/release/switchboardd}" --config "$cfg"
