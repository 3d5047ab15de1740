#!/usr/bin/env python3
"""The end-to-end benchmark's table, from the raw lines run.sh writes ($OUT/raw.txt).

    python3 benches/e2e/table.py RAW [SERVER ...]   # markdown on stdout

One row per (kind, conns, size, server), each figure the median over the rounds. The server
CPU per message (user, sys, total) comes from one round, the one with the median total (with
an even number of rounds, the mean of the middle two), so that user + sys = total in every row
and in the chart (chart.py, which reads the raw lines through this module).

The ratios compare each server with the best peer of its cell: the lowest figure among the
peers (fastwebsockets, tokio-websockets, tokio-tungstenite) for that column: user CPU with the
lowest user CPU, total with the lowest total, p99 with the lowest p99. The floor
(src/bin/echo_floor.rs: the frames read, unmasked and written back with no WebSocket rule at
all) is never a peer: its row is what no server on this runtime can go below, and the target
section says in which cells even it misses a target, i.e. where the target cannot be met. Python 3 standard
library only. Raw lines of older runs (no kind, no user/sys split) are read as binary, with
"–" where a figure is missing.
"""

import statistics
import sys

PEERS = ("fastwebsockets", "tokio-websockets", "tokio-tungstenite")
FLOOR = "floor"
SERVERS = ("wswire",) + PEERS + (FLOOR,)
KINDS = ("binary", "text")
# Issue 11's targets, in every cell: wswire's user CPU per message at most USER_TARGET times the
# best peer's, its total at most TOTAL_TARGET times, its p99 no worse than the best peer's.
USER_TARGET = 0.8
TOTAL_TARGET = 1.0


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


def _verdict(s, best_user, best_total, best_p99):
    """(user ratio, total ratio, p99 ratio, [targets missed]) of one server in one cell."""
    ur = _ratio(s["user_us_per_msg"], best_user)
    tr = _ratio(s["cpu_us_per_msg"], best_total)
    pr = _ratio(s["p99_us"], best_p99)
    missed = ((["user"] if ur is None or ur > USER_TARGET else [])
              + (["total"] if tr is None or tr > TOTAL_TARGET else [])
              + (["p99"] if pr is None or pr > 1.0 else []))
    return ur, tr, pr, missed


def target(summary):
    """wswire against issue 11's targets in each cell, and the floor against the same."""
    rows, met, floor_missed = [], 0, {"user": 0, "total": 0, "p99": 0}
    for kind, c, size in cells(summary):
        w = summary.get(("wswire", kind, c, size))
        if w is None:
            continue
        _, best_user = best_peer(summary, kind, c, size, "user_us_per_msg")
        _, best_total = best_peer(summary, kind, c, size, "cpu_us_per_msg")
        _, best_p99 = best_peer(summary, kind, c, size, "p99_us")
        if best_total is None:
            continue
        ur, tr, pr, missed = _verdict(w, best_user, best_total, best_p99)
        met += not missed
        f = summary.get((FLOOR, kind, c, size))
        if f is not None:
            fur, ftr, fpr, fmissed = _verdict(f, best_user, best_total, best_p99)
            for t in fmissed:
                floor_missed[t] += 1
            floor = (f"{_fmt(fur, '.2f')} | {_fmt(ftr, '.2f')} | {_fmt(fpr, '.2f')} | "
                     f"{', '.join(fmissed) or '–'}")
        else:
            floor = "– | – | – | –"
        rows.append(f"| {kind} | {c} | {size_name(size)} | {_fmt(ur, '.2f')} | {_fmt(tr, '.2f')} | "
                    f"{_fmt(pr, '.2f')} | {'met' if not missed else 'missed: ' + ', '.join(missed)} | "
                    f"{floor} |")
    if not rows:
        return []
    lines = [
        "",
        f"Targets (issue 11), in every cell: wswire's user CPU per message ≤ {USER_TARGET}× the "
        f"best peer's, total ≤ {TOTAL_TARGET}×, p99 ≤ the best peer's (best peer: the lowest "
        "figure of that column among the peers). The floor's ratios are against the same best "
        "peer: where the floor misses a target, no server on this runtime can meet it.",
        "",
        "| kind | conns | size | user ratio | total ratio | p99 ratio | wswire | floor user "
        "| floor total | floor p99 | floor misses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ] + rows
    lines += ["", f"wswire meets all three targets in {met} of {len(rows)} cells."]
    if any(summary.get((FLOOR,) + cell) for cell in cells(summary)):
        lines.append("The floor itself misses the user target in "
                     f"{floor_missed['user']}, the total target in {floor_missed['total']} and "
                     f"the p99 target in {floor_missed['p99']} of {len(rows)} cells.")
    return lines


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
