#!/usr/bin/env python3
"""The end-to-end benchmark's chart: an SVG from the raw lines run.sh writes ($OUT/raw.txt).

    python3 benches/e2e/chart.py RAW OUT.svg

One panel per kind (rows) and message size (columns), the connection counts along the x
axis, one bar per server in each group: the server's CPU per echoed message, user time
(solid) with system time (light) stacked on it, the total written above the bar; under each
group, wswire's total against the best peer's (the lowest total among fastwebsockets,
tokio-websockets, tokio-tungstenite). Each panel has its own y scale. The figures are the
table's (table.py): from the round with the median total CPU. Hand-written SVG, Python 3
standard library only.
"""

import math
import os
import sys
from xml.sax.saxutils import escape

# No __pycache__ left in the source tree by the import below.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import table  # noqa: E402  (benches/e2e/table.py: the raw lines' parsing and medians)

COLORS = {
    "wswire": "#d9480f",
    "fastwebsockets": "#1c7ed6",
    "tokio-websockets": "#2f9e44",
    "tokio-tungstenite": "#7048e8",
    "floor": "#adb5bd",
}
OTHER_COLOR = "#868e96"
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'

# Geometry (px): one panel's plot area and the room around it.
PLOT_W, PLOT_H = 260, 200
PAD_L, PAD_R, PAD_T, PAD_B = 52, 16, 30, 58
PANEL_W, PANEL_H = PAD_L + PLOT_W + PAD_R, PAD_T + PLOT_H + PAD_B
MARGIN_L, MARGIN_R, HEAD, FOOT = 20, 20, 120, 62


def nice_step(span, ticks=4):
    """A 1-2-2.5-5 step that cuts `span` into about `ticks` intervals."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def fmt_tick(v):
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return s or "0"


def fmt_value(v):
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def short(server):
    """A peer's name, short enough for a group's width."""
    return {"fastwebsockets": "fws", "tokio-websockets": "tws",
            "tokio-tungstenite": "tt"}.get(server, server)


def text(x, y, s, size=11, anchor="start", weight="normal", fill="#212529", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}" {FONT} {extra}>{escape(s)}</text>')


def panel(out, x0, y0, summary, servers, kind, size, conns_list):
    """One panel with its top-left corner at (x0, y0)."""
    px, py = x0 + PAD_L, y0 + PAD_T
    out.append(text(px + PLOT_W / 2, y0 + 18, f"{kind} · {table.size_name(size)}", size=13,
                    anchor="middle", weight="bold"))
    rows = {(srv, c): summary.get((srv, kind, c, size)) for srv in servers for c in conns_list}
    totals = [r["cpu_us_per_msg"] for r in rows.values() if r and r["cpu_us_per_msg"] is not None]
    if not totals:
        out.append(text(px + PLOT_W / 2, py + PLOT_H / 2, "no data", anchor="middle"))
        return
    # Headroom for the rotated value labels above the tallest bar.
    step = nice_step(max(totals) * 1.3)
    top = step * math.ceil(max(totals) * 1.3 / step)

    def y(v):
        return py + PLOT_H - v / top * PLOT_H

    # Grid and y axis.
    t = 0.0
    while t <= top + step / 1000:
        out.append(f'<line x1="{px}" y1="{y(t):.1f}" x2="{px + PLOT_W}" y2="{y(t):.1f}" '
                   f'stroke="#dee2e6" stroke-width="1"/>')
        out.append(text(px - 5, y(t) + 4, fmt_tick(t), size=10, anchor="end", fill="#495057"))
        t += step
    out.append(f'<line x1="{px}" y1="{py}" x2="{px}" y2="{py + PLOT_H}" stroke="#495057"/>')
    out.append(f'<line x1="{px}" y1="{py + PLOT_H}" x2="{px + PLOT_W}" y2="{py + PLOT_H}" '
               f'stroke="#495057"/>')
    cy = py + PLOT_H / 2
    out.append(text(x0 + 13, cy, "server CPU µs/msg", size=10, anchor="middle", fill="#495057",
                    extra=f'transform="rotate(-90 {x0 + 13} {cy:.1f})"'))

    group_w = PLOT_W / len(conns_list)
    bar_w = group_w * 0.8 / len(servers)
    for gi, c in enumerate(conns_list):
        gx = px + gi * group_w + group_w * 0.1
        for si, srv in enumerate(servers):
            r = rows[(srv, c)]
            if not r or r["cpu_us_per_msg"] is None:
                continue
            color = COLORS.get(srv, OTHER_COLOR)
            bx = gx + si * bar_w + bar_w * 0.06
            bw = bar_w * 0.88
            total = r["cpu_us_per_msg"]
            user, sys_ = r["user_us_per_msg"], r["sys_us_per_msg"]
            title = f"{srv}, {kind}, {c} conns, {table.size_name(size)}: total {total:.2f} µs/msg"
            if user is None or sys_ is None:
                out.append(f'<rect x="{bx:.1f}" y="{y(total):.1f}" width="{bw:.1f}" '
                           f'height="{y(0) - y(total):.1f}" fill="{color}">'
                           f'<title>{escape(title)}</title></rect>')
            else:
                title += f" (user {user:.2f}, sys {sys_:.2f})"
                out.append(f'<g><title>{escape(title)}</title>'
                           f'<rect x="{bx:.1f}" y="{y(user):.1f}" width="{bw:.1f}" '
                           f'height="{y(0) - y(user):.1f}" fill="{color}"/>'
                           f'<rect x="{bx:.1f}" y="{y(user + sys_):.1f}" width="{bw:.1f}" '
                           f'height="{y(user) - y(user + sys_):.1f}" fill="{color}" '
                           f'fill-opacity="0.35" stroke="{color}" stroke-width="0.8"/></g>')
            lx, ly = bx + bw / 2 + 3.5, y(total) - 3
            out.append(text(lx, ly, fmt_value(total), size=9, fill="#343a40",
                            extra=f'transform="rotate(-90 {lx:.1f} {ly:.1f})"'))
        cx = px + gi * group_w + group_w / 2
        out.append(text(cx, py + PLOT_H + 15, str(c), size=11, anchor="middle"))
        w = summary.get(("wswire", kind, c, size))
        peer, best = table.best_peer(summary, kind, c, size, "cpu_us_per_msg")
        if "wswire" in servers and w and w["cpu_us_per_msg"] is not None and best:
            out.append(text(cx, py + PLOT_H + 29,
                            f"wswire {w['cpu_us_per_msg'] / best:.2f}× {short(peer)}",
                            size=9, anchor="middle", fill=COLORS["wswire"]))
    out.append(text(px + PLOT_W / 2, py + PLOT_H + 46, "connections", size=10, anchor="middle",
                    fill="#495057"))


def legend(out, x, y, servers):
    for srv in servers:
        color = COLORS.get(srv, OTHER_COLOR)
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color}"/>')
        out.append(text(x + 17, y, srv, size=11))
        x += 17 + 7 * len(srv) + 22
    x += 10
    out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="#495057"/>')
    out.append(f'<rect x="{x + 12}" y="{y - 10}" width="12" height="12" fill="#495057" '
               f'fill-opacity="0.35" stroke="#495057" stroke-width="0.8"/>')
    out.append(text(x + 30, y, "user (solid) + sys (light) = total (number above the bar)",
                    size=11))


def render(header, summary, servers):
    kinds = [k for k in table.KINDS if any(key[1] == k for key in summary)]
    kinds += sorted({key[1] for key in summary} - set(kinds))
    sizes = sorted({key[3] for key in summary})
    conns_list = sorted({key[2] for key in summary})
    servers = [s for s in servers if any(key[0] == s for key in summary)]
    width = max(MARGIN_L + len(sizes) * PANEL_W + MARGIN_R, 980)
    height = HEAD + len(kinds) * PANEL_H + FOOT
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        text(MARGIN_L, 28, "wswire end-to-end echo: server CPU per message, user + sys",
             size=18, weight="bold"),
    ]
    # The raw file's header: date, kernel, CPU; commit; matrix and timing.
    sub = [h for h in header if not h.startswith(("load before", "load after"))]
    for i, line in enumerate(sub[:3]):
        out.append(text(MARGIN_L, 50 + 16 * i, line, size=11, fill="#495057"))
    legend(out, MARGIN_L, HEAD - 16, servers)
    for ki, kind in enumerate(kinds):
        for si, size in enumerate(sizes):
            panel(out, MARGIN_L + si * PANEL_W, HEAD + ki * PANEL_H, summary, servers, kind,
                  size, conns_list)
    rounds = "/".join(map(str, sorted({s["rounds"] for s in summary.values()})))
    notes = [
        "Server pinned to one core, the load generator on the other; request/response round "
        "trips, one message in flight per connection.",
        "CPU: utime (user) and stime (sys) of /proc/PID/stat over the measured window (10 ms "
        f"ticks) ÷ round trips; median of {rounds} round(s) (the round with the median total).",
        "Under each group: wswire's total ÷ the best (lowest) peer's; fws = fastwebsockets, "
        "tws = tokio-websockets, tt = tokio-tungstenite. Each panel has its own y scale.",
    ]
    for i, note in enumerate(notes):
        out.append(text(MARGIN_L, height - FOOT + 20 + 14 * i, note, size=10, fill="#495057"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 3:
        print("usage: chart.py RAW OUT.svg", file=sys.stderr)
        return 2
    header, runs = table.load(argv[1])
    if not runs:
        print(f"chart.py: no results in {argv[1]}", file=sys.stderr)
        return 1
    svg = render(header, table.summarize(runs), list(table.SERVERS))
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write(svg)
    print(f"chart: {argv[2]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
