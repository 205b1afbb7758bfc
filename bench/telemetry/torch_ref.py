#!/usr/bin/env python3
"""PyTorch references for the telemetry/ceilings bench, timed the way our side is: CUDA events around each
launch, back to back after a warm-up, median kept. Prints one JSON line.

  torch_ref.py copy --bytes N          device-to-device copy (dst.copy_(src)), read + write bytes counted
  torch_ref.py gemm --precisions bf16,fp8_e4m3 [--shapes MxNxK,...] [--tag T]
        best of a shape search: BF16 through torch.matmul (A @ B and A @ Bt.t(), the faster layout kept),
        FP8 E4M3 x E4M3 -> BF16 through torch._scaled_mm (TN, scales 1.0, use_fast_accum=False)
"""
import argparse
import json
import statistics
import time

import torch

DEFAULT_SHAPES = "4096x4096x4096,8192x8192x8192,6144x17920x2816,8192x8192x16384,16384x16384x4096"


def time_fn(fn, repeats, warmup_s=0.02, rest_s=0.25):
    # The same method as `roofline ceilings` burst: a first call (cuBLAS heuristics, allocation), then the GPU
    # rests (the H100 sits at its power cap under GEMM load, and how long it has been loaded moves the clock
    # more than anything else), then 20 ms of warm-up by time, then the timed samples.
    fn()
    torch.cuda.synchronize()
    time.sleep(rest_s)
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    fn()
    e.record()
    torch.cuda.synchronize()
    one = max(s.elapsed_time(e) / 1e3, 1e-6)
    for _ in range(int(warmup_s / one) + 1):
        fn()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    for i in range(repeats):
        starts[i].record()
        fn()
        ends[i].record()
    torch.cuda.synchronize()
    t = [a.elapsed_time(b) / 1e3 for a, b in zip(starts, ends)]
    return statistics.median(t), min(t)


def copy(args):
    n = args.bytes // 4
    src = torch.randint(-(2**31), 2**31 - 1, (n,), dtype=torch.int32, device="cuda")
    dst = torch.empty_like(src)
    med, best = time_fn(lambda: dst.copy_(src), args.repeats)
    moved = 2 * n * 4
    return {"bench": "torch_copy", "bytes": n * 4, "bytes_per_launch": moved, "median_s": med, "min_s": best,
            "bytes_per_s": moved / med, "best_bytes_per_s": moved / best, "torch": torch.__version__}


def gemm(args):
    shapes = [tuple(int(x) for x in s.lower().split("x")) for s in args.shapes.split(",")]
    out = {"bench": "torch_gemm", "tag": args.tag, "torch": torch.__version__, "results": {}}
    for prec in args.precisions.split(","):
        rows = []
        for m, n, k in shapes:
            flops = 2.0 * m * n * k
            if prec == "bf16":
                a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
                b = torch.randn(k, n, device="cuda", dtype=torch.bfloat16)
                bt = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
                nn, _ = time_fn(lambda: torch.matmul(a, b), args.repeats)
                tn, _ = time_fn(lambda: torch.matmul(a, bt.t()), args.repeats)
                med = min(nn, tn)
                del a, b, bt
            elif prec == "fp8_e4m3":
                a = torch.randn(m, k, device="cuda").to(torch.float8_e4m3fn)
                b = torch.randn(n, k, device="cuda").to(torch.float8_e4m3fn)
                one = torch.tensor(1.0, device="cuda")
                med, _ = time_fn(lambda: torch._scaled_mm(a, b.t(), scale_a=one, scale_b=one,
                                                          out_dtype=torch.bfloat16), args.repeats)
                del a, b
            else:
                raise SystemExit(f"unknown precision {prec}")
            rows.append({"shape": f"{m}x{n}x{k}", "median_s": med, "flops_per_s": flops / med})
            torch.cuda.empty_cache()
        best = max(rows, key=lambda r: r["flops_per_s"])
        out["results"][prec] = {"shapes": rows, "best_flops_per_s": best["flops_per_s"], "best_shape": best["shape"]}
    return out


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("copy")
    c.add_argument("--bytes", type=int, default=2 << 30)
    c.add_argument("--repeats", type=int, default=20)
    g = sub.add_parser("gemm")
    g.add_argument("--precisions", default="bf16,fp8_e4m3")
    g.add_argument("--shapes", default=DEFAULT_SHAPES)
    g.add_argument("--repeats", type=int, default=30)
    g.add_argument("--tag", default="")
    args = p.parse_args()
    torch.manual_seed(0)
    print(json.dumps(copy(args) if args.mode == "copy" else gemm(args)), flush=True)


if __name__ == "__main__":
    main()
