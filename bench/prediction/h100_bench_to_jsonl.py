#!/usr/bin/env python3
"""Turns bench/gpu_engine/bench_h100_paced.json (the previous session's H100 run: 12 squares + the decode shape,
paced, cold, median of 30) into analysis answers, one per line, for `roofline calibrate --replay`.
Usage: bench/prediction/h100_bench_to_jsonl.py bench/gpu_engine/bench_h100_paced.json > h100_bench.jsonl"""
import json
import sys

OUT = {"FP16": "FP16", "BF16": "BF16", "FP8_E4M3": "BF16", "INT8": "INT32", "TF32": "FP32"}

def point(m, n, k, prec, t, algorithm, layout):
    timing = {"mode": "cold", "pacing": "paced", "idle_ratio": 1.0, "samples": 30, "median_s": t, "min_s": t,
              "max_s": t, "mean_s": t, "stdev_s": 0.0}
    return {"M": m, "N": n, "K": k, "a_precision": prec, "b_precision": prec, "out_precision": OUT[prec],
            "beta": 0.0, "source": "measured", "disposition": "passed", "hardware_key": "h100-sxm", "time_s": t,
            "measured": {"timing": timing, "algorithm": algorithm, "layout": layout, "kernel_path": "cuBLASLt",
                         "device": {"name": DEVICE, "compute_capability": "9.0", "sm_count": 132,
                                    "driver_version": "580.159.04", "cublaslt_version": "13.1.0",
                                    "cuda_runtime_version": "13.0"}}}

doc = json.load(open(sys.argv[1]))
DEVICE = doc["device"]
for p in doc["points"]:
    if p["disposition"] != "passed":
        continue
    s = int(p["shape"].split("^")[0])
    print(json.dumps({"hardware": {"key": "h100-sxm"}, "points": [point(s, s, s, p["precision"], p["ours_s"], p["algorithm"], p["layout"])]}))
d = doc["decode"]
print(json.dumps({"hardware": {"key": "h100-sxm"}, "points": [point(1, 4096, 4096, "FP16", d["ours_s"], d["algorithm"], d["layout"])]}))
