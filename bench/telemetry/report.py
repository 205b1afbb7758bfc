#!/usr/bin/env python3
"""Reads $OUT/bench.jsonl (one JSON object per line, each with "bench") and prints the issue's checks with the
figures behind them. Prints what it finds; a missing input is reported as missing, never filled in."""
import json
import sys

DATASHEET_BW = 3.35e12  # H100 SXM5 HBM3, the datasheet figure the targets are stated against


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
    by = {}
    for r in rows:
        by.setdefault(r.get("bench"), []).append(r)
    checks = []

    def check(name, value, ok, detail):
        checks.append((name, value, "PASS" if ok else "FAIL", detail))

    bw = by.get("ours_bandwidth", [None])[0]
    tc = by.get("torch_copy", [None])[0]
    if bw:
        f = {b["name"]: b for b in bw["bandwidth"]}
        copy, read = f["dram_copy"]["bytes_per_s"], f["dram_read"]["bytes_per_s"]
        if tc:
            check("copy vs torch D2D copy", f"{copy / tc['bytes_per_s']:.3f}x", copy >= tc["bytes_per_s"],
                  f"ours {copy / 1e12:.3f} TB/s, torch {tc['bytes_per_s'] / 1e12:.3f} TB/s (median, read+write, "
                  f"{tc['bytes'] / 2**30:.0f} GiB)")
        check("copy vs 3.35 TB/s", f"{100 * copy / DATASHEET_BW:.1f}%", copy >= 0.88 * DATASHEET_BW,
              f"target >= 88%; kernel: {f['dram_copy']['kernel']}")
        check("read vs 3.35 TB/s", f"{100 * read / DATASHEET_BW:.1f}%", read >= 0.90 * DATASHEET_BW,
              f"target >= 90%; kernel: {f['dram_read']['kernel']}")
        for name in ("dram_write", "dram_copy_memcpy", "l2_read"):
            if name in f:
                checks.append((name, f"{f[name]['bytes_per_s'] / 1e12:.3f} TB/s", "info", f[name]["kernel"]))
    else:
        checks.append(("bandwidth", "missing", "FAIL", "no ours_bandwidth line"))

    for e in by.get("energy", []):
        if "ratio_counter_over_power_time" in e:
            r = e["ratio_counter_over_power_time"]
            check("energy counter vs mean power x time (copy load)", f"{r:.3f}", abs(r - 1) <= 0.10,
                  f"{e['energy_counter_j']:.1f} J vs {e['mean_power_x_time_j']:.1f} J over {e['region_s']:.2f} s, "
                  f"{e['samples']} samples at {e['sample_rate_hz']:.0f} Hz ({e['power_source']}); "
                  f"trapezoid {e['power_integral_j']:.1f} J")
    for g in by.get("gemm", []):
        if "ratio_counter_over_power_time" in g:
            r = g["ratio_counter_over_power_time"]
            p = g["point"]
            check(f"energy counter vs mean power x time ({p['label']})", f"{r:.3f}", abs(r - 1) <= 0.10,
                  f"{g['energy_counter_j']:.1f} J vs {g['mean_power_x_time_j']:.1f} J over {g['region_s']:.2f} s")
    for name in ("overhead", "overhead_gemm"):
        for o in by.get(name, []):
            if "relative_change" in o:
                rc = o["relative_change"]
                noise = f"; runs without the sampler spread {100 * o['noise_without']:.2f}%" if "noise_without" in o else ""
                check(f"sampling changes the median ({name})", f"{100 * rc:+.2f}%", abs(rc) < 0.01,
                      o.get("load", o.get("mode", "")) + noise)

    ours = by.get("ours_compute", [None])[0]
    torch_runs = by.get("torch_gemm", [])
    if ours and torch_runs:
        for prec, key in (("BF16", "bf16"), ("FP8_E4M3", "fp8_e4m3")):
            c = next((c for c in ours["compute"] if c["precision"] == prec), None)
            tbest = max((t["results"][key]["best_flops_per_s"] for t in torch_runs if key in t["results"]),
                        default=None)
            if c and tbest:
                check(f"{prec} ceiling vs best torch search", f"{c['burst_flops_per_s'] / tbest:.3f}x",
                      c["burst_flops_per_s"] >= tbest,
                      f"ours {c['burst_flops_per_s'] / 1e12:.1f} TFLOP/s at {c['best_problem']['M']}x"
                      f"{c['best_problem']['N']}x{c['best_problem']['K']}, torch best of {len(torch_runs)} searches "
                      f"{tbest / 1e12:.1f}")
    w = by.get("ceilings_wall", [None])[0]
    if w:
        check("roofline ceilings wall time", f"{w['seconds']:.1f} s", w["seconds"] < 90 and w["rc"] == 0,
              f"exit code {w['rc']}; target < 90 s")

    width = max(len(c[0]) for c in checks) if checks else 10
    for name, value, verdict, detail in checks:
        print(f"{verdict:5} {name:<{width}}  {value:>10}  {detail}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench.jsonl")
