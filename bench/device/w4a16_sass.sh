#!/usr/bin/env bash
# The SASS of the bench library's lean kernels (cuobjdump is on the GPU machine, not here), one file per
# kernel named in KEEP (tags T_MT_TW_G_B_S, default two of the engine's) under $OUT/sass, and a per-kernel opcode
# count. LIB: the folder under .devcarry6 (bench/w4a16/build.sh's output).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUTDIR=${OUT:-/tmp/out}
CUOBJDUMP=$(command -v cuobjdump || echo /usr/local/cuda/bin/cuobjdump)
mkdir -p "$OUTDIR/sass"
"$CUOBJDUMP" -sass .devcarry6/${LIB:-w4a16}/libw4a16_bench.so >/tmp/all.sass 2>&1
echo "cuobjdump rc=$? lines $(wc -l </tmp/all.sass)"
KEEP=${KEEP:-6__half_1_1_2_4_2 6__half_2_4_1_2_2} python3 - /tmp/all.sass "$OUTDIR/sass" <<'PY'
import collections, os, re, sys
text = open(sys.argv[1]).read()
parts = re.split(r"\n\s*Function : (\S+)\n", text)
for name, body in zip(parts[1::2], parts[2::2]):
    if "lean_kernel" not in name:
        continue
    m = re.search(r"lean_kernelI(\w+?)Li(\d)ELi(\d)ELi(\d)ELi(\d)ELi(\d)E", name)
    tag = "_".join(m.groups()) if m else name[-40:]
    if tag in os.environ["KEEP"].split():
        open(f"{sys.argv[2]}/lean_{tag}.sass", "w").write(body)
    ops = collections.Counter(re.findall(r"/\*[0-9a-f]{4}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)", body))
    print(tag, sum(ops.values()), ops.most_common(16))
PY
