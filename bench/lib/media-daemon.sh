# Sourced by bench/ivr/run.sh and bench/queue/run.sh: writes the release daemon's config for
# a media benchmark (UDP SIP on loopback, admission limits out of the way, RTP on MEDIA_PORTS,
# MEDIA_THREADS if set), starts it with its log in $WORK/daemon.log and waits until it is ready.
# Needs: BIN, WORK (with WORK/dialplans), SIP_PORT, MEDIA_PORTS. Sets DAEMON (its PID).
start_media_daemon() {
  cat > "$WORK/switchboard.yaml" <<YAML
listen: ["udp:127.0.0.1:$SIP_PORT"]
dialplans: $WORK/dialplans
log-level: info
calls: { max-per-second-per-source: 1000, max-per-number: 100000 }
security: { trusted-flood: { requests: 1000000, window: 1s } }
media: { address: 127.0.0.1, ports: $MEDIA_PORTS, timeout: 120s${MEDIA_THREADS:+, threads: $MEDIA_THREADS} }
YAML
  "$BIN" --config "$WORK/switchboard.yaml" 2> "$WORK/daemon.log" &
  DAEMON=$!
  for _ in $(seq 1 100); do grep -q "switchboardd ready" "$WORK/daemon.log" && return 0; sleep 0.1; done
  echo "switchboardd did not become ready:" >&2; cat "$WORK/daemon.log" >&2; kill "$DAEMON" 2>/dev/null; return 1
}
