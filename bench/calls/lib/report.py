#!/usr/bin/env python3
"""Side-by-side report of a bench/calls/run.sh output directory.

Reads every */summary.json (written by summarize.py) named
ours-<topo>-r<rate>-<try> or kam-<topo>-r<rate>-<try> and prints a Markdown
report: per topology and rate, each system's best try (a pass if any try
passed), INVITE->180 p50/p99, CPU% and CPU per call; then the highest passing
rate of each system and the ratios ours/Kamailio.

CPU per call (us) = system CPU seconds over the steady window / calls set up
in that window = sut_cpu_pct/100 * 1e6 / achieved_cps.  Where the system writes
records to PostgreSQL (our leg records, Kamailio's acc: "kamacc"), the
database's CPU is added (db_cpu_pct): the records are part of the work.
"""
import glob
import json
import os
import re
import sys

d = sys.argv[1]
runs = {}
for p in glob.glob(os.path.join(d, "*", "summary.json")):
    m = re.match(r"(ours|base|kamacc|kam)-(\w+)-r(\d+)-(\d+)$", os.path.basename(os.path.dirname(p)))
    if not m:
        continue
    with open(p) as f:
        s = json.load(f)
    key = (m.group(2), int(m.group(3)), m.group(1))
    runs.setdefault(key, []).append(s)


def best(lst):
    """A passing try if any, else the try with the fewest failed calls."""
    ok = [s for s in lst if s.get("pass")]
    pick = ok[-1] if ok else min(lst, key=lambda s: (s.get("failed") or 0, s.get("retrans_pct") or 0))
    return pick, len(ok), len(lst)


def f(v, nd=0):
    try:
        return ("%%.%df" % nd) % float(v)
    except (TypeError, ValueError):
        return "-"


def us_per_call(s):
    try:
        cpu = float(s["sut_cpu_pct"]) + float(s.get("db_cpu_pct") or 0)
        return cpu / 100.0 * 1e6 / max(1e-9, float(s["achieved_cps"]))
    except (KeyError, TypeError, ValueError):
        return None


env = {}
if os.path.exists(os.path.join(d, "run.env")):
    for line in open(os.path.join(d, "run.env")):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            env[k] = v
print("# Calls benchmark: switchboardd vs Kamailio (%s)\n" % env.get("date", "?"))
for k in ("host", "switchboardd", "base", "kamailio", "sipp", "rates", "leg_records", "kamailio_acc"):
    if k in env:
        print("* %s: %s" % (k, env[k]))
print()

topos = sorted({k[0] for k in runs}, key=lambda t: (t != "single", t))
summary = []
for topo in topos:
    print("## %s\n" % topo)
    print("| rate | system | pass | achieved cps | failed | retrans % | 180 p50/p99 ms | CPU % | db CPU % | records | CPU µs/call | other CPU % | load1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rates = sorted({k[1] for k in runs if k[0] == topo})
    top = {"ours": None, "kam": None, "kamacc": None, "base": None}
    per = {}
    for r in rates:
        for sysname in ("ours", "base", "kam", "kamacc"):
            if (topo, r, sysname) not in runs:
                continue
            s, npass, n = best(runs[(topo, r, sysname)])
            u = us_per_call(s)
            per[(r, sysname)] = (s, npass, u)
            if npass:
                top[sysname] = r
            label = {"ours": "switchboardd", "base": "switchboardd (base)"}.get(sysname, "kamailio c=%s%s" % (
                s.get("children", "?"), " acc=%s" % s.get("acc") if sysname == "kamacc" else ""))
            records = "-"
            if s.get("acc_rows") not in (None, ""):
                records = "%s/%s" % (s.get("acc_rows"), s.get("acc_rows_expected"))
            print("| %d | %s | %d/%d | %s | %s | %s | %s/%s | %s | %s | %s | %s | %s | %s |" % (
                r, label, npass, n, f(s.get("achieved_cps")), s.get("failed"), s.get("retrans_pct"),
                f(s.get("setup_p50_ms")), f(s.get("setup_p99_ms")), f(s.get("sut_cpu_pct")), f(s.get("db_cpu_pct")),
                records, f(u), f(s.get("other_cpu_pct")), s.get("load1_before")))
    print()
    line = {"topo": topo}
    for sysname in ("ours", "base", "kam", "kamacc"):
        line[sysname + "_best"] = top[sysname]
        if top[sysname]:
            s, _, u = per[(top[sysname], sysname)]
            line.update({sysname + "_p50": s.get("setup_p50_ms"), sysname + "_p99": s.get("setup_p99_ms"), sysname + "_us": u})
    for peer in ("kam", "kamacc"):
        # CPU per call compared at the highest rate both held (else both ran)
        common = [r for r in rates if per.get((r, "ours"), (0, 0))[1] and per.get((r, peer), (0, 0))[1]]
        if not common:
            common = [r for r in rates if (r, "ours") in per and (r, peer) in per]
        if common:
            c = common[-1]
            line.update({peer + "_common": c, peer + "_ours_us_c": per[(c, "ours")][2], peer + "_us_c": per[(c, peer)][2]})
    summary.append(line)

print("## Summary (highest rate held with no failed call)\n")
print("| topology | peer | switchboardd cps | peer cps | ratio | ours 180 p50/p99 ms | peer 180 p50/p99 ms | CPU µs/call ours / peer (at cps) | ratio |")
print("|---|---|---|---|---|---|---|---|---|")
for l in summary:
    for peer, name in (("kam", "Kamailio"), ("kamacc", "Kamailio + acc")):
        if not any(k[0] == l["topo"] and k[2] == peer for k in runs):
            continue
        ratio = "-"
        if l.get("ours_best") and l.get(peer + "_best"):
            ratio = "%.2f" % (l["ours_best"] / l[peer + "_best"])
        cpu, cratio = "-", "-"
        if l.get(peer + "_common"):
            uo, up = l[peer + "_ours_us_c"], l[peer + "_us_c"]
            cpu = "%s / %s (%d)" % (f(uo), f(up), l[peer + "_common"])
            if uo and up:
                cratio = "%.2f" % (uo / up)
        print("| %s | %s | %s | %s | %s | %s/%s | %s/%s | %s | %s |" % (
            l["topo"], name, l.get("ours_best") or "none", l.get(peer + "_best") or "none", ratio,
            f(l.get("ours_p50")), f(l.get("ours_p99")), f(l.get(peer + "_p50")), f(l.get(peer + "_p99")), cpu, cratio))

if any(l.get("base_best") for l in summary):
    print("\n## Before/after (base = the binary given with -B, same run)\n")
    print("| topology | base cps | after cps | base 180 p50/p99 ms | after 180 p50/p99 ms | base CPU µs/call | after CPU µs/call |")
    print("|---|---|---|---|---|---|---|")
    for l in summary:
        print("| %s | %s | %s | %s/%s | %s/%s | %s | %s |" % (
            l["topo"], l.get("base_best") or "none", l.get("ours_best") or "none",
            f(l.get("base_p50")), f(l.get("base_p99")), f(l.get("ours_p50")), f(l.get("ours_p99")),
            f(l.get("base_us")), f(l.get("ours_us"))))
