#!/usr/bin/env python3
"""The ratios the throughput issue sets targets for, computed from one bench/run.sh output file.

    tools/bench_summary.py bench/results/DATE.txt
"""
import re
import sys


def figures(lines, prefix):
    out = []
    for line in lines:
        if line.startswith(prefix):
            out.append(dict(re.findall(r"(\w+)=(\S+)", line)) | {"words": line.split()})
    return out


def num(row, key):
    """A figure of a row; NaN where hey printed none (its percentiles need enough requests)."""
    return float(row.get(key, "nan"))


def main():
    lines = open(sys.argv[1]).read().splitlines()
    forward = figures(lines, "forward ")
    torch = figures(lines, "torch ")
    http = figures(lines, "http ")

    def best(rows, **match):
        rates = [(float(r["images_per_s"]), r["batch"]) for r in rows
                 if all(r.get(k) == v or v in r["words"] for k, v in match.items())]
        return max(rates) if rates else (float("nan"), "-")

    print()
    print("## Against the targets")
    fashion_ref = next((w for r in torch for w in r["words"] if w.startswith("textbook-resnet18-")), "textbook-resnet18-28")
    for model, ref in (("resnet18-224", "resnet18-224"), ("fashion-mnist-resnet18", fashion_ref)):
        ours, ours_batch = best(forward, exec="onednn", model_name=model)
        folded, folded_batch = best(forward, exec="folded", model_name=model)
        blocks, blocks_batch = best(forward, exec="blocks", model_name=model)
        frozen, frozen_batch = best(torch, mode="frozen", model_name=ref)
        eager, eager_batch = best(torch, mode="eager", model_name=ref)
        print(f"in-process {model}: onednn {ours:.1f} img/s (batch {ours_batch}), folded {folded:.1f} (batch {folded_batch}), "
              f"blocks {blocks:.1f} (batch {blocks_batch}); "
              f"torch frozen {ref} {frozen:.1f} (batch {frozen_batch}), eager {eager:.1f} (batch {eager_batch}); "
              f"onednn/frozen = {ours / frozen:.2f}x (target >= 0.9x), onednn/folded = {ours / folded:.2f}x, "
              f"onednn/blocks = {ours / blocks:.2f}x")
    paired = figures(lines, "paired ")
    best_workers = {}
    for model, ref in (("resnet18-224", "resnet18-224"), ("fashion-mnist-resnet18", fashion_ref)):
        single, parallel, strict = [], [], []
        for rnd in sorted({r["round"] for r in paired}):
            here = [r for r in paired if r["round"] == rnd]
            ours = [float(r["images_per_s"]) for r in here if model in r["words"] and "exec" in r and "workers" not in r]
            workers = [float(r["images_per_s"]) for r in here if model in r["words"] and "workers" in r]
            frozen = [float(r["images_per_s"]) for r in here
                      if ref in r["words"] and "frozen" in r["words"] and "two-processes" not in r["words"]]
            processes = [float(r["images_per_s"]) for r in here if ref in r["words"] and "two-processes" in r["words"]]
            if ours and frozen:
                single.append(ours[0] / frozen[0])
            if workers and frozen:
                parallel.append(max(workers) / frozen[0])
                best_workers[model] = max(best_workers.get(model, 0.0), max(workers))
            if workers and processes:
                strict.append(max(workers) / sum(processes))
        for label, ratios in (("onednn 1 forward / frozen", single),
                              ("onednn per-core forwards (as served) / frozen", parallel),
                              ("onednn per-core forwards / torch per-core processes", strict)):
            if ratios:
                ratios.sort()
                print(f"side by side {model}: {label} per round {', '.join(f'{r:.2f}' for r in ratios)}; "
                      f"median {ratios[len(ratios) // 2]:.2f}x (target >= 0.9x against frozen)")
    # The HTTP ratio's denominator: the best in-process figure of any kind, per-core forwards included.
    best224 = max(best(forward, exec="onednn", model_name="resnet18-224")[0], best_workers.get("resnet18-224", 0.0))
    for row in http:
        if row["model"] == "224" and row["concurrency"] == "16":
            rate, p50, p99 = num(row, "images_per_s"), num(row, "p50_s"), num(row, "p99_s")
            print(f"HTTP resnet18-224 {row.get('image', 'JPEG')} c=16, batching {row['batching']}: {rate:.1f} img/s = "
                  f"{rate / best224:.2f}x the best in-process forward (target >= 0.85x); p99/p50 = {p99 / p50:.2f} (target <= 2.5)")
    on = [float(r["images_per_s"]) for r in http if r["model"] == "fashion" and r["batching"] == "true" and r["concurrency"] == "16"]
    off = [float(r["images_per_s"]) for r in http if r["model"] == "fashion" and r["batching"] == "false" and r["concurrency"] == "16"]
    if on and off:
        print(f"HTTP Fashion-MNIST c=16: batching on/off = {on[0] / off[0]:.2f}x (target >= 1.3x)")
    # The same ratio with both figures taken in turns against one warmed server (the VM drifts).
    paired_http = figures(lines, "paired-http ")
    ratios, tails = [], []
    for rnd in sorted({r["round"] for r in paired_http}):
        here = [r for r in paired_http if r["round"] == rnd]
        forwards = [float(r["images_per_s"]) for r in here if "forward" in r["words"]]
        served = [r for r in here if "http" in r["words"]]
        if forwards and served:
            ratios.append(num(served[0], "images_per_s") / max(forwards))
            tails.append(num(served[0], "p99_s") / num(served[0], "p50_s"))
    if ratios:
        print(f"side by side HTTP resnet18-224 photo-224x224 c=16, batching true / in-process as served per round "
              f"{', '.join(f'{r:.2f}' for r in ratios)}; median {sorted(ratios)[len(ratios) // 2]:.2f}x (target >= 0.85x); "
              f"p99/p50 per round {', '.join(f'{t:.2f}' for t in tails)} (target <= 2.5)")
    served = http + [r for r in paired_http if "http" in r["words"]]
    if served:
        errors = sum(int(r["errors"]) for r in served)
        print(f"HTTP errors over all points: {errors} (target 0)")


if __name__ == "__main__":
    main()
