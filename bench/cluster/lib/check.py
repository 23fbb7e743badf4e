#!/usr/bin/env python3
"""The report of one bench/cluster/run.sh: reads the callers' SIPp message traces
(caller-N.msg), kill.at / restart.at, close-N.out, and queries call_legs and leg_ratings
through the same (multi-host) URL the daemons use. Prints a short markdown report and
exits 1 when a promise is broken:

  spread      every node recorded legs
  around      every call whose INVITE was sent after the kill was answered and hung up
              (the dispatcher routed around the dead node)
  going on    every call answered by a node that was not killed was hung up normally
  once        every call whose BYE was answered has its inbound and outbound leg, each
              exactly once, both `completed` (for the killed node: BYEs answered at least
              1 s before the kill, the journal's group-fsync promise, or after the restart)
  open        no leg is left open
  close       leg_ratings holds each ended leg once, and the closes together rated that many
"""
import argparse, datetime, glob, os, re, subprocess, sys

SEP = "----------------------------------------------- "


def parse_trace(path):
    """Call-ID -> {invite: t, node_ip: ip, answered: t, bye_ok: t}"""
    calls = {}
    text = open(path, encoding="latin-1").read()
    for block in text.split(SEP)[1:]:
        block = block.replace("\r\n", "\n")
        try:
            stamp = datetime.datetime.strptime(block[:26], "%Y-%m-%d %H:%M:%S.%f").timestamp()
        except ValueError:
            continue
        head, _, msg = block.partition("\n\n")
        msg = msg.lstrip("\n")
        received = "message received" in head
        h = {}
        for line in msg.split("\n")[1:]:
            if not line.strip():
                break
            k, _, v = line.partition(":")
            h.setdefault(k.strip().lower(), v.strip())
        cid = h.get("call-id")
        if not cid:
            continue
        c = calls.setdefault(cid, {})
        if not received and msg.startswith("INVITE "):
            c.setdefault("invite", stamp)
        elif received and msg.startswith("SIP/2.0 200") and h.get("cseq") == "1 INVITE":
            m = re.search(r"@?(127\.0\.0\.\d+)", h.get("contact", ""))
            c.setdefault("answered", stamp)
            if m:
                c.setdefault("node_ip", m.group(1))
        elif received and msg.startswith("SIP/2.0 200") and h.get("cseq") == "2 BYE":
            c.setdefault("bye_ok", stamp)
    return calls


def psql(url, sql):
    out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-F", "\t", "-d", url, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--killed", type=int, required=True)
    ap.add_argument("--hold-ms", type=int, default=2000)
    ap.add_argument("--phases", type=int, default=1)
    a = ap.parse_args()
    kill_at = float(open(os.path.join(a.out, "kill.at")).read())
    restart_at = float(open(os.path.join(a.out, "restart.at")).read())
    node_of_ip = {f"127.0.0.{i + 1}": f"node-{i}" for i in range(1, a.nodes + 1)}
    killed = f"node-{a.killed}"

    legs = {}  # sip_call_id -> list of (node, reason, outbound legs, outbound completed)
    for cid, node, reason, outs, outs_done in psql(a.database, """
        SELECT i.sip_call_id, i.node, coalesce(i.end_reason, 'open'), count(o.leg_id),
               count(o.leg_id) FILTER (WHERE o.end_reason = 'completed')
        FROM call_legs i LEFT JOIN call_legs o ON o.call_id = i.call_id AND o.direction = 'outbound'
        WHERE i.direction = 'inbound' GROUP BY i.leg_id, i.sip_call_id, i.node, i.end_reason"""):
        legs.setdefault(cid, []).append((node, reason, int(outs), int(outs_done)))
    per_node = dict((n, int(c)) for n, c in psql(a.database, "SELECT node, count(*) FROM call_legs GROUP BY node"))
    reasons = dict((r, int(c)) for r, c in psql(a.database,
                   "SELECT coalesce(end_reason, 'open'), count(*) FROM call_legs GROUP BY 1"))
    total, distinct = map(int, psql(a.database, "SELECT count(*), count(DISTINCT leg_id) FROM call_legs")[0])

    failures, lines = [], []
    lines.append(f"# Cluster run: {a.nodes} nodes behind Kamailio's dispatcher\n")
    lines.append("| node | legs |\n| --- | --- |")
    for n in sorted(node_of_ip.values()):
        lines.append(f"| {n}{' (killed, restarted)' if n == killed else ''} | {per_node.get(n, 0)} |")
        if per_node.get(n, 0) == 0:
            failures.append(f"spread: {n} recorded no leg")
    lines.append(f"\nlegs: {total} ({distinct} distinct), by end reason: {reasons}")
    if reasons.get("open"):
        failures.append(f"open: {reasons['open']} legs left open")

    for phase in range(1, a.phases + 1):
        calls = parse_trace(os.path.join(a.out, f"caller-{phase}.msg"))
        invited = [c for c in calls.values() if "invite" in c]
        answered = [c for c in invited if "answered" in c]
        done = {cid: c for cid, c in calls.items() if "bye_ok" in c}
        by_node = {}
        for c in answered:
            n = node_of_ip.get(c.get("node_ip"), "?")
            by_node[n] = by_node.get(n, 0) + 1
        lines.append(f"\n## Phase {phase}{' (kill -9 of ' + killed + ')' if phase == 1 else ' (PostgreSQL failover)'}\n")
        lines.append(f"calls: {len(invited)} sent, {len(answered)} answered, {len(done)} hung up normally (BYE 200); "
                     f"answered per node: {dict(sorted(by_node.items()))}")
        if phase == 1:
            after = [cid for cid, c in calls.items() if c.get("invite", 0) > kill_at]
            after_bad = [cid for cid in after if "bye_ok" not in calls[cid]]
            down = [cid for cid in after if calls[cid].get("invite", 0) < restart_at]
            on_dead = [cid for cid in down if node_of_ip.get(calls[cid].get("node_ip")) == killed]
            lines.append(f"around: {len(after)} calls sent after the kill ({len(down)} while the node was down), "
                         f"{len(after) - len(after_bad)} completed; answered by the dead node while down: {len(on_dead)}")
            if after_bad:
                failures.append(f"around: {len(after_bad)} calls sent after the kill did not complete, e.g. {after_bad[:3]}")
            if on_dead:
                failures.append(f"around: {len(on_dead)} calls answered by the dead node")
            lost = [cid for cid, c in calls.items() if "answered" in c and "bye_ok" not in c]
            lost_other = [cid for cid in lost if node_of_ip.get(calls[cid].get("node_ip")) != killed]
            lines.append(f"going on: {len(lost)} answered calls did not end normally, "
                         f"{len(lost_other)} of them on a node that was not killed")
            if lost_other:
                failures.append(f"going on: {len(lost_other)} calls on live nodes broke, e.g. {lost_other[:3]}")
        settled, missing, doubled, window, window_kept = [], [], [], 0, 0
        for cid, c in done.items():
            node = node_of_ip.get(c.get("node_ip"))
            if phase == 1 and node == killed and kill_at - 1 < c["bye_ok"] < restart_at:
                # inside the journal's fsync window before the kill: not promised; count what survived
                window += 1
                window_kept += sum(1 for r in legs.get(cid, []) if r[1] == "completed" and r[2] == r[3] == 1) == 1
                continue
            settled.append(cid)
            rows = [r for r in legs.get(cid, []) if r[1] == "completed"]
            if len(rows) > 1:
                doubled.append(cid)
            elif not rows or rows[0][2] != 1 or rows[0][3] != 1:
                missing.append(cid)
        lines.append(f"once: {len(settled)} calls with an answered BYE checked: {len(missing)} missing or incomplete, "
                     f"{len(doubled)} doubled" + (f"; {window} more on the killed node hung up in the last second "
                     f"before the kill (not promised), {window_kept} of them recorded complete anyway" if phase == 1 else ""))
        if missing:
            failures.append(f"once: phase {phase}: {len(missing)} calls lack a leg, e.g. {missing[:3]}")
        if doubled:
            failures.append(f"once: phase {phase}: {len(doubled)} calls recorded twice, e.g. {doubled[:3]}")

    kam = open(os.path.join(a.out, "kamailio.log"), encoding="latin-1").read()
    lines.append(f"\ndispatcher: {kam.count('trying the next')} INVITEs failed over to the next node, "
                 f"{kam.count('node down:')} node-down and {kam.count('node up:')} node-up events, "
                 f"{kam.count('no node available')} calls refused for want of a node")

    ended = int(psql(a.database, "SELECT count(*) FROM call_legs WHERE ended_at IS NOT NULL")[0][0])
    ratings, rated_distinct = map(int, psql(a.database, "SELECT count(*), count(DISTINCT leg_id) FROM rated_legs")[0])
    rated_sum, per_close = 0, []
    for f in sorted(glob.glob(os.path.join(a.out, "close-*.out"))):
        m = re.search(r"(\d+) legs rated", open(f).read())
        per_close.append(int(m.group(1)) if m else None)
        rated_sum += int(m.group(1)) if m else 0
    lines.append(f"\n## Billing close on every node at once\n")
    lines.append(f"legs rated per close: {per_close}; ratings: {ratings} ({rated_distinct} distinct legs) "
                 f"for {ended} ended legs")
    if None in per_close:
        failures.append("close: a close failed (see close-N.out)")
    if not (ratings == rated_distinct == ended == rated_sum):
        failures.append(f"close: {ratings} ratings, {rated_distinct} distinct, {ended} legs, {rated_sum} reported")

    lines.append("\n" + ("PASS" if not failures else "FAIL\n" + "\n".join("- " + f for f in failures)))
    print("\n".join(lines))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
