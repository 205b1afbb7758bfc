#!/usr/bin/env python3
"""Our cuBLASLt engine against PyTorch on the same GPU, in the same call, with the same method.

Both sides: random inputs; cold samples (one write over an L2-sized buffer before each sample); CUDA events around
each GEMM; batches queued behind a GPU-side wait so launch latency is not timed; median of 30 samples; the same
pacing (ROOFLINE_PACING: "paced", the engine's default, rests the GPU after each sample as long as the sample
took, torch's side with torch.cuda._sleep; "continuous" runs back to back) and the same warm-up (0.02 s paced,
1 s continuous; ROOFLINE_WARMUP_SECONDS overrides). Ours and torch run interleaved per point (A B A B, order
rotated).

  ours   `roofline worker` (and `roofline analyze`, one process per shape, as a second column): cuBLASLt,
         candidates timed, for 16/32/64-bit inputs also the layout (TN, TT, NN, NT) searched
  torch  TN: A row-major, B = Bt.t() (column-major), our default layout; NN: torch.matmul of row-major A @ B
         (FP16/BF16 only); torch._scaled_mm (FP8 E4M3 x E4M3 -> BF16, per-tensor scales 1.0, use_fast_accum=False:
         its default and ours); torch._int_mm (INT8 -> INT32, B transposed: TN)

Also: the decode shape 1x4096x4096 FP16, the default 5-precision sweep through `roofline worker` (wall time,
process start excluded, cold then warm algorithm cache) and three repeats of one measurement.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

SHAPES = [2048, 4096, 8192]
PRECISIONS = ["FP16", "BF16", "FP8_E4M3", "INT8"]
H100_BF16_PEAK = 989.5e12  # H100 SXM and H200 (same SMs and clocks), dense datasheet
H100_FP8_PEAK = 1979e12
H100_HBM_BW = 3.35e12  # H100 SXM HBM3; the H200's HBM3e is 4.8 TB/s (memory_roof() picks by name)


def memory_roof(name):
    return 4.8e12 if "H200" in name else H100_HBM_BW
SAMPLES = 30
BATCH = 10


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- ours
def run_cli(binary, shape, precisions, cache_home):
    m, n, k = shape
    env = dict(os.environ, XDG_CACHE_HOME=cache_home)
    cmd = [binary, "analyze", "--shape", f"{m}x{n}x{k}", "-p", ",".join(precisions), "--format", "json",
           "--hardware", "h100-sxm", "--pacing", PACING]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr}")
    doc = json.loads(out.stdout)
    points = {}
    for p in doc["points"]:
        points[p["a_precision"]] = p
    return points, wall


class Worker:
    """`roofline worker` over pipes: one JSON request per line, one answer per line."""

    def __init__(self, binary, env=None):
        self.proc = subprocess.Popen([binary, "worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=sys.stderr, text=True, bufsize=1, env=env)
        self.next_id = 0

    def ask(self, request):
        self.next_id += 1
        request = dict(request, id=self.next_id)
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("worker closed its stdout")
        answer = json.loads(line)
        assert answer.get("id") == self.next_id, answer
        return answer

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def problem(m, n, k, p):
    defaults = {"FP16": "FP16", "BF16": "BF16", "FP8_E4M3": "BF16", "NVFP4": "BF16", "INT8": "INT32",
                "INT4": "INT32"}
    return {"M": m, "N": n, "K": k, "a_precision": p, "b_precision": p, "out_precision": defaults[p]}


# ---------------------------------------------------------------- torch
def make_inputs(prec, m, n, k):
    dev = "cuda"
    if prec in ("FP16", "BF16"):
        dt = torch.float16 if prec == "FP16" else torch.bfloat16
        a = (torch.rand(m, k, device=dev) * 2 - 1).to(dt)
        bt = (torch.rand(n, k, device=dev) * 2 - 1).to(dt)
        return a, bt
    if prec == "FP8_E4M3":
        a = (torch.rand(m, k, device=dev) * 2 - 1).to(torch.float8_e4m3fn)
        bt = (torch.rand(n, k, device=dev) * 2 - 1).to(torch.float8_e4m3fn)
        return a, bt
    if prec == "INT8":
        a = torch.randint(-127, 128, (m, k), device=dev, dtype=torch.int8)
        bt = torch.randint(-127, 128, (n, k), device=dev, dtype=torch.int8)
        return a, bt
    raise ValueError(prec)


def torch_op(prec, a, bt, layout="TN"):
    b = bt.t()  # K x N, column-major: the TN layout
    if layout == "NN":
        b = bt.t().contiguous()
    if prec in ("FP16", "BF16"):
        return lambda: torch.matmul(a, b)
    if prec == "FP8_E4M3":
        one = torch.ones((), device="cuda", dtype=torch.float32)
        return lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    if prec == "INT8":
        return lambda: torch._int_mm(a, b)
    raise ValueError(prec)


PACING = os.environ.get("ROOFLINE_PACING", "paced")  # the engine's default; "continuous": back to back
IDLE_RATIO = 1.0  # paced: the GPU rests this many times the sample's time after each sample (as the engine does)
# The same warm-up as the engine's: 0.02 s paced, 1 s continuous (the clocks sustained under the power limit).
WARMUP_S = float(os.environ.get("ROOFLINE_WARMUP_SECONDS", "0.02" if PACING == "paced" else "1.0"))


def time_torch(fn, flush, samples=SAMPLES, cold=True):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    # Paced like the engine: after each sample a one-thread spin on the GPU (torch.cuda._sleep, in cycles at the
    # boost clock) as long as IDLE_RATIO x the GEMM, estimated from three timed runs first.
    rest_cycles = 0
    if PACING == "paced":
        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        e0.record()
        for _ in range(3):
            fn()
        e1.record()
        torch.cuda.synchronize()
        rest_cycles = int(IDLE_RATIO * e0.elapsed_time(e1) / 3 * 1e-3 * 1.98e9)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < WARMUP_S:
        for _ in range(8):
            fn()
        torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(samples)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(samples)]
    # A GPU-side wait while Python queues each batch, the role of our blocking kernel. It is sized from how long the
    # previous batch took to queue (x1.5): a longer wait would idle the GPU, and under the power cap an idle GPU
    # earns a higher clock for the next samples, which our engine (whose wait ends as soon as the batch is queued)
    # does not get.
    queue_s = 1e-3
    clock_hz = 1.98e9
    for b0 in range(0, samples, BATCH):
        torch.cuda._sleep(int(1.5 * queue_s * clock_hz))
        t_q = time.perf_counter()
        for i in range(b0, min(samples, b0 + BATCH)):
            if cold:
                flush.zero_()
            starts[i].record()
            fn()
            ends[i].record()
            if rest_cycles:
                torch.cuda._sleep(rest_cycles)
        queue_s = time.perf_counter() - t_q
    torch.cuda.synchronize()
    return [s.elapsed_time(e) * 1e-3 for s, e in zip(starts, ends)]


def flops(m, n, k):
    return 2.0 * m * n * k


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def ours_point(worker, m, n, k, prec, opts):
    a = worker.ask({"problem": problem(m, n, k, prec), "options": opts})
    if "error" in a:
        raise RuntimeError(a["error"])
    return a["point"]


class ClockLog:
    """nvidia-smi sampling SM clock, power and throttle reasons every 50 ms while a section runs."""

    def __init__(self, path):
        self.f = open(path, "w")
        self.proc = subprocess.Popen(
            ["nvidia-smi", "--query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active",
             "--format=csv,noheader,nounits", "-lms", "50"], stdout=self.f, stderr=subprocess.DEVNULL)

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.f.close()


def stability(args):
    """Three repeats of the same measurement under several strategies, with the clocks logged: under the 700 W
    cap the SM clock falls from ~1980 to ~1500 MHz within about a second of load, so the figure depends on how long
    the GPU has been busy."""
    cache = tempfile.mkdtemp(prefix="rc_stab_")
    opts = {"mode": "cold", "cache_dir": cache}
    cases = (("FP16", 4096), ("BF16", 8192))
    out = {}
    clocks = ClockLog(os.path.join(args.out, "clocks_stability.csv"))

    def record(label, key, ts):
        out.setdefault(label, {})[key] = {"medians_s": ts, "max_over_min": max(ts) / min(ts)}
        print(f"{label:<44} {key:<10} " + ", ".join(f"{t * 1e6:8.1f}" for t in ts) + f"  max/min {max(ts) / min(ts):.4f}",
              flush=True)

    w = Worker(args.bin)  # fills the algorithm cache first
    for p, s in cases:
        ours_point(w, s, s, s, p, opts)
    w.close()
    time.sleep(2)
    # A. separate processes after 2 s idle each (a user running the CLI again)
    res = {c: [] for c in cases}
    for _ in range(3):
        w = Worker(args.bin)
        w.ask({"command": "device"})
        for p, s in cases:
            res[(p, s)].append(ours_point(w, s, s, s, p, opts)["time_s"])
        w.close()
        time.sleep(2)
    for (p, s), ts in res.items():
        record("A new process after 2 s idle, 20 ms warm-up", f"{p} {s}", ts)
    # B-E. one worker, back to back, by warm-up and sample count
    for label, env, extra, pause in (("B back to back, 20 ms warm-up", None, {}, 0),
                                     ("C 2 s idle between, 20 ms warm-up", None, {}, 2),
                                     ("D back to back, 1 s warm-up", "1.0", {}, 0),
                                     ("E back to back, 1 s warm-up, 200 samples", "1.0",
                                      {"samples": 200, "target_relative_spread": 0.0}, 0)):
        if env:
            os.environ["ROOFLINE_WARMUP_SECONDS"] = env
        w = Worker(args.bin)
        w.ask({"command": "device"})
        for p, s in cases:
            ts = []
            for _ in range(3):
                if pause:
                    time.sleep(pause)
                ts.append(ours_point(w, s, s, s, p, dict(opts, **extra))["time_s"])
            record(label, f"{p} {s}", ts)
        w.close()
        os.environ.pop("ROOFLINE_WARMUP_SECONDS", None)
        time.sleep(2)
    clocks.close()
    with open(os.path.join(args.out, "stability.json"), "w") as f:
        json.dump(out, f, indent=1)


SMALL_M = [16, 32, 64, 128, 256]
SMALL_M_NK = [(4096, 4096), (14336, 4096), (4096, 14336)]  # Llama-3.1-8B's attention out / MLP up / MLP down


def small_m(args):
    """FP8 (and, with --precisions, other inputs) at M <= 256 against torch in the same call: ours with the full
    search, ours restricted to the plan's own layouts (ROOFLINE_LAYOUTS: the search before D-transposed layouts
    existed, for the diagnosis), torch._scaled_mm TN; interleaved ours, torch, restricted, then back, so drift hits
    all alike."""
    props = torch.cuda.get_device_properties(0)
    flush = torch.empty(props.L2_cache_size, dtype=torch.uint8, device="cuda")
    precisions = args.precisions.split(",")
    cache = tempfile.mkdtemp(prefix="rc_small_m_")
    opts = {"mode": "cold", "pacing": PACING, "cache_dir": cache}
    worker = Worker(args.bin)
    worker.ask({"command": "device"})
    restricted = Worker(args.bin, env=dict(os.environ, ROOFLINE_LAYOUTS="TN"))
    restricted.ask({"command": "device"})
    ropts = dict(opts, cache_dir=cache + "_tn")
    rows = []
    for prec in precisions:
        for (n, k) in SMALL_M_NK:
            for m in SMALL_M:
                a, bt = make_inputs(prec, m, n, k)
                f = flops(m, n, k)
                ours_t, tn_only_t, torch_t, pts = [], [], [], []

                def run_ours():
                    p = ours_point(worker, m, n, k, prec, opts)
                    pts.append(p)
                    ours_t.append(p["time_s"] or float("nan"))

                def run_restricted():
                    tn_only_t.append(ours_point(restricted, m, n, k, prec, ropts)["time_s"] or float("nan"))

                def run_torch():
                    torch_t.append(statistics.median(time_torch(torch_op(prec, a, bt, "TN"), flush)))

                for step in (run_ours, run_torch, run_restricted, run_restricted, run_torch, run_ours):
                    step()
                del a, bt
                o, t, r = statistics.mean(ours_t), statistics.mean(torch_t), statistics.mean(tn_only_t)
                p = pts[-1]
                meas = p.get("measured") or {}
                row = {"shape": f"{m}x{n}x{k}", "precision": prec, "disposition": p["disposition"],
                       "ours_s": o, "ours_tflops": f / o / 1e12, "ours_medians_s": ours_t,
                       "plan_layouts_only_s": r, "plan_layouts_only_tflops": f / r / 1e12,
                       "torch_s": t, "torch_tflops": f / t / 1e12, "torch_medians_s": torch_t,
                       "ratio": t / o, "ratio_plan_layouts_only": t / r, "layout": meas.get("layout"),
                       "algorithm": meas.get("algorithm", ""), "rel_err": (meas.get("error") or {}).get("relative_error"),
                       "message": p["message"]}
                rows.append(row)
                log(json.dumps(row))
    worker.close()
    restricted.close()
    with open(os.path.join(args.out, "small_m.json"), "w") as fh:
        json.dump({"device": props.name, "torch": torch.__version__, "pacing": PACING, "points": rows}, fh, indent=1)
    print(f"device: {props.name}, torch {torch.__version__}; cold, {PACING}, median of 30, each side the mean of 2 "
          "interleaved runs; ratio = torch time / ours; 'TN only' = ours restricted to the plan's layouts "
          "(ROOFLINE_LAYOUTS=TN, the search before D-transposed layouts)")
    print(f"{'shape':>16} {'precision':>9} {'ours':>7} {'TN only':>7} {'torch':>7} {'ratio':>6} {'TN only':>7} "
          f"{'rel err':>8} layout  algorithm")
    for r in rows:
        err = f"{r['rel_err']:8.1e}" if r["rel_err"] is not None else f"{'-':>8}"
        print(f"{r['shape']:>16} {r['precision']:>9} {r['ours_tflops']:7.1f} {r['plan_layouts_only_tflops']:7.1f} "
              f"{r['torch_tflops']:7.1f} {r['ratio']:6.3f} {r['ratio_plan_layouts_only']:7.3f} {err} "
              f"{r['layout'] or '-':>6}  {r['algorithm']}")
    ratios = [r["ratio"] for r in rows if r["ratio"] == r["ratio"]]
    if ratios:
        print(f"(TFLOP/s) geomean ratio {geomean(ratios):.3f}; min {min(ratios):.3f}; points >= 0.98: "
              f"{sum(x >= 0.98 for x in ratios)}/{len(ratios)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", default=".")
    ap.add_argument("--quick", action="store_true", help="skip the 8192^3 shapes")
    ap.add_argument("--stability", action="store_true", help="only the repeatability experiments")
    ap.add_argument("--small-m", action="store_true", help="only M <= 256 (16..256 x 4096/14336 x 4096/14336)")
    ap.add_argument("--precisions", default="FP8_E4M3", help="with --small-m: comma-separated precisions")
    args = ap.parse_args()
    if args.stability:
        return stability(args)
    if args.small_m:
        return small_m(args)

    props = torch.cuda.get_device_properties(0)
    l2 = props.L2_cache_size
    flush = torch.empty(l2, dtype=torch.uint8, device="cuda")
    results = {"device": props.name, "torch": torch.__version__, "l2_bytes": l2, "points": []}
    cache = tempfile.mkdtemp(prefix="rc_cache_")
    shapes = SHAPES[:2] if args.quick else SHAPES

    # 1. The CLI as users run it (fresh algorithm cache): one process per shape.
    cli = {}
    for s in shapes:
        pts, wall = run_cli(args.bin, (s, s, s), PRECISIONS, cache)
        log(f"CLI {s}^3: {wall:.2f} s wall")
        for prec, p in pts.items():
            cli[(s, prec)] = p
            if p["disposition"] != "passed":
                log(f"CLI {s}^3 {prec}: {p['disposition']}: {p['message']}")

    # 2. Ours (worker, cached algorithm from step 1) and torch interleaved A B A B per point, so that clock and
    #    power drift hits both sides alike; each side's figure is the mean of its two medians.
    worker = Worker(args.bin)
    worker.ask({"command": "device"})
    opts = {"mode": "cold", "pacing": PACING, "cache_dir": os.path.join(cache, "roofline")}
    rows = []
    for s in shapes:
        for prec in PRECISIONS:
            a, bt = make_inputs(prec, s, s, s)
            f = flops(s, s, s)
            ours_t, tn_t, nn_t, pts = [], [], [], []
            def run_ours():
                p = ours_point(worker, s, s, s, prec, opts)
                pts.append(p)
                ours_t.append(p["time_s"] or float("nan"))

            def run_tn():
                tn_t.append(statistics.median(time_torch(torch_op(prec, a, bt, "TN"), flush)))

            def run_nn():
                if prec in ("FP16", "BF16"):
                    nn_t.append(statistics.median(time_torch(torch_op(prec, a, bt, "NN"), flush)))

            # Order rotated between the rounds (ours, TN, NN, then NN, TN, ours): under the power cap whichever
            # runs later in a round sees a lower clock.
            for step in (run_ours, run_tn, run_nn, run_nn, run_tn, run_ours):
                step()
            del a, bt
            o = statistics.mean(ours_t)
            tn = statistics.mean(tn_t)
            nn = statistics.mean(nn_t) if nn_t else None
            best_torch = min(tn, nn) if nn else tn
            p = pts[-1]
            c = cli.get((s, prec), {})
            row = {"shape": f"{s}^3", "precision": prec, "disposition": p["disposition"], "ours_s": o,
                   "ours_tflops": f / o / 1e12, "ours_medians_s": ours_t,
                   "cli_tflops": (f / c["time_s"] / 1e12) if c.get("time_s") else None,
                   "torch_tn_s": tn, "torch_tn_tflops": f / tn / 1e12, "torch_tn_medians_s": tn_t,
                   "torch_nn_tflops": (f / nn / 1e12) if nn else None,
                   "ratio": best_torch / o, "ratio_tn": tn / o,
                   "layout": (p.get("measured") or {}).get("layout"),
                   "algorithm": (p.get("measured") or {}).get("algorithm", ""),
                   "candidates": (c.get("measured") or {}).get("candidates_timed"),
                   "spread": (p.get("measured") or {}).get("timing", {}).get("relative_spread"),
                   "rel_err": ((p.get("measured") or {}).get("error") or {}).get("relative_error"),
                   "message": p["message"]}
            rows.append(row)
            log(json.dumps(row))
    results["points"] = rows

    # 3. Decode: memory-bound, 1 x 4096 x 4096 FP16, cold; torch in both layouts.
    a, bt = make_inputs("FP16", 1, 4096, 4096)
    dec_o, dec_tn, dec_nn = [], [], []
    for rnd in range(2):
        if rnd == 1:
            dec_nn.append(statistics.median(time_torch(torch_op("FP16", a, bt, "NN"), flush)))
        d = ours_point(worker, 1, 4096, 4096, "FP16", opts)
        dec_o.append(d["time_s"])
        dec_tn.append(statistics.median(time_torch(torch_op("FP16", a, bt, "TN"), flush)))
        if rnd == 0:
            dec_nn.append(statistics.median(time_torch(torch_op("FP16", a, bt, "NN"), flush)))
    dec_bytes = d["bytes"]
    o, tn, nn = statistics.mean(dec_o), statistics.mean(dec_tn), statistics.mean(dec_nn)
    decode = {"ours_s": o, "ours_bw": dec_bytes / o, "torch_tn_s": tn, "torch_tn_bw": dec_bytes / tn,
              "torch_nn_s": nn, "torch_nn_bw": dec_bytes / nn, "bytes": dec_bytes, "layout": d["measured"]["layout"],
              "algorithm": d["measured"]["algorithm"], "disposition": d["disposition"]}
    results["decode"] = decode
    log(json.dumps(decode))
    worker.close()

    # 4. The default sweep through the worker: process start and CUDA context excluded (a device request first).
    sweep = {}
    sweep_cache = tempfile.mkdtemp(prefix="rc_sweep_")
    sopts = {"mode": "cold", "pacing": PACING, "cache_dir": sweep_cache}
    sweep_precisions = ["FP16", "FP8_E4M3", "NVFP4", "INT8", "INT4"]
    w = None
    for label in ("cold_cache", "warm_cache_same_worker", "warm_cache_new_worker"):
        if label != "warm_cache_same_worker":
            if w is not None:
                w.close()
            w = Worker(args.bin)
            w.ask({"command": "device"})
        t0 = time.perf_counter()
        answers = [w.ask({"problem": problem(4096, 4096, 4096, p), "options": sopts}) for p in sweep_precisions]
        wall = time.perf_counter() - t0
        sweep[label] = {"wall_s": wall,
                        "points": [(a["point"]["a_precision"], a["point"]["disposition"], a["point"]["tflops"],
                                    a["point"]["measured"]["algorithm_from_cache"] if a["point"]["measured"] else None)
                                   for a in answers]}
        log(label, json.dumps(sweep[label]))
    w.close()
    results["sweep"] = sweep

    # 5. Three repeats of the same measurement: back to back in one worker, and as three CLI processes with 2 s of
    #    idle GPU between them; clocks logged meanwhile.
    repeats = {}
    clocks = ClockLog(os.path.join(args.out, "clocks_repeats.csv"))
    w = Worker(args.bin)
    w.ask({"command": "device"})
    for p, s in (("FP16", 4096), ("BF16", 8192), ("FP8_E4M3", 8192), ("INT8", 8192), ("FP16", 8192)):
        ts = [ours_point(w, s, s, s, p, opts)["time_s"] for _ in range(3)]
        repeats[f"{p} {s}^3 one after another ({PACING}, worker)"] = {"medians_s": ts,
                                                                       "max_over_min": max(ts) / min(ts)}
        log(f"repeat {p} {s}^3: {ts}")
    if PACING == "paced":  # the contrast: the same three, continuous
        copts = dict(opts, pacing="continuous")
        for p, s in (("FP16", 4096), ("BF16", 8192)):
            ts = [ours_point(w, s, s, s, p, copts)["time_s"] for _ in range(3)]
            repeats[f"{p} {s}^3 one after another (continuous, worker)"] = {"medians_s": ts,
                                                                            "max_over_min": max(ts) / min(ts)}
    w.close()
    cli_ts = {}
    for _ in range(3):
        time.sleep(5)
        for p, s in (("FP16", 4096), ("BF16", 8192)):
            pts, _ = run_cli(args.bin, (s, s, s), [p], cache)
            cli_ts.setdefault(f"{p} {s}^3", []).append(pts[p]["time_s"])
    for k, ts in cli_ts.items():
        repeats[f"{k} CLI processes, 5 s idle before each"] = {"medians_s": ts, "max_over_min": max(ts) / min(ts)}
    clocks.close()
    results["repeats"] = repeats
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(results, f, indent=1)

    # ------------------------------------------------------------ the table
    print()
    print(f"device: {props.name} ({props.multi_processor_count} SMs, L2 {l2 / 2**20:.0f} MiB), torch {torch.__version__}")
    print("ours: roofline worker (cuBLASLt, autotuned over candidates and, for 16-bit inputs, layouts); torch TN: same "
          "TN layout; torch NN: torch.matmul of row-major A @ B. Cold (L2 flushed), median of 30, "
          f"{PACING} (idle {IDLE_RATIO if PACING == 'paced' else 0:g} x the sample after each), after "
          f"{WARMUP_S:g} s of load on both sides; each side the mean of 2 interleaved "
          "runs (order rotated). ratio = ours / best torch; (CLI) = `roofline analyze`, one process per shape")
    print(f"{'shape':>7} {'precision':>9} {'ours':>7} {'(CLI)':>7} {'torch TN':>8} {'torch NN':>8} {'ratio':>6} "
          f"{'vs TN':>6} {'rel err':>8} lay cand  ours algorithm")
    for r in rows:
        nn = f"{r['torch_nn_tflops']:8.1f}" if r["torch_nn_tflops"] else f"{'-':>8}"
        cl = f"{r['cli_tflops']:7.1f}" if r["cli_tflops"] else f"{'-':>7}"
        err = f"{r['rel_err']:8.1e}" if r["rel_err"] is not None else f"{'-':>8}"
        print(f"{r['shape']:>7} {r['precision']:>9} {r['ours_tflops']:7.1f} {cl} {r['torch_tn_tflops']:8.1f} {nn} "
              f"{r['ratio']:6.3f} {r['ratio_tn']:6.3f} {err} {r['layout'] or '-':>3} {r['candidates'] or 0:>4}  "
              f"{r['algorithm']}")
    ratios = [r["ratio"] for r in rows if r["ratio"] == r["ratio"]]
    if ratios:
        print(f"(TFLOP/s) geomean ratio ours/best-torch over {len(ratios)} points: {geomean(ratios):.3f}; "
              f"min {min(ratios):.3f}; points >= 0.98: {sum(x >= 0.98 for x in ratios)}/{len(ratios)}")
    for r in rows:
        if r["shape"] == "8192^3" and r["precision"] == "BF16":
            print(f"BF16 8192^3: {r['ours_tflops']:.1f} TFLOP/s = {100 * r['ours_tflops'] * 1e12 / H100_BF16_PEAK:.1f}% "
                  f"of 989.5 (dense datasheet)")
        if r["shape"] == "8192^3" and r["precision"] == "FP8_E4M3":
            print(f"FP8 8192^3: {r['ours_tflops']:.1f} TFLOP/s = {100 * r['ours_tflops'] * 1e12 / H100_FP8_PEAK:.1f}% "
                  f"of 1979 (dense datasheet)")
    print(f"decode 1x4096x4096 FP16 cold: ours {decode['ours_s'] * 1e6:.1f} us = {decode['ours_bw'] / 1e12:.3f} TB/s "
          f"({100 * decode['ours_bw'] / memory_roof(props.name):.1f}% of {memory_roof(props.name) / 1e12:.2f} TB/s), layout {decode['layout']}; torch TN "
          f"{decode['torch_tn_bw'] / 1e12:.3f} TB/s, torch NN {decode['torch_nn_bw'] / 1e12:.3f} TB/s; ours/torch TN "
          f"{decode['torch_tn_s'] / decode['ours_s']:.3f}, ours/torch NN {decode['torch_nn_s'] / decode['ours_s']:.3f}")
    print(f"  ours decode algorithm: {decode['algorithm']}")
    for label, v in sweep.items():
        print(f"sweep 4096^3 (FP16, FP8_E4M3, NVFP4, INT8, INT4) {label}: {v['wall_s']:.3f} s wall; "
              + ", ".join(f"{p} {d}" + (f" {t:.0f}" if t else "") for p, d, t, _ in v["points"]))
    for k, v in repeats.items():
        print(f"repeat {k}: medians " + ", ".join(f"{t * 1e6:.1f} us" for t in v["medians_s"]) +
              f"; max/min {v['max_over_min']:.4f}")


if __name__ == "__main__":
    main()
