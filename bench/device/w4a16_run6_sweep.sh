#!/usr/bin/env bash
# W4A16 run 6, on the GPU machine (about 4 minutes): every compiled config verified (the run-6 register-stage
# variants included), then the lean sweep at M ≤ 16 under both cold flushes, so that a deeper pipeline is
# judged where the memset's write-backs do not hide it. Prepare here:
#   bench/w4a16/build.sh .devcarry6/w4a16 90 && cp bench/w4a16/*.py .devcarry6/w4a16/ && rm .devcarry6/w4a16/*.o
#   run(command="bash bench/device/w4a16_run6_sweep.sh", carry=[".devcarry6"], timeout_s=600)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTDIR=${OUT:-/tmp/out}
export PYTHONUNBUFFERED=1 XDG_CACHE_HOME=/tmp/w4a16-run6-cache
t0=$(date +%s)
stamp() { echo "== ($(($(date +%s) - t0)) s) $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
# LIBS: bench library folders under .devcarry6 (several builds compared in one session), FLUSHES: cold flushes.
for lib in ${LIBS:-w4a16}; do
for flush in ${FLUSHES:-memset clean}; do
    stamp "$lib: sweep, $flush flush"
    tag=${lib#w4a16}
    res="$OUTDIR/w4a16_run6${tag}_$flush"
    extra=$([ "$flush" = clean ] && echo --no-verify)
    (cd ".devcarry6/$lib" && timeout 280 python3 bench.py . --bulk 0 --tune --sweep lean6 --small-m-only \
        --samples 15 --flush "$flush" $extra --json "$res.json" >"$res.log" 2>&1)
    echo "bench rc=$?"
    grep -E "verify failures|FAIL|WRONG|read ceiling" "$res.log" | head -12
    (cd ".devcarry6/$lib" && python3 - "$res.json") <<'PY'
import json, sys
from bench import name
d = json.load(open(sys.argv[1]))
print("M N K | best us | auto us | fp16 us | read us | x fp16 best/auto | best config ; 2nd ; 3rd")
for r in d["rows"]:
    top = r.get("sweep", [])[:3]
    print(f"{r['m']} {r['n']} {r['k']} | {r['ours_us']:.1f} | {r['auto_us']:.1f} | {r['fp16_us']:.1f} | "
          f"{r['read_ceiling']['us']:.1f} | {r['fp16_us'] / r['ours_us']:.2f}/{r['fp16_us'] / r['auto_us']:.2f} | "
          + " ; ".join(f"{name(c[:-1])} {c[-1]:.1f}" for c in top))
PY
done
done
if [ "$(echo ${LIBS:-w4a16} | wc -w)" -gt 1 ]; then
    stamp "the builds side by side: best of the sweep, and two fixed configs, µs"
    python3 - "$OUTDIR" ${LIBS:-w4a16} <<'PY'
import json, os, sys
out, libs = sys.argv[1], sys.argv[2:]
for flush in ("memset", "clean"):
    runs = {}
    for lib in libs:
        path = f"{out}/w4a16_run6{lib[5:]}_{flush}.json"
        if os.path.exists(path):
            runs[lib] = {(r["m"], r["n"], r["k"]): r for r in json.load(open(path))["rows"]}
    if not runs:
        continue
    pick = lambda r, ln, tw: min([c[-1] for c in r.get("sweep", []) if c[5] == ln and c[0] == tw] or [float("nan")])
    print(f"flush {flush}: " + " | ".join(f"{l}: best, lean1/24, lean4/12" for l in runs))
    for key in next(iter(runs.values())):
        cells = []
        for l, rows in runs.items():
            r = rows.get(key)
            cells.append(f"{r['ours_us']:.1f} {pick(r, 24, 1):.1f} {pick(r, 12, 4):.1f}" if r else "-")
        print(f"{key} | " + " | ".join(cells))
PY
fi
stamp "done"
