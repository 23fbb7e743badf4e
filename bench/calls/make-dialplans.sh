#!/usr/bin/env bash
# Writes the bench configuration and dialplans into DIR:
#   DIR/single.yaml, DIR/fork.yaml     switchboardd configs (UDP 127.0.0.1:PORT,
#                                      log-level warning, admission limits raised)
#   DIR/dialplans-single/bench.yaml    every number of sipp/numbers.csv -> ring-all [:5080]
#   DIR/dialplans-fork/bench.yaml      every number -> ring-all [:5080, :5081]
#   bench/calls/make-dialplans.sh DIR [PORT=5062]
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$1" PORT="${2:-5062}"
mkdir -p "$DIR/dialplans-single" "$DIR/dialplans-fork"
# numbers.csv holds +1800555xxxx and 1800555xxxx (national, no '+'): the
# dialplan lists the E.164 form; default-region US normalises the others.
nums=$(tail -n +2 "$HERE/sipp/numbers.csv" | sed 's/^+//; s/^/+/' | sort -u | sed 's/.*/"&"/' | paste -sd, -)
for topo in single fork; do
  case $topo in
    single) targets='"sip:callee@127.0.0.1:5080"';;
    fork)   targets='"sip:callee@127.0.0.1:5080", "sip:callee@127.0.0.1:5081"';;
  esac
  cat > "$DIR/dialplans-$topo/bench.yaml" <<YAML
account: bench
timezone: America/Chicago
caller-id: caller
pools:
  bench: { numbers: [$nums], plan: main, source: bench }
plans:
  main:
    ring-all: { targets: [$targets], timeout: 30s }
YAML
  cat > "$DIR/$topo.yaml" <<YAML
listen: ["udp:127.0.0.1:$PORT"]
trusted-networks: ["127.0.0.0/8"]
dialplans: $DIR/dialplans-$topo
log-level: warning
default-region: US
calls:
  max-concurrent: 200000
  max-per-number: 100000
  max-per-second-per-source: 100000
  max-duration: 1h
# One SIPp caller is the whole carrier: its 3,000 calls/s exceed the default trusted cap.
security: { trusted-flood: { requests: 1000000, window: 1s } }
YAML
done
