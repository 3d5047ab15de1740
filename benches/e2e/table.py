#!/usr/bin/env python3
"""The end-to-end benchmark's table, from the raw lines run.sh writes ($OUT/raw.txt).

    python3 benches/e2e/table.py RAW [SERVER ...]   # markdown on stdout

One row per (kind, conns, size, server), each figure the median over the rounds. The server
CPU per message (user, sys, total) comes from one round, the one with the median total (with
an even number of rounds, the mean of the middle two), so that user + sys = total in every row
and in the chart (chart.py, which reads the raw lines through this module).

The ratios compare each server with the best peer of its cell: the lowest figure among the
peers (fastwebsockets, tokio-websockets, tokio-tungstenite) for that column: user CPU with the
lowest user CPU, total with the lowest total, p99 with the lowest p99. Python 3 standard
library only. Raw lines of older runs (no kind, no user/sys split) are read as binary, with
"–" where a figure is missing.
"""

import statistics
import sys

PEERS = ("fastwebsockets", "tokio-websockets", "tokio-tungstenite")
SERVERS = ("wswire",) + PEERS
KINDS = ("binary", "text")
# Issue 5's target: wswire's server CPU per message at most this times the peer's, with p99 no
# worse, at these connection counts.
TARGET_RATIO = 0.8
TARGET_CONNS = (16, 100)


def load(path):
    """The header comments and the runs of a raw file: ([str], {(server, kind, conns, size): [kv]})."""
    header, runs = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                header.append(line.lstrip("# "))
                continue
            kv = dict(field.split("=", 1) for field in line.split() if "=" in field)
            key = (kv["server"], kv.get("kind", "binary"), int(kv["conns"]), int(kv["size"]))
            runs.setdefault(key, []).append(kv)
    return header, runs


def _num(run, field):
    v = run.get(field)
    return float(v) if v is not None else None


def _median(rs, field):
    vals = [_num(r, field) for r in rs]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarize(runs):
    """{key: {field: value}}: medians over the rounds; CPU from the median round by total."""
    out = {}
    for key, rs in runs.items():
        s = {f: _median(rs, f) for f in
             ("msgs_per_s", "p50_us", "p99_us", "sched_us_per_msg", "server_cpu_util")}
        by_total = sorted(rs, key=lambda r: _num(r, "cpu_us_per_msg"))
        mid = len(by_total) // 2
        middle = by_total[mid:mid + 1] if len(by_total) % 2 else by_total[mid - 1:mid + 1]
        for f in ("user_us_per_msg", "sys_us_per_msg", "cpu_us_per_msg"):
            vals = [_num(r, f) for r in middle]
            s[f] = sum(vals) / len(vals) if None not in vals else None
        s["rounds"] = len(rs)
        out[key] = s
    return out


def best_peer(summary, kind, conns, size, field):
    """(server, value) of the peer with the lowest `field` in a cell, or (None, None)."""
    vals = [(summary[(p, kind, conns, size)][field], p) for p in PEERS
            if (p, kind, conns, size) in summary
            and summary[(p, kind, conns, size)][field] is not None]
    if not vals:
        return None, None
    v, p = min(vals)
    return p, v


def cells(summary):
    """The cells (kind, conns, size) present, binary before text, then by conns and size."""
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted({(k, c, s) for (_, k, c, s) in summary},
                  key=lambda cell: (order.get(cell[0], len(order)), cell[0], cell[1], cell[2]))


def size_name(n):
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


def _fmt(v, spec):
    return "–" if v is None else format(v, spec)


def _ratio(a, b):
    return None if a is None or not b else a / b


def table(summary, servers):
    lines = [
        "| server | kind | conns | size | msgs/s | p50 µs | p99 µs | user µs/msg | sys µs/msg "
        "| total µs/msg | user ÷ best peer | total ÷ best peer | p99 ≤ best peer |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for kind, c, size in cells(summary):
        _, best_user = best_peer(summary, kind, c, size, "user_us_per_msg")
        _, best_total = best_peer(summary, kind, c, size, "cpu_us_per_msg")
        _, best_p99 = best_peer(summary, kind, c, size, "p99_us")
        for srv in servers:
            s = summary.get((srv, kind, c, size))
            if s is None:
                continue
            p99_ok = "–" if best_p99 is None else ("yes" if s["p99_us"] <= best_p99 else "no")
            lines.append(
                f"| {srv} | {kind} | {c} | {size_name(size)} | {_fmt(s['msgs_per_s'], ',.0f')} | "
                f"{_fmt(s['p50_us'], '.0f')} | {_fmt(s['p99_us'], '.0f')} | "
                f"{_fmt(s['user_us_per_msg'], '.2f')} | {_fmt(s['sys_us_per_msg'], '.2f')} | "
                f"{_fmt(s['cpu_us_per_msg'], '.2f')} | "
                f"{_fmt(_ratio(s['user_us_per_msg'], best_user), '.2f')} | "
                f"{_fmt(_ratio(s['cpu_us_per_msg'], best_total), '.2f')} | {p99_ok} |")
    return lines


def target(summary):
    """wswire against the best peer of each cell at the target's connection counts."""
    rows = []
    for kind, c, size in cells(summary):
        w = summary.get(("wswire", kind, c, size))
        if c not in TARGET_CONNS or w is None:
            continue
        peer, best_total = best_peer(summary, kind, c, size, "cpu_us_per_msg")
        _, best_user = best_peer(summary, kind, c, size, "user_us_per_msg")
        p99_peer, best_p99 = best_peer(summary, kind, c, size, "p99_us")
        if peer is None:
            continue
        tr = _ratio(w["cpu_us_per_msg"], best_total)
        ur = _ratio(w["user_us_per_msg"], best_user)
        pr = _ratio(w["p99_us"], best_p99)
        why = (["CPU"] if tr > TARGET_RATIO else []) + (["p99"] if pr > 1.0 else [])
        rows.append(f"| {kind} | {c} | {size_name(size)} | {peer} | {tr:.2f} | {_fmt(ur, '.2f')} | "
                    f"{p99_peer} | {pr:.2f} | {'met' if not why else 'missed (' + ', '.join(why) + ')'} |")
    if not rows:
        return []
    return [
        "",
        f"Target (issue 5): wswire's server CPU per message ≤ {TARGET_RATIO}× the peer's and p99 "
        f"no worse, at {' and '.join(map(str, TARGET_CONNS))} connections; here against the best "
        "peer of each cell (lowest total CPU, lowest p99).",
        "",
        "| kind | conns | size | best peer (CPU) | total ratio | user ratio | best peer (p99) "
        "| p99 ratio | verdict |",
        "| --- | ---: | ---: | --- | ---: | ---: | --- | ---: | --- |",
    ] + rows


def crosscheck(summary):
    """How far utime+stime is from the schedstat run time, over all rows."""
    worst = None
    for key, s in summary.items():
        if s["cpu_us_per_msg"] is None or not s["sched_us_per_msg"]:
            continue
        dev = abs(s["cpu_us_per_msg"] / s["sched_us_per_msg"] - 1.0)
        if worst is None or dev > worst[0]:
            worst = (dev, key)
    if worst is None:
        return []
    dev, (srv, kind, c, size) = worst
    return ["", f"utime+stime against the schedstat run time: within {dev * 100:.1f} % in every row "
                f"(largest: {srv}, {kind}, conns={c}, {size_name(size)})."]


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    _, runs = load(argv[1])
    servers = argv[2:] or list(SERVERS)
    if len(servers) == 1:
        servers = servers[0].split()
    summary = summarize(runs)
    for line in table(summary, servers) + target(summary) + crosscheck(summary):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
