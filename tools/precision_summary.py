#!/usr/bin/env python3
"""Ratios for bench/precision.sh from the lines it printed: int8 and bf16 against fp32 (and against torch
frozen) in process, and HTTP ratios between ours (fp32, int8, bf16) and the peer, per round with medians.

  tools/precision_summary.py RESULTS_FILE
"""
import re
import statistics
import sys

EXEC = {"int8": "int8", "onednn-bf16": "bf16"}
fwd, torch, http = {}, {}, {}
for line in open(sys.argv[1]).read().splitlines():
    m = re.match(r"paired round=(\d+) forward (\S+) exec=(\S+) batch=(\d+)( workers=\d+)? images_per_s=([\d.]+)", line)
    if m:
        model = m[2].replace("-int8", "")
        fwd.setdefault((model, int(m[4]), bool(m[5]), EXEC.get(m[3], "fp32")), {})[int(m[1])] = float(m[6])
    m = re.match(r"paired round=(\d+) torch frozen (\S+) batch=(\d+) images_per_s=([\d.]+)", line)
    if m:
        model = "fashion-mnist-resnet18" if m[2].startswith("textbook") else m[2]
        torch.setdefault((model, int(m[3])), {})[int(m[1])] = float(m[4])
    m = re.match(r"http round=(\d+) side=(\w+) concurrency=(\d+) images_per_s=([\d.]+) p50_s=([\d.]*) p99_s=([\d.]*)", line)
    if m:
        http.setdefault(int(m[3]), {}).setdefault(int(m[1]), {})[m[2]] = (float(m[4]), m[5], m[6])


def ratios(a, b):
    return [a[r] / b[r] for r in sorted(a) if r in b]


def show(values):
    return f"{', '.join(f'{x:.2f}' for x in values)}; median {statistics.median(values):.2f}x"


print()
print("## Summary: in process, reduced precision / fp32 (per round; median)")
for (model, batch, workers, precision), rounds in sorted(fwd.items()):
    base = fwd.get((model, batch, workers, "fp32"))
    if precision == "fp32" or not base:
        continue
    line = (f"{precision} {model} batch={batch}{' workers' if workers else ''}: {show(ratios(rounds, base))}"
            f" ({precision} {statistics.median(rounds.values()):.0f} images/s)")
    frozen = torch.get((model, batch))
    if frozen and not workers:
        line += f"; {precision} / torch frozen {show(ratios(rounds, frozen))}"
    print(line)
for model in sorted({k[0] for k in fwd}):
    for precision in ("int8", "bf16"):
        best = {}
        for (m, _, _, p), rounds in fwd.items():
            if m == model and p in (precision, "fp32"):
                for r, v in rounds.items():
                    best[(p, r)] = max(best.get((p, r), 0.0), v)
        mine = {r: v for (p, r), v in best.items() if p == precision}
        base = {r: v for (p, r), v in best.items() if p == "fp32"}
        if mine and base:
            print(f"{precision} {model}, best point of each (any batch, workers or not): {show(ratios(mine, base))}")
print("## Summary: HTTP 224x224 JPEG (images/s ratios per round; p50/p99 of the last round)")
for c, rounds in sorted(http.items()):
    sides = sorted(set.intersection(*(set(v) for v in rounds.values())))
    full = [v for _, v in sorted(rounds.items())]
    for a, b in (("int8", "peer"), ("bf16", "peer"), ("fp32", "peer"), ("int8", "fp32"), ("bf16", "fp32")):
        if a in sides and b in sides:
            print(f"c={c} {a}/{b}: {show([v[a][0] / v[b][0] for v in full])}")
    last = full[-1]
    print(f"c={c} p50 s: " + ", ".join(f"{s} {last[s][1]}" for s in sides)
          + "; p99 s: " + ", ".join(f"{s} {last[s][2]}" for s in sides))
