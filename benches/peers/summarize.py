#!/usr/bin/env python3
"""Markdown tables from criterion's results of `benches/frames.rs`: median ns/frame and GiB/s
of payload per contender, with ratios. Usage: summarize.py [CARGO_TARGET_DIR]"""
import json, os, sys

target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
root = os.path.join(target, "criterion")
SIZES = [16, 125, 1024, 16384, 65536, 1048576]
PEERS = ["tungstenite", "fastwebsockets", "tokio_websockets"]


def frames(size):
    return max(1, 65536 // size)


def load(group, contender, size):
    d = os.path.join(root, group, contender, str(size), "new")
    try:
        est = json.load(open(os.path.join(d, "estimates.json")))
        bench = json.load(open(os.path.join(d, "benchmark.json")))
    except FileNotFoundError:
        return None
    ns = est["median"]["point_estimate"]
    nbytes = (bench.get("throughput") or {}).get("Bytes", 0)
    return ns / frames(size), nbytes / ns * 1e9 / 2**30


def table(group, contenders, ours, sizes=SIZES):
    print(f"\n### {group}\n")
    print("| size | " + " | ".join(contenders) + f" | {ours} ÷ best peer | {ours} ÷ memcpy (GiB/s) |")
    print("|" + "---|" * (len(contenders) + 3))
    for size in sizes:
        r = {c: load(group, c, size) for c in contenders}
        cells = [f"{v[0]:.1f} ns · {v[1]:.2f} GiB/s" if v else "–" for v in (r[c] for c in contenders)]
        peers = [r[p] for p in PEERS if r.get(p)]
        best = min(peers, key=lambda v: v[0]) if peers else None
        o, m = r.get(ours), r.get("memcpy")
        speed = f"{best[0] / o[0]:.2f}× faster" if o and best else "–"
        vs_mem = f"{o[1] / m[1]:.2f}×" if o and m else "–"
        label = f"{size} B" if size < 1024 else f"{size // 1024} KiB" if size < 1048576 else "1 MiB"
        print(f"| {label} | " + " | ".join(cells) + f" | {speed} | {vs_mem} |")


for kind in ["binary", "ascii", "multibyte"]:
    table(f"read_{kind}", ["wswire_decoder", "wswire_receiver_messages", "wswire_receiver_chunks", *PEERS, "memcpy"], "wswire_decoder")
for kind in ["binary", "ascii", "multibyte"]:
    table(f"straddle_{kind}", ["wswire_receiver_64k_reads", "wswire_receiver_one_read", "wswire_decoder", *PEERS, "memcpy"],
          "wswire_receiver_64k_reads", sizes=[1024, 16384, 65536, 1048576])
table("write_server", ["wswire_vec", "wswire_text_vec", "wswire_into", "wswire_vectored", *PEERS, "memcpy"], "wswire_into")
table("write_client", ["wswire_vec", "wswire_into", "wswire_into_fixedkey", *PEERS, "memcpy"], "wswire_into")
for kind in ["ascii", "multibyte"]:
    g = f"simdutf8_{kind}"
    print(f"\n### {g} (one validation of one payload; ns, GiB/s)\n")
    print("| size | basic | compat | core |\n|---|---|---|---|")
    for size in SIZES:
        vals = []
        for c in ["basic", "compat", "core"]:
            v = load(g, c, size)
            # one payload per iteration here, so undo the per-frame division
            vals.append(f"{v[0] * frames(size):.1f} ns · {v[1]:.2f}" if v else "–")
        print(f"| {size} | " + " | ".join(vals) + " |")
