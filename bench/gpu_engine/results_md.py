#!/usr/bin/env python3
"""Prints the RESULTS.md table and summary lines for one bench.json (bench.py's output)."""
import json
import math
import sys


def main(path):
    d = json.load(open(path))
    r = [p["ratio"] for p in d["points"]]
    g = math.exp(sum(map(math.log, r)) / len(r))
    pts = {(p["shape"], p["precision"]): p for p in d["points"]}
    bf = pts[("8192^3", "BF16")]["ours_tflops"]
    f8 = pts[("8192^3", "FP8_E4M3")]["ours_tflops"]
    dec, sw = d["decode"], d["sweep"]
    bw = 4.8e12 if "H200" in d["device"] else 3.35e12
    print("| shape | precision | ours | (CLI) | torch TN | torch NN | ratio | rel err | layout |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in d["points"]:
        nn = "%.1f" % p["torch_nn_tflops"] if p["torch_nn_tflops"] else "–"
        print(f"| {p['shape'].replace('^3', '³')} | {p['precision']} | {p['ours_tflops']:.1f} | {p['cli_tflops']:.1f} | "
              f"{p['torch_tn_tflops']:.1f} | {nn} | {p['ratio']:.3f} | {p['rel_err']:.1e} | {p['layout']} |")
    print()
    print(f"- geomean ratio over the {len(r)} points: **{g:.3f}** (target ≥ 1.0); min **{min(r):.3f}**; "
          f"points ≥ 0.98: **{sum(x >= 0.98 for x in r)}/{len(r)}**.")
    print(f"- BF16 8192³: {bf:.1f} TFLOP/s = **{100 * bf / 989.5:.1f}%** of 989.5 (dense datasheet; target ≥ 65%). "
          f"FP8 8192³: {f8:.1f} = **{100 * f8 / 1979:.1f}%** of 1979 (target ≥ 60%).")
    best = max(dec["torch_tn_bw"], dec["torch_nn_bw"])
    print(f"- Decode 1×4096×4096 FP16, cold: ours {dec['ours_s'] * 1e6:.1f} µs = **{dec['ours_bw'] / 1e12:.3f} TB/s** "
          f"({100 * dec['ours_bw'] / bw:.1f}% of {bw / 1e12:.2f} TB/s), layout {dec['layout']}; torch TN "
          f"{dec['torch_tn_bw'] / 1e12:.3f}, torch NN {dec['torch_nn_bw'] / 1e12:.3f} TB/s: ours / best torch "
          f"**{dec['ours_bw'] / best:.3f}** (target: within 5%).")
    print(f"- Default sweep (FP16, FP8_E4M3, NVFP4, INT8, INT4) at 4096³ through `roofline worker`, process start and "
          f"CUDA context excluded: **{sw['cold_cache']['wall_s']:.3f} s** with an empty algorithm cache (target < 2 s), "
          f"**{sw['warm_cache_new_worker']['wall_s']:.3f} s** cached in a fresh worker (target < 1 s), "
          f"{sw['warm_cache_same_worker']['wall_s']:.3f} s cached in the same worker. NVFP4 and INT4: `not_supported` "
          f"with their reasons.")
    print("- Three repeats of one measurement (medians):")
    for k, v in d["repeats"].items():
        print(f"  - {k.replace('^3', '³').replace(' one after another', '')}: "
              f"{', '.join('%.1f' % (x * 1e6) for x in v['medians_s'])} µs (max/min {v['max_over_min']:.4f})")


if __name__ == "__main__":
    main(sys.argv[1])
