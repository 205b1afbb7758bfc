// The hardware registry as the app sees it: data/hardware/*.json (the same files the C++ core reads), parsed into
// entries, and the roofs derived from them exactly as libs/core/src/roofline_model.cpp does (roof_for).
import { GEMM_INPUTS, info, type PrecisionName } from './precision';
import type { HardwareRoofs, Roof } from './types';

export interface Peak {
  precision: PrecisionName;
  supported: boolean;
  /** Dense FLOP/s; null while supported means "not published". */
  flopsPerS: number | null;
  source: string;
  note: string;
  reason: string;
}

export interface HardwareEntry {
  key: string;
  name: string;
  aliases: string[];
  architecture: string;
  computeCapability: string;
  memoryType: string;
  memoryBandwidthBytesPerS: number;
  /** SM count, maximum boost clock (Hz) and the clock the datasheet's tensor peaks assume (MHz), when known. */
  smCount: number | null;
  boostClockHz: number | null;
  roofClockMhz: number | null;
  peaks: Peak[];
}

interface RawFigure {
  value: number | null;
  note?: string;
}

/** datasheet_roof_clock_mhz in gap.cpp: the clock named in the boost clock's note, else the boost clock. */
export function datasheetRoofClockMhz(note: string, boostClockHz: number | null): number | null {
  const ghz = /x\s*([0-9]+(?:\.[0-9]+)?)\s*GHz/.exec(note);
  if (ghz) return parseFloat(ghz[1] as string) * 1000.0;
  const mhz = /correspond to ~?\s*([0-9]+(?:\.[0-9]+)?)\s*MHz/.exec(note);
  if (mhz) return parseFloat(mhz[1] as string);
  return boostClockHz === null ? null : boostClockHz / 1e6;
}
interface RawPeak {
  supported?: boolean;
  tflops?: number | null;
  source?: string;
  note?: string;
  reason?: string;
}
interface RawEntry {
  key: string;
  name: string;
  aliases?: string[];
  architecture: string;
  compute_capability: string;
  memory_type: string;
  memory_bandwidth_bytes_per_s: RawFigure;
  sm_count?: RawFigure;
  boost_clock_mhz?: RawFigure;
  peaks: Record<string, RawPeak>;
}

/** Parses one registry file; throws naming the file and field, like the core's registry_error. */
export function parseHardwareEntry(raw: unknown, file: string): HardwareEntry {
  const e = raw as RawEntry;
  const fail = (field: string, what: string): never => {
    throw new Error(`${file}: ${field}: ${what}`);
  };
  if (typeof e !== 'object' || e === null) fail('(document)', 'must be a JSON object');
  if (typeof e.key !== 'string' || !e.key) fail('key', 'missing');
  const bw = e.memory_bandwidth_bytes_per_s?.value;
  if (typeof bw !== 'number' || !(bw > 0)) fail('memory_bandwidth_bytes_per_s.value', 'is required (the memory roof)');
  if (typeof e.peaks !== 'object' || e.peaks === null) fail('peaks', 'must be an object keyed by precision name');
  const peaks: Peak[] = GEMM_INPUTS.map((p) => {
    // W4A16 upcasts its weights in registers and runs on the activations' tensor cores: without a figure of
    // its own it takes that format's peak, as the core does (hardware.cpp).
    const rp = e.peaks[p.name] ?? (p.weightOnly ? e.peaks[p.defaultOutput] : undefined);
    if (!rp) return fail(`peaks.${p.name}`, 'missing');
    const supported = rp.supported !== false;
    return {
      precision: p.name,
      supported,
      // The core multiplies the file's TFLOP/s by 1e12 the same way; keep the operation identical.
      flopsPerS: supported && typeof rp.tflops === 'number' ? rp.tflops * 1e12 : null,
      source: rp.source ?? '',
      note: rp.note ?? '',
      reason: rp.reason ?? '',
    };
  });
  const clock = e.boost_clock_mhz?.value;
  // The core stores MHz x 1e6 and divides by 1e6 again; the same operations keep the figures identical.
  const boostClockHz = typeof clock === 'number' ? clock * 1e6 : null;
  const sms = e.sm_count?.value;
  return {
    key: e.key,
    name: e.name,
    aliases: e.aliases ?? [],
    architecture: e.architecture,
    computeCapability: e.compute_capability,
    memoryType: e.memory_type,
    memoryBandwidthBytesPerS: bw as number,
    smCount: typeof sms === 'number' ? sms : null,
    boostClockHz,
    roofClockMhz: datasheetRoofClockMhz(e.boost_clock_mhz?.note ?? '', boostClockHz),
    peaks,
  };
}

export function peakOf(hw: HardwareEntry, p: PrecisionName): Peak {
  const pk = hw.peaks.find((x) => x.precision === p);
  if (!pk) throw new Error(`precision ${p} is not a GEMM input`);
  return pk;
}

export interface PrecisionRoof {
  precision: PrecisionName;
  available: boolean;
  bandwidthBytesPerS: number;
  peakFlopsPerS: number;
  ridgeAi: number;
  reason: string;
}

/** roof_for in roofline_model.cpp, including its reason texts. */
export function roofFor(hw: HardwareEntry, p: PrecisionName): PrecisionRoof {
  const r: PrecisionRoof = {
    precision: p,
    available: false,
    bandwidthBytesPerS: hw.memoryBandwidthBytesPerS,
    peakFlopsPerS: 0,
    ridgeAi: 0,
    reason: '',
  };
  const pk = peakOf(hw, p);
  if (!pk.supported) {
    r.reason = `${hw.name} has no ${info(p).name}: ${pk.reason}`;
    return r;
  }
  if (pk.flopsPerS === null) {
    r.reason =
      `${hw.name}: no published ${info(p).name} peak (${pk.note}); ` +
      'run `roofline ceilings` on the GPU to measure one';
    return r;
  }
  r.available = true;
  r.peakFlopsPerS = pk.flopsPerS;
  r.ridgeAi = r.bandwidthBytesPerS > 0 ? r.peakFlopsPerS / r.bandwidthBytesPerS : 0;
  return r;
}

/** The `hardware` object of an Analyze answer, built locally (roofs_json in report.cpp, unrounded). */
export function roofsOf(hw: HardwareEntry): HardwareRoofs {
  const roofs: Roof[] = hw.peaks.map((pk) => {
    const r = roofFor(hw, pk.precision);
    const base: Roof = {
      precision: pk.precision,
      colour: info(pk.precision).colour,
      available: r.available,
      bandwidth_bytes_per_s: r.bandwidthBytesPerS,
    };
    return r.available
      ? { ...base, peak_flops_per_s: r.peakFlopsPerS, peak_tflops: r.peakFlopsPerS / 1e12, ridge_ai: r.ridgeAi }
      : { ...base, reason: r.reason };
  });
  return { key: hw.key, name: hw.name, memory_bandwidth_bytes_per_s: hw.memoryBandwidthBytesPerS, roofs };
}

export class Registry {
  readonly entries: readonly HardwareEntry[];

  constructor(entries: HardwareEntry[]) {
    const seen = new Set<string>();
    for (const e of entries) {
      for (const n of [e.key, ...e.aliases].map((s) => s.toLowerCase())) {
        if (seen.has(n)) throw new Error(`hardware name '${n}' is used by two entries`);
        seen.add(n);
      }
    }
    this.entries = [...entries].sort((a, b) => a.key.localeCompare(b.key));
  }

  find(keyOrAlias: string): HardwareEntry | undefined {
    const w = keyOrAlias.toLowerCase();
    return this.entries.find((e) => e.key === w || e.aliases.some((a) => a.toLowerCase() === w));
  }

  at(keyOrAlias: string): HardwareEntry {
    const e = this.find(keyOrAlias);
    if (!e) {
      throw new Error(`unknown hardware '${keyOrAlias}'; valid keys: ${this.entries.map((x) => x.key).join(', ')}`);
    }
    return e;
  }
}

/** Builds the registry from {path: parsed JSON} as Vite's import.meta.glob gives it. */
export function registryFromFiles(files: Record<string, unknown>): Registry {
  return new Registry(Object.entries(files).map(([path, json]) => parseHardwareEntry(json, path)));
}
