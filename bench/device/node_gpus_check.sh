#!/usr/bin/env bash
# `--gpus all` on a GPU machine (issue 15): analyze spread over every GPU, the node check (alone, then all at
# once), and `serve --gpus all` (GET /api/gpus, POST /api/node/check); then each GPU's identity as the tool
# reports it (index, UUID, PCI bus id, serial) checked against nvidia-smi's. About a minute of GPU time on one
# H200. Prepare here (a build of preset sm90), then one device call with carry [".devcarry"]:
#   bench/device/prepare_carry.sh && run(command="bash bench/device/node_gpus_check.sh", carry=[".devcarry"])
# Outputs (and summary.txt, the lines to quote) in $OUT/node_gpus.
set -uo pipefail
C=.devcarry
export LD_LIBRARY_PATH="$PWD/$C/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
B=${ROOFLINE_BIN:-$C/roofline}
out="${OUT:-/tmp/out}/node_gpus"
mkdir -p "$out"
export XDG_CACHE_HOME=/tmp/rc-node-cache
sum="$out/summary.txt"
: >"$sum"
say() { echo "$*" | tee -a "$sum"; }
fail=0

say "== $(hostname): $("$B" --version 2>&1 | head -1)"
nvidia-smi --query-gpu=index,uuid,pci.bus_id,serial,name --format=csv,noheader | tee "$out/nvidia_smi.csv" | tee -a "$sum"

say "== analyze --gpus all (BF16, FP16, FP8 8192^3: the precisions spread over the GPUs, one run per GPU)"
rm -f /tmp/rc-node.db*
"$B" analyze --shape 8192x8192x8192 -p bf16,fp16,fp8 --gpus all --db /tmp/rc-node.db --format json \
    >"$out/analyze_gpus.json" 2>"$out/analyze_gpus.err" || { say "analyze --gpus all: exit $?"; fail=1; }
cat "$out/analyze_gpus.err" | tee -a "$sum"
"$B" analyze --shape 8192x8192x8192 -p bf16 --gpus all --format table 2>&1 | tee "$out/analyze_gpus.txt" | tail -4 | tee -a "$sum"
"$B" runs list --db /tmp/rc-node.db 2>&1 | tee "$out/runs.txt" | tee -a "$sum"

say "== node check (BF16 8192^3, continuous, alone then together)"
"$B" node check --gpus all --format json >"$out/node_check.json" 2>"$out/node_check.err" || { say "node check: exit $?"; fail=1; }
"$B" node check --gpus all --iterations 10 2>&1 | tee "$out/node_check.txt" | tee -a "$sum"

say "== serve --gpus all: /api/gpus and /api/node/check"
"$B" serve --gpus all --port 0 --db /tmp/rc-node-serve.db >"$out/serve.log" 2>&1 &
spid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$out/serve.log" && break; sleep 0.2; done
url=$(grep -o "http://127.0.0.1:[0-9]*" "$out/serve.log" | head -1)
if [[ -n "$url" ]]; then
    curl -sS "$url/api/gpus" >"$out/api_gpus.json"
    curl -sS -X POST "$url/api/node/check" -H 'Content-Type: application/json' \
        -d '{"M":4096,"N":4096,"K":4096,"precisions":["FP16"],"iterations":10,"pacing":"continuous"}' \
        >"$out/api_node_check.json"
    curl -sS -X POST "$url/api/analyze" -H 'Content-Type: application/json' \
        -d '{"M":4096,"N":4096,"K":4096,"precisions":["FP16"]}' >"$out/api_analyze.json"
    curl -sS "$url/api/runs?gpu=0&limit=5" >"$out/api_runs_gpu0.json"
else
    say "serve did not start: $(tail -3 "$out/serve.log")"
    fail=1
fi
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null

say "== identity: the tool against nvidia-smi"
command -v python3 >/dev/null || { say "no python3 here: compare $out/*.json with nvidia_smi.csv by eye"; exit 1; }
python3 - "$out" <<'PY' | tee -a "$sum"
import csv, json, sys, os
out = sys.argv[1]
smi = {}
for row in csv.reader(open(os.path.join(out, "nvidia_smi.csv"))):
    idx, uuid, pci, serial, name = [x.strip() for x in row]
    smi[int(idx)] = {"uuid": uuid, "pci_bus_id": pci.upper(), "serial": serial}
bad = 0
def check(where, index, uuid, pci, serial):
    global bad
    want = smi.get(index)
    got = {"uuid": uuid, "pci_bus_id": (pci or "").upper(), "serial": serial}
    # CUDA prints the PCI bus id with a 4-digit domain ("0000:19:00.0"), NVML with 8 ("00000000:19:00.0").
    same = want is not None and want["uuid"] == uuid and want["pci_bus_id"].endswith(got["pci_bus_id"][-12:]) \
        and (want["serial"] == serial or want["serial"] in ("", "[N/A]", "N/A"))
    bad += not same
    print(f"{'ok ' if same else 'BAD'} {where}: GPU {index} uuid {uuid} pci {pci} serial {serial or '-'}"
          + ("" if same else f"  (nvidia-smi: {want})"))
try:
    doc = json.load(open(os.path.join(out, "analyze_gpus.json")))
    for p in doc.get("points", []):
        d = (p.get("measured") or {}).get("device") or {}
        if "index" in d:
            check(f"analyze {p.get('precision')}", d["index"], d.get("uuid"), d.get("pci_bus_id"), d.get("serial", ""))
except Exception as e:
    bad += 1; print("BAD analyze_gpus.json:", e)
for name in ("node_check.json", "api_node_check.json"):
    try:
        doc = json.load(open(os.path.join(out, name)))
        for g in doc["gpus"]:
            check(name, g["index"], g["uuid"], g["pci_bus_id"], g["serial"])
            for ph in ("alone", "together"):
                x = g[ph]
                print(f"    {ph}: {x['tflops'] and round(x['tflops'], 1)} TFLOP/s, {x['sm_clock_mhz'] and round(x['sm_clock_mhz'])} MHz, "
                      f"{x['power_w'] and round(x['power_w'])}/{x['power_limit_w']} W, {x['temperature_c']} C {x['message']}")
        print(f"    outliers: {[(o['index'], o['phase'], o['reasons']) for o in doc['outliers']]}")
    except Exception as e:
        bad += 1; print(f"BAD {name}:", e)
try:
    g = json.load(open(os.path.join(out, "api_gpus.json")))
    for lane in g["gpus"]:
        d = lane["device"] or {}
        print(f"    /api/gpus lane {lane['lane']}: GPU {lane['index']} {lane['state']} {d.get('uuid')} {d.get('pci_bus_id')} serial {d.get('serial', '-')}")
    runs = json.load(open(os.path.join(out, "api_runs_gpu0.json")))
    print(f"    /api/runs?gpu=0: {runs['total']} run(s)")
except Exception as e:
    bad += 1; print("BAD api:", e)
print("identity:", "all match" if bad == 0 else f"{bad} mismatch(es)")
sys.exit(1 if bad else 0)
PY
[[ ${PIPESTATUS[0]} -eq 0 ]] || fail=1
say "outputs in $out; exit $fail"
exit $fail
