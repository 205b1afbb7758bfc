#!/usr/bin/env python3
"""Which sampling protocol gives repeatable medians on a GPU that runs into its power limit?

torch only (no build needed). For each shape and protocol: three repeats of 30 cold samples (one write over an
L2-sized buffer before each GEMM, CUDA events around the GEMM, the batch queued behind a GPU-side wait), median
per repeat, with the SM clock and power sampled by NVML at ~100 Hz during each repeat.

Protocols
  b2b      samples back to back (the engine's method in session 1)
  gapG     after each sample the GPU idles G times the GEMM's time (a one-thread spin kernel) so the average
           power stays under the cap
  rest     1 s of host idle before each repeat, then back to back
"""
import json
import statistics
import sys
import threading
import time

import pynvml
import torch

pynvml.nvmlInit()
H = pynvml.nvmlDeviceGetHandleByIndex(0)


class Sampler:
    def __init__(self):
        self.rows = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while not self.stop.is_set():
            clk = pynvml.nvmlDeviceGetClockInfo(H, pynvml.NVML_CLOCK_SM)
            pw = pynvml.nvmlDeviceGetPowerUsage(H) / 1000.0
            self.rows.append((time.perf_counter(), clk, pw))
            time.sleep(0.005)

    def window(self, t0, t1):
        r = [x for x in self.rows if t0 <= x[0] <= t1]
        if not r:
            return (float("nan"), float("nan"), float("nan"))
        return (statistics.mean(x[1] for x in r), min(x[1] for x in r), statistics.mean(x[2] for x in r))


def make(prec, n):
    g = torch.Generator(device="cuda").manual_seed(1)
    a = torch.rand(n, n, device="cuda", generator=g) * 2 - 1
    b = torch.rand(n, n, device="cuda", generator=g) * 2 - 1
    if prec == "FP16":
        a, bt = a.half(), b.half()
        return lambda: torch.matmul(a, bt.t())
    if prec == "BF16":
        a, bt = a.bfloat16(), b.bfloat16()
        return lambda: torch.matmul(a, bt.t())
    a8, b8 = a.to(torch.float8_e4m3fn), b.to(torch.float8_e4m3fn)
    one = torch.ones((), device="cuda")
    return lambda: torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)


def timed(fn, flush, samples, gap_cycles):
    out = []
    while len(out) < samples:
        n = min(10, samples - len(out))
        ev = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(n)]
        torch.cuda._sleep(2_000_000)  # ~1 ms: the batch queues behind it
        for s, e in ev:
            flush.zero_()
            s.record()
            fn()
            e.record()
            if gap_cycles:
                torch.cuda._sleep(gap_cycles)
        torch.cuda.synchronize()
        out += [s.elapsed_time(e) * 1e3 for s, e in ev]
    return out


def main():
    flush = torch.empty(torch.cuda.get_device_properties(0).L2_cache_size, dtype=torch.uint8, device="cuda")
    smp = Sampler()
    results = []
    cases = [("FP16", 4096), ("BF16", 8192), ("FP8", 8192), ("FP16", 8192)]
    protocols = ["b2b", "rest", "gap1", "gap3", "gap1_100"]
    for prec, n in cases:
        fn = make(prec, n)
        base = statistics.median(timed(fn, flush, 5, 0))
        for proto in protocols:
            time.sleep(1.0)
            samples = 100 if proto.endswith("_100") else 30
            gap = 0
            if proto.startswith("gap"):
                g = int(proto[3:].split("_")[0])
                gap = int(g * base * 1e-6 * 1.98e9)
            timed(fn, flush, 3, gap)  # kernel load, 3 samples
            meds = []
            for rep in range(3):
                if proto == "rest":
                    time.sleep(1.0)
                t0 = time.perf_counter()
                s = timed(fn, flush, samples, gap)
                t1 = time.perf_counter()
                med = statistics.median(s)
                clk, clk_min, pw = smp.window(t0, t1)
                meds.append(med)
                results.append(dict(prec=prec, n=n, proto=proto, rep=rep, median_us=med, min_us=min(s),
                                    max_us=max(s), clk=clk, clk_min=clk_min, power=pw, wall_s=t1 - t0,
                                    tflops=2 * n**3 / med * 1e-6))
            spread = max(meds) / min(meds)
            print(f"{prec:5s} {n:5d}^3 {proto:9s} medians " + " ".join(f"{m:8.1f}" for m in meds) +
                  f" us  max/min {spread:.3f}  TFLOP/s {2 * n**3 / statistics.median(meds) * 1e-6:7.1f}  "
                  f"clk {results[-3]['clk']:.0f}/{results[-2]['clk']:.0f}/{results[-1]['clk']:.0f} "
                  f"min {min(r['clk_min'] for r in results[-3:]):.0f} MHz  power "
                  f"{statistics.mean(r['power'] for r in results[-3:]):.0f} W", flush=True)
    smp.stop.set()
    with open(sys.argv[1] if len(sys.argv) > 1 else "/tmp/power_experiment.json", "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
