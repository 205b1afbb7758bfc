#!/usr/bin/env python3
"""Regenerates data/golden/predictions.json from the C++ CLI.

The file pins the model's numbers for both implementations (the C++ core and the web app's offline model).
Regenerate only after a deliberate model change, and check the diff by hand: the first four cases are the
issue's hand-checked examples (1365.33, 2048, 2621.44, 1365.33 FLOP/byte).
Usage: scripts/make_golden.py build/cpu/apps/roofline/roofline
"""
import json
import subprocess
import sys

CASES = [
    ("4096^3 FP16 on GB10", dict(M=4096, N=4096, K=4096, precision="FP16", hardware="b10")),
    ("4096^3 FP8_E4M3 on H100", dict(M=4096, N=4096, K=4096, precision="FP8_E4M3", hardware="h100-sxm")),
    ("4096^3 NVFP4 on B200", dict(M=4096, N=4096, K=4096, precision="NVFP4", hardware="b200")),
    ("4096^3 INT8 on H100", dict(M=4096, N=4096, K=4096, precision="INT8", hardware="h100-sxm")),
    ("decode 1x4096x4096 FP16 on H100", dict(M=1, N=4096, K=4096, precision="FP16", hardware="h100-sxm")),
    ("decode 1x4096x4096 NVFP4 on GB10", dict(M=1, N=4096, K=4096, precision="NVFP4", hardware="b10")),
    ("NVFP4 unsupported on H100", dict(M=4096, N=4096, K=4096, precision="NVFP4", hardware="h100-sxm")),
    ("INT4 on A100 SXM", dict(M=8192, N=8192, K=8192, precision="INT4", hardware="a100-sxm")),
    ("odd K 17, NVFP4 scale padding", dict(M=3, N=5, K=17, precision="NVFP4", hardware="rtx-5090")),
    ("MXFP8 on B200", dict(M=2048, N=2048, K=2048, precision="MXFP8", hardware="b200")),
    ("W4A16 16x4096x4096", dict(M=16, N=4096, K=4096, precision="FP16", b_precision="INT4", hardware="h100-sxm")),
    ("FP8 in, FP32 out, beta=1", dict(M=4096, N=4096, K=4096, precision="FP8_E4M3", out_precision="FP32", beta=1.0,
                                       hardware="h100-sxm")),
    ("BF16 8192^3 on H200", dict(M=8192, N=8192, K=8192, precision="BF16", hardware="h200")),
    ("TF32 128x4096x4096 on A100", dict(M=128, N=4096, K=4096, precision="TF32", hardware="a100-sxm")),
    ("FP64 1024^3 on H100", dict(M=1024, N=1024, K=1024, precision="FP64", hardware="h100-sxm")),
    ("FP8_E5M2 on RTX 4090", dict(M=4096, N=4096, K=4096, precision="FP8_E5M2", hardware="rtx-4090")),
    ("largest dims FP64", dict(M=2147483647, N=2147483647, K=2147483647, precision="FP64", hardware="h100-sxm")),
]


def main() -> None:
    binary = sys.argv[1]
    out = []
    for name, c in CASES:
        args = [binary, "analyze", "--predict-only", "--format", "json", "-M", str(c["M"]), "-N", str(c["N"]),
                "-K", str(c["K"]), "--precision", c["precision"], "--hardware", c["hardware"]]
        for opt in ("a_precision", "b_precision", "out_precision"):
            if opt in c:
                args += ["--" + opt.replace("_", "-"), c[opt]]
        if "beta" in c:
            args += ["--beta", str(c["beta"])]
        p = json.loads(subprocess.check_output(args))["points"][0]
        expected = {k: p[k] for k in ("flops", "bytes", "ai", "tflops", "time_us", "bound", "disposition")}
        out.append({"name": name, "input": c, "expected": expected})
    doc = {"about": "Shared golden cases: libs/core/tests/golden_test.cpp and web/src/lib/model.test.ts both "
                    "compute these inputs and must match. Regenerate with scripts/make_golden.py.",
           "cases": out}
    with open("data/golden/predictions.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
