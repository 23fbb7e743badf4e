#!/usr/bin/env bash
# SIPVicious against the daemon from an untrusted loopback address (issue 13).
#
#   bench/edge/scan.sh [-p sip_port=5174] [-s scanner_ip=127.0.0.9] [-o DIR]
#
# Starts switchboardd (release) trusting only 127.0.0.2 (a carrier that takes no part), so
# every scanner address is a stranger — svwar 0.3.8 ignores -b and sends from 127.0.0.1 —
# once with `untrusted: reject` and
# once with `untrusted: drop`, and runs from the scanner address: svmap (OPTIONS sweep),
# svwar with REGISTER (default), INVITE and OPTIONS over extensions 100-300 and the
# dialplans' tracking numbers. Needs `pip install sipvicious`. Bounded: every scan runs
# under `timeout 120`; only the daemon started here is signalled, by PID.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PORT=5174 SCANNER=127.0.0.9 OUT=
while getopts "p:s:o:h" o; do
  case "$o" in p) PORT="$OPTARG";; s) SCANNER="$OPTARG";; o) OUT="$OPTARG";;
    *) sed -n "2,$(( $(grep -n '^set -u' "$0" | cut -d: -f1) - 1 ))p" "$0"; exit 2;; esac
done
[ -n "$OUT" ] || OUT="$(mktemp -d "${BENCH_OUT:-/tmp}/edge-scan.XXXXXX")"
mkdir -p "$OUT"
DAEMON="${SWITCHBOARDD:-$REPO/.build/release/switchboardd}"
command -v sipvicious_svmap >/dev/null || { echo "pip install sipvicious" >&2; exit 1; }
DPID=
stop() { [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null; DPID=; }
trap stop EXIT
# The sample dialplans' numbers, as a dictionary for svwar (E.164 without '+', and with).
grep -ho '"+[0-9]*"' "$REPO"/Dialplans/*.yaml | tr -d '"' | sort -u > "$OUT/numbers.txt"
sed 's/^+//' "$OUT/numbers.txt" >> "$OUT/numbers.txt"
for mode in reject drop; do
  cat > "$OUT/$mode.yaml" <<YAML
listen: ["udp:127.0.0.1:$PORT"]
trusted-networks: ["127.0.0.2/32"]
dialplans: $REPO/Dialplans
log-level: notice
security: { untrusted: $mode }
YAML
  "$DAEMON" --config "$OUT/$mode.yaml" > "$OUT/$mode-daemon.log" 2>&1 &
  DPID=$!
  for _ in $(seq 1 100); do ss -Hlun "sport = :$PORT" | grep -q 127.0.0.1 && break; sleep 0.1; done
  {
    echo "### untrusted: $mode"
    echo '$ sipvicious_svmap -b '"$SCANNER 127.0.0.1 -p $PORT"
    timeout 120 sipvicious_svmap -b "$SCANNER" 127.0.0.1 -p "$PORT" 2>&1
    for method in REGISTER INVITE OPTIONS; do
      echo '$ sipvicious_svwar -b '"$SCANNER -m $method -e100-300 udp://127.0.0.1:$PORT"
      timeout 120 sipvicious_svwar -b "$SCANNER" -m "$method" -e100-300 "udp://127.0.0.1:$PORT" 2>&1
    done
    echo '$ sipvicious_svwar -b '"$SCANNER -m INVITE -d numbers.txt udp://127.0.0.1:$PORT"
    timeout 120 sipvicious_svwar -b "$SCANNER" -m INVITE -d "$OUT/numbers.txt" "udp://127.0.0.1:$PORT" 2>&1
    echo "daemon log lines: $(wc -l < "$OUT/$mode-daemon.log")"; grep -E "banned|edge" "$OUT/$mode-daemon.log"
  } | tee "$OUT/$mode.txt"
  stop
done
echo "output: $OUT"
