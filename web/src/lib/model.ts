// The offline model: the same predicted numbers as the C++ core, so analyses still work when the API is down.
// Mirrors libs/core/src/gemm.cpp (traffic), roofline_model.cpp (estimate), result.cpp (predict) and report.cpp
// (to_json's rounding). Counts are BigInt: 2·M·N·K reaches 2e28 at the largest dimensions, far past 2^53, and the
// core counts in 128-bit integers.
import { bitsPerElement, info, type PrecisionName } from './precision';
import { peakOf, roofFor, type HardwareEntry, type PrecisionRoof } from './hardware';
import type { Bound, Point, PointRoof } from './types';
import { fastestRoof, perfModel } from './perfModel';

export const MAX_DIMENSION = 2147483647;

export interface GemmProblem {
  m: number;
  n: number;
  k: number;
  a: PrecisionName;
  b: PrecisionName;
  out: PrecisionName;
  beta: number;
  /** INT4 weights of a mixed GEMM (W4A16): one 16-bit scale per groupSize along K (gemm.hpp). */
  groupSize?: number;
}

export const DEFAULT_GROUP_SIZE = 128;

export interface GemmTraffic {
  flops: bigint;
  aBytes: bigint;
  bBytes: bigint;
  cBytes: bigint;
  dBytes: bigint;
}

export const trafficBytes = (t: GemmTraffic): bigint => t.aBytes + t.bBytes + t.cBytes + t.dBytes;

/** make_problem: with mixed inputs (W4A16) the wider input decides the default output. */
export function makeProblem(
  m: number,
  n: number,
  k: number,
  p: PrecisionName,
  a?: PrecisionName | null,
  b?: PrecisionName | null,
  out?: PrecisionName | null,
  beta = 0,
): GemmProblem {
  // A weight-only format (W4A16) names the weights; its activations are its default output (make_problem).
  const ga = a ?? (info(p).weightOnly ? info(p).defaultOutput : p);
  const gb = b ?? p;
  const wider = bitsPerElement(info(ga)) >= bitsPerElement(info(gb)) ? ga : gb;
  const gout = out ?? (a || b ? info(wider).defaultOutput : info(p).defaultOutput);
  return { m, n, k, a: ga, b: gb, out: gout, beta };
}

/** validate() in gemm.cpp; returns the messages instead of throwing so the form can show them per field. */
export function validateProblem(p: GemmProblem): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  for (const [field, v] of [['M', p.m], ['N', p.n], ['K', p.k]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_DIMENSION) {
      errors.push({ field, message: `${field} must be an integer in [1, 2147483647] (got ${v})` });
    }
  }
  for (const [field, v] of [['a_precision', p.a], ['b_precision', p.b]] as const) {
    if (!info(v).gemmInput) {
      errors.push({ field, message: `${field} ${v} is an accumulator format, not a GEMM input` });
    }
  }
  return errors;
}

/** Bytes of one operand of rows × kDim: bits rounded up to whole bytes, block scales per started block along K. */
export function operandBytes(p: PrecisionName, rows: number, kDim: number): bigint {
  const pi = info(p);
  const r = BigInt(rows);
  const kd = BigInt(kDim);
  let bits = r * kd * BigInt(pi.storageBits);
  if (pi.scaleBlock !== 0) {
    const block = BigInt(pi.scaleBlock);
    const blocksPerRow = (kd + block - 1n) / block;
    bits += r * blocksPerRow * BigInt(pi.scaleBits);
  }
  return (bits + 7n) / 8n;
}

/** C is read in D's format, except that an FP8 D takes a BF16 C (gemm_problem::c_precision). */
export function cPrecision(p: GemmProblem): PrecisionName {
  return p.out === 'FP8_E4M3' || p.out === 'FP8_E5M2' ? 'BF16' : p.out;
}

export function computeTraffic(p: GemmProblem): GemmTraffic {
  const dBytes = operandBytes(p.out, p.m, p.n);
  let aBytes = operandBytes(p.a, p.m, p.k);
  // B is K×N; its block scales run along K too, so it counts as N rows of K.
  let bBytes = operandBytes(p.b, p.n, p.k);
  if ((p.a === 'INT4') !== (p.b === 'INT4')) {
    // Mixed INT4 weights: one 16-bit scale per started group along K in every row.
    const g = BigInt(p.groupSize ?? DEFAULT_GROUP_SIZE);
    const groups = (BigInt(p.k) + g - 1n) / g;
    if (p.a === 'INT4') aBytes += BigInt(p.m) * groups * 2n;
    else bBytes += BigInt(p.n) * groups * 2n;
  }
  return {
    flops: 2n * BigInt(p.m) * BigInt(p.n) * BigInt(p.k),
    aBytes,
    bBytes,
    cBytes: p.beta !== 0 ? operandBytes(cPrecision(p), p.m, p.n) : 0n,
    dBytes,
  };
}

/** BigInt → double, rounded to nearest like the core's to_double of its 128-bit counts. */
export const toDouble = (v: bigint): number => Number(v);

export function arithmeticIntensity(t: GemmTraffic): number {
  const b = trafficBytes(t);
  return b === 0n ? 0 : toDouble(t.flops) / toDouble(b);
}

/** The wider input computes (a wins ties), as compute_precision() in roofline_model.cpp. */
export function computePrecision(p: GemmProblem): PrecisionName {
  return bitsPerElement(info(p.a)) >= bitsPerElement(info(p.b)) ? p.a : p.b;
}

export interface RooflineEstimate {
  roof: PrecisionRoof;
  ai: number;
  memoryRoofFlopsPerS: number;
  attainableFlopsPerS: number;
  bound: Bound;
  predictedTimeS: number;
}

export function estimate(hw: HardwareEntry, p: GemmProblem, t: GemmTraffic): RooflineEstimate {
  const roof = roofFor(hw, computePrecision(p));
  const ai = arithmeticIntensity(t);
  const bw = roof.bandwidthBytesPerS;
  const e: RooflineEstimate = {
    roof,
    ai,
    memoryRoofFlopsPerS: ai * bw,
    attainableFlopsPerS: 0,
    bound: 'unsupported',
    predictedTimeS: 0,
  };
  const memoryTime = bw > 0 ? toDouble(trafficBytes(t)) / bw : 0;
  if (roof.available) {
    e.attainableFlopsPerS = Math.min(e.memoryRoofFlopsPerS, roof.peakFlopsPerS);
    e.bound = ai < roof.ridgeAi ? 'memory' : 'compute';
    e.predictedTimeS = Math.max(toDouble(t.flops) / roof.peakFlopsPerS, memoryTime);
    return e;
  }
  if (peakOf(hw, roof.precision).supported) {
    // Peak unknown: no attainable rate; the memory roof still bounds the time from below.
    e.bound = 'unknown';
    e.predictedTimeS = memoryTime;
  }
  return e;
}

/** round_sig in report.cpp, operation for operation, so the JSON figures agree digit for digit. */
export function roundSig(v: number, digits = 9): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const scale = Math.pow(10, digits - 1 - Math.floor(Math.log10(Math.abs(v))));
  // std::round rounds halves away from zero; Math.round rounds them up. Same for the positive figures here,
  // but keep negative values right too.
  const x = v * scale;
  const r = x < 0 ? -Math.round(-x) : Math.round(x);
  return r / scale;
}

/** count_json: exact integers up to 2^64-1 in the core's JSON, a double beyond; JS numbers hold either as double. */
export const countJson = (v: bigint): number => Number(v);

export function shapeLabel(p: GemmProblem): string {
  return `${p.m}x${p.n}x${p.k}`;
}

export function precisionLabel(p: GemmProblem): string {
  if (p.a === p.b && info(p.a).defaultOutput === p.out && p.beta === 0) return p.a;
  // W4A16 chosen alone: its activations and output are its default output ("W4A16", not "FP16xW4A16->FP16").
  if (info(p.b).weightOnly && p.a === info(p.b).defaultOutput && p.out === p.a && p.beta === 0) return p.b;
  let label: string = p.a;
  if (p.b !== p.a) label += `x${p.b}`;
  return `${label}->${p.out}`;
}

/** predict() in result.cpp followed by to_json(analysis_point): a POINT exactly as the server sends it. */
export function predictPoint(hw: HardwareEntry, p: GemmProblem, pacing: 'paced' | 'continuous' = 'paced'): Point {
  const t = computeTraffic(p);
  const e = estimate(hw, p, t);
  let disposition: Point['disposition'] = 'passed';
  let message = '';
  let prediction: Point['prediction'] = null;
  if (e.bound === 'unsupported') {
    disposition = 'not_supported';
    message = e.roof.reason;
  } else {
    if (e.bound === 'unknown') {
      const fastest = fastestRoof(hw);
      message =
        `${e.roof.reason}; no compute roof, so no attainable rate: the prediction uses the memory roof and the ` +
        'launch floor';
      if (fastest > 0) message += `, capped at the GPU's fastest roof (${(fastest / 1e12).toFixed(1)} TFLOP/s)`;
    }
    prediction = perfModel.predict(hw, p, t, pacing);
  }
  const timeS = prediction ? prediction.time_s : 0;
  const hasTime = timeS > 0;
  const flopsPerS = hasTime ? toDouble(t.flops) / timeS : 0;
  const frac = hasTime && e.attainableFlopsPerS > 0 ? flopsPerS / e.attainableFlopsPerS : null;
  // report.cpp roof_at_clock: the compute roof scaled to the clock the point runs at.
  const roofClock = prediction ? prediction.roof_clock_mhz : null;
  const runClock = prediction ? prediction.clock_mhz : null;
  let atClock = 0;
  if (roofClock !== null && runClock !== null && roofClock > 0 && e.roof.available) {
    atClock = Math.min(e.memoryRoofFlopsPerS, (e.roof.peakFlopsPerS * runClock) / roofClock);
  }
  const roof: PointRoof = {
    bound: e.bound,
    memory_roof_tflops: roundSig(e.memoryRoofFlopsPerS / 1e12),
    compute_roof_tflops: e.roof.available ? roundSig(e.roof.peakFlopsPerS / 1e12) : null,
    attainable_tflops: e.attainableFlopsPerS > 0 ? roundSig(e.attainableFlopsPerS / 1e12) : null,
    ridge_ai: e.roof.available ? roundSig(e.roof.ridgeAi) : null,
    predicted_time_s: e.predictedTimeS > 0 ? e.predictedTimeS : null,
    fraction_of_roof: frac === null ? null : roundSig(frac, 6),
    roof_clock_mhz: roofClock,
    run_clock_mhz: runClock,
    attainable_at_run_clock_tflops: atClock > 0 ? roundSig(atClock / 1e12) : null,
    fraction_of_roof_at_run_clock: hasTime && atClock > 0 ? roundSig(flopsPerS / atClock, 6) : null,
  };
  if (!e.roof.available) roof.reason = e.roof.reason;
  const precision = precisionLabel(p);
  return {
    ai: roundSig(arithmeticIntensity(t)),
    tflops: hasTime ? roundSig(flopsPerS / 1e12) : null,
    time_us: hasTime ? roundSig(timeS * 1e6) : null,
    precision,
    label: `${shapeLabel(p)} [${precision}] (predicted)`,
    M: p.m,
    N: p.n,
    K: p.k,
    a_precision: p.a,
    b_precision: p.b,
    out_precision: p.out,
    beta: p.beta,
    group_size: p.groupSize ?? DEFAULT_GROUP_SIZE,
    compute_precision: computePrecision(p),
    colour: info(p.a).colour,
    source: 'predicted',
    disposition,
    message,
    hardware_key: hw.key,
    flops: countJson(t.flops),
    bytes: countJson(trafficBytes(t)),
    a_bytes: countJson(t.aBytes),
    b_bytes: countJson(t.bBytes),
    c_bytes: countJson(t.cBytes),
    d_bytes: countJson(t.dBytes),
    time_s: hasTime ? timeS : null,
    bound: e.bound,
    roof,
    measured: null,
    prediction,
    prediction_error: null,
    pacing: prediction ? prediction.pacing : null,
    clock_mhz: runClock === null ? null : roundSig(runClock, 6),
  };
}
