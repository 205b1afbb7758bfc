// The performance model, ported operation for operation from libs/core/src/perf_model.cpp (evaluate_model,
// perf_model::predict) so the offline page predicts the same times as the core. Its parameters are the same data
// files: data/perf_model/defaults.json (family defaults) and data/calibration/*.json (fitted profiles).
import { computePrecision, toDouble, trafficBytes, type GemmProblem, type GemmTraffic } from './model';
import { roofFor, type HardwareEntry } from './hardware';
import { info, type PrecisionName } from './precision';
import type { Prediction as GeneratedPrediction } from './types';

export interface PerfParams {
  floor_s: number;
  bandwidth_efficiency: number;
  sm_bandwidth_bytes_per_s: number;
  tile_overhead_s: number;
  split_k_overhead_s: number;
  tile_intensity_ref: number;
  continuous_clock_ratio: number;
  misaligned_efficiency: number;
  misaligned_bandwidth_efficiency: number;
  misaligned_loads_per_clock: number;
  compute_efficiency: Record<string, number>; // "default" and per precision
  interval_log: { p10: number; p90: number };
}

// The prediction's shape is the schema's (schemas/point.schema.json#/$defs/Prediction), as the C++ writes it.
export type Prediction = GeneratedPrediction;
export type PerfTerms = Prediction['terms'];

interface RawProfile {
  hardware_key: string;
  date: string;
  pacing?: 'paced' | 'continuous';
  params: Partial<PerfParams>;
  residuals?: { count?: number };
}

interface RawDefaults {
  families: Record<string, { params: Partial<PerfParams> }>;
}

const WIDE = [64, 128, 256];
const NARROW = [8, 16, 32, 64, 128, 256];
const SPLITS = [1, 2, 3, 4, 6, 8, 12, 16];
const MIN_SPLIT_K = 64;

const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

function mergeParams(base: PerfParams | null, raw: Partial<PerfParams>): PerfParams {
  const b: PerfParams = base ?? {
    floor_s: 4e-6,
    bandwidth_efficiency: 0.85,
    sm_bandwidth_bytes_per_s: 0,
    tile_overhead_s: 1e-6,
    split_k_overhead_s: 2e-6,
    tile_intensity_ref: 64,
    continuous_clock_ratio: 0.85,
    misaligned_efficiency: 0.3,
    misaligned_bandwidth_efficiency: 0.7,
    misaligned_loads_per_clock: 0,
    compute_efficiency: { default: 0.8 },
    interval_log: { p10: -0.1, p90: 0.6 },
  };
  return {
    floor_s: raw.floor_s ?? b.floor_s,
    bandwidth_efficiency: raw.bandwidth_efficiency ?? b.bandwidth_efficiency,
    sm_bandwidth_bytes_per_s: raw.sm_bandwidth_bytes_per_s ?? b.sm_bandwidth_bytes_per_s,
    tile_overhead_s: raw.tile_overhead_s ?? b.tile_overhead_s,
    split_k_overhead_s: raw.split_k_overhead_s ?? b.split_k_overhead_s,
    tile_intensity_ref: raw.tile_intensity_ref ?? b.tile_intensity_ref,
    continuous_clock_ratio: raw.continuous_clock_ratio ?? b.continuous_clock_ratio,
    misaligned_efficiency: raw.misaligned_efficiency ?? b.misaligned_efficiency,
    misaligned_bandwidth_efficiency: raw.misaligned_bandwidth_efficiency ?? b.misaligned_bandwidth_efficiency,
    misaligned_loads_per_clock: raw.misaligned_loads_per_clock ?? b.misaligned_loads_per_clock,
    compute_efficiency: { ...b.compute_efficiency, ...(raw.compute_efficiency ?? {}) },
    interval_log: raw.interval_log ?? b.interval_log,
  };
}

const efficiency = (p: PerfParams, precision: PrecisionName): number =>
  p.compute_efficiency[precision] ?? p.compute_efficiency.default ?? 0.8;

/** misaligned() in perf_model.cpp: rows that are not 16-byte multiples keep cuBLASLt off its TMA kernels. */
export function misaligned(p: GemmProblem): boolean {
  const inBits = Math.max(info(p.a).storageBits, info(p.b).storageBits);
  const outBits = info(p.out).storageBits;
  return (p.k * inBits) % 128 !== 0 || (p.m > 1 && (p.m * outBits) % 128 !== 0);
}

/** operands_misaligned() in perf_model.cpp: A's and B's rows (K x input size) are not 16-byte multiples. */
export function operandsMisaligned(p: GemmProblem): boolean {
  const inBits = Math.max(info(p.a).storageBits, info(p.b).storageBits);
  return (p.k * inBits) % 128 !== 0;
}

/** elements_per_misaligned_load() in perf_model.cpp: the widest power-of-two vector (<= 16 B) dividing a row. */
export function elementsPerMisalignedLoad(p: GemmProblem): number {
  const inBits = Math.max(info(p.a).storageBits, info(p.b).storageBits);
  const rowBits = p.k * inBits;
  let vectorBits = 128;
  while (vectorBits > inBits && rowBits % vectorBits !== 0) vectorBits /= 2;
  return Math.max(1, vectorBits / inBits);
}

export function fastestRoof(hw: HardwareEntry): number {
  let best = 0;
  for (const pk of hw.peaks) if (pk.supported && pk.flopsPerS !== null) best = Math.max(best, pk.flopsPerS);
  return best;
}

/** evaluate_model in perf_model.cpp. */
export function evaluateModel(
  params: PerfParams,
  hw: HardwareEntry,
  p: GemmProblem,
  t: GemmTraffic,
  clockRatio: number,
): { time_s: number; low_s: number; high_s: number; terms: PerfTerms } {
  const flops = toDouble(t.flops);
  const bytes = toDouble(trafficBytes(t));
  const roof = roofFor(hw, computePrecision(p));
  const bw = roof.bandwidthBytesPerS;
  const boundPeak = roof.available ? roof.peakFlopsPerS : fastestRoof(hw);
  let rooflineS = bw > 0 ? bytes / bw : 0;
  if (boundPeak > 0) rooflineS = Math.max(rooflineS, flops / boundPeak);
  const best: PerfTerms & { tm: number; tn: number; split: number; tiles: number; waves: number; we: number; te: number } = {
    floor_s: params.floor_s,
    compute_s: 0,
    memory_s: 0,
    roofline_s: 0,
    limiter: 'floor',
    tm: 0,
    tn: 0,
    split: 1,
    tiles: 0,
    waves: 0,
    we: 1,
    te: 1,
  };
  let bestTotal = Infinity;
  const off = misaligned(p);
  const operandsOff = operandsMisaligned(p);
  const streamBw = bw * params.bandwidth_efficiency * (off ? params.misaligned_bandwidth_efficiency : 1.0);
  const sms = hw.smCount === null ? 0 : Math.trunc(hw.smCount);
  const memoryTime = (moved: number, active: number): number => {
    let s = streamBw > 0 ? moved / streamBw : 0;
    if (params.sm_bandwidth_bytes_per_s > 0 && active > 0) {
      s = Math.max(s, moved / (active * params.sm_bandwidth_bytes_per_s));
    }
    return s;
  };
  let loadRate = 0;
  if (operandsOff && params.misaligned_loads_per_clock > 0) {
    const mhz = (hw.roofClockMhz ?? 0) * clockRatio;
    loadRate = params.misaligned_loads_per_clock * mhz * 1e6 * elementsPerMisalignedLoad(p);
  }
  if (roof.available && sms > 0) {
    const align = operandsOff ? params.misaligned_efficiency : 1.0;
    const smRate = (roof.peakFlopsPerS * clockRatio * efficiency(params, roof.precision) * align) / sms;
    const consider = (tm: number, tn: number, split: number): void => {
      const tiles = ceilDiv(p.m, tm) * ceilDiv(p.n, tn) * split;
      const waves = ceilDiv(tiles, sms);
      const h = (tm * tn) / (tm + tn);
      const tileEff = Math.min(1.0, h / params.tile_intensity_ref);
      const tileFlops = 2.0 * (tm * tn) * ceilDiv(p.k, split);
      const loads = loadRate > 0 ? ((tm + tn) * ceilDiv(p.k, split)) / loadRate : 0;
      const compute = waves * (params.tile_overhead_s + tileFlops / (smRate * tileEff) + loads);
      const extra = split > 1 ? 8.0 * p.m * p.n * split : 0.0;
      const memory = memoryTime(bytes + extra, Math.min(tiles, sms));
      const total = params.floor_s + Math.max(compute, memory) + (split > 1 ? params.split_k_overhead_s : 0.0);
      if (total < bestTotal) {
        bestTotal = total;
        Object.assign(best, { compute_s: compute, memory_s: memory, tm, tn, split, tiles, waves });
        best.we = tiles / (waves * sms);
        best.te = tileEff;
      }
    };
    for (const split of SPLITS) {
      if (split > 1 && Math.trunc(p.k / split) < MIN_SPLIT_K) break;
      for (const a of WIDE) {
        for (const b of NARROW) {
          consider(a, b, split);
          if (b !== a) consider(b, a, split);
        }
      }
    }
  } else if (roof.available) {
    const align = operandsOff ? params.misaligned_efficiency : 1.0;
    best.compute_s =
      params.tile_overhead_s + flops / (roof.peakFlopsPerS * clockRatio * efficiency(params, roof.precision) * align);
    best.memory_s = memoryTime(bytes, 0);
    bestTotal = params.floor_s + Math.max(best.compute_s, best.memory_s);
  } else {
    best.memory_s = memoryTime(bytes, 0);
    bestTotal = params.floor_s + best.memory_s;
  }
  const time = Math.max(bestTotal, rooflineS);
  let limiter: PerfTerms['limiter'];
  if (rooflineS >= bestTotal) limiter = 'roofline';
  else if (best.compute_s >= best.memory_s) limiter = best.compute_s > 0 ? 'compute' : 'floor';
  else limiter = 'memory';
  const terms: PerfTerms = {
    floor_s: best.floor_s,
    compute_s: best.compute_s,
    memory_s: best.memory_s,
    roofline_s: rooflineS,
    limiter,
  };
  if (best.tiles > 0) {
    Object.assign(terms, {
      tile: `${best.tm}x${best.tn}`,
      split_k: best.split,
      tiles: best.tiles,
      waves: best.waves,
      wave_efficiency: best.we,
      tile_efficiency: best.te,
    });
  }
  const low = Math.max(rooflineS, time * Math.exp(params.interval_log.p10));
  const high = Math.max(low, time * Math.exp(params.interval_log.p90));
  return { time_s: time, low_s: low, high_s: high, terms };
}

export class PerfModel {
  private readonly families = new Map<string, PerfParams>();
  private readonly profiles = new Map<string, { raw: RawProfile; file: string; params: PerfParams }>();

  constructor(defaults: RawDefaults, profiles: Record<string, RawProfile>) {
    const star = defaults.families['*'];
    if (!star) throw new Error("perf_model defaults: families must contain '*'");
    const base = mergeParams(null, star.params);
    for (const [name, f] of Object.entries(defaults.families)) this.families.set(name, mergeParams(base, f.params));
    for (const [path, raw] of Object.entries(profiles)) {
      const file = path.split('/').pop() as string;
      this.profiles.set(raw.hardware_key, { raw, file, params: mergeParams(null, raw.params) });
    }
  }

  familyDefaults(architecture: string): PerfParams {
    return this.families.get(architecture) ?? (this.families.get('*') as PerfParams);
  }

  private predictWith(
    params: PerfParams,
    hw: HardwareEntry,
    p: GemmProblem,
    t: GemmTraffic,
    pacing: 'paced' | 'continuous',
  ): Prediction {
    const roofClock = hw.roofClockMhz;
    let clock: number | null = null;
    if (hw.boostClockHz !== null) {
      const boost = hw.boostClockHz / 1e6;
      clock = pacing === 'paced' ? boost : boost * params.continuous_clock_ratio;
    }
    let ratio = 1.0;
    if (roofClock !== null && clock !== null && roofClock > 0) ratio = clock / roofClock;
    else if (pacing === 'continuous') ratio = params.continuous_clock_ratio;
    const r = evaluateModel(params, hw, p, t, ratio);
    return {
      time_s: r.time_s,
      interval_low_s: r.low_s,
      interval_high_s: r.high_s,
      calibrated: false,
      basis: '',
      pacing,
      clock_mhz: clock,
      roof_clock_mhz: roofClock,
      terms: r.terms,
    };
  }

  predict(hw: HardwareEntry, p: GemmProblem, t: GemmTraffic, pacing: 'paced' | 'continuous' = 'paced'): Prediction {
    const profile = this.profiles.get(hw.key);
    if (!profile) {
      const out = this.predictWith(this.familyDefaults(hw.architecture), hw, p, t, pacing);
      out.basis =
        `uncalibrated ${this.families.has(hw.architecture) ? hw.architecture : 'generic'} defaults ` +
        '(data/perf_model/defaults.json); interval from their error on measured GPUs';
      return out;
    }
    const profilePacing = profile.raw.pacing ?? 'paced';
    const same = profilePacing === pacing;
    let params = profile.params;
    if (!same) {
      const fam = this.familyDefaults(hw.architecture);
      params = { ...params, continuous_clock_ratio: fam.continuous_clock_ratio, interval_log: fam.interval_log };
    }
    const out = this.predictWith(params, hw, p, t, pacing);
    out.calibrated = same;
    out.basis =
      `calibration ${profile.raw.hardware_key} (${profile.raw.date}, ${profilePacing}, ` +
      `${profile.raw.residuals?.count ?? 0} points; ${profile.file})`;
    if (!same) {
      out.basis += ` fitted ${profilePacing}, applied to ${pacing} with the family's sustained-clock ratio: uncalibrated`;
    }
    return out;
  }
}

const defaultsFiles = import.meta.glob('../../../data/perf_model/defaults.json', { eager: true, import: 'default' });
const profileFiles = import.meta.glob('../../../data/calibration/*.json', { eager: true, import: 'default' });

export const perfModel = new PerfModel(
  Object.values(defaultsFiles)[0] as RawDefaults,
  profileFiles as Record<string, RawProfile>,
);
