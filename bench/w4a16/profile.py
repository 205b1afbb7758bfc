#!/usr/bin/env python3
"""Profiling helper: runs our W4A16 GEMM (the engine's choice, or a forced config) on one shape a few times, for
ncu to pick up (ncu -k regex:stream_kernel -c 1 python3 profile.py LIB M N K); with --flush-compare, times it
cold with the bench's write flush (zero_ of 8x L2: leaves the L2 full of dirty lines the kernel must evict) and
with a read flush (sum of the same buffer: leaves clean lines), to see what the flush itself costs."""
import argparse
import statistics
import sys

import torch

from bench import Problem, load, ok, stream


def median_us(fn, flush, samples=30):
    fn()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(samples)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(samples)]
    for s, e in zip(starts, ends):
        flush()
        s.record()
        fn()
        e.record()
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) * 1e3 for s, e in zip(starts, ends))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib_dir")
    ap.add_argument("m", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("k", type=int)
    ap.add_argument("--cfg", type=int, nargs="+", help="tiles depth splits stages bulk [lean]")
    ap.add_argument("--flush-compare", action="store_true")
    ap.add_argument("--read-probe", type=int, nargs=2, metavar=("BLOCKS_PER_SM", "DEPTH"),
                    help="run the bench's bare read of the weight's bytes instead (its read_ceiling)")
    a = ap.parse_args()
    lib = load(a.lib_dir)
    if a.read_probe:
        w = torch.empty(a.n * a.k // 2, dtype=torch.uint8, device="cuda").random_(0, 256)
        sink = torch.zeros(1, dtype=torch.int32, device="cuda")
        sms = torch.cuda.get_device_properties(0).multi_processor_count
        for _ in range(3):
            ok(lib, lib.rl_read_probe(w.data_ptr(), a.n * a.k // 2, sms * a.read_probe[0], a.read_probe[1],
                                      sink.data_ptr(), stream()))
        torch.cuda.synchronize()
        print(f"read probe {a.n * a.k // 2} bytes, {a.read_probe[0]}/SM depth {a.read_probe[1]}")
        return 0
    p = Problem(lib, a.m, a.n, a.k, 128, torch.float16, seed=7)
    cfg = tuple(a.cfg) if a.cfg else None
    if not a.flush_compare:
        for _ in range(3):
            used = p.run(cfg)
        torch.cuda.synchronize()
        print(f"m {a.m} n {a.n} k {a.k} config used {tuple(used)}")
        return 0
    buf = torch.empty(8 * torch.cuda.get_device_properties(0).L2_cache_size // 4, dtype=torch.int32, device="cuda")
    bytes_ = a.n * a.k / 2 + 2 * a.n * (a.k // 128) + 2 * a.m * a.k + 2 * a.m * a.n
    for label, flush in (("write flush", lambda: buf.zero_()), ("read flush", lambda: buf.sum())):
        us = median_us(lambda: p.run(cfg), flush)
        w16 = p.dequantized()
        x = p.x
        fp16 = median_us(lambda: torch.mm(x, w16.t()), flush)
        print(f"{label:12s} m {a.m} {a.n}x{a.k} ours {us:7.1f} us ({bytes_ / us / 1e6:.2f} TB/s) fp16 {fp16:7.1f} us",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
