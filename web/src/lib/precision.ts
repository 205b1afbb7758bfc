// The precision catalogue, mirrored row for row from libs/core/src/precision.cpp (same order, same numbers).
// Everything in the app asks this table instead of switching on names; precision.test.ts pins the rows the traffic
// model depends on so a drift from the C++ table fails a test.

export type PrecisionName =
  | 'FP64'
  | 'FP32'
  | 'TF32'
  | 'BF16'
  | 'FP16'
  | 'FP8_E4M3'
  | 'FP8_E5M2'
  | 'MXFP8'
  | 'NVFP4'
  | 'INT8'
  | 'INT4'
  | 'INT32';

export interface PrecisionInfo {
  name: PrecisionName;
  displayName: string;
  /** Bits one element occupies in memory, before any block scale (TF32 moves FP32's bytes). */
  storageBits: number;
  /** One scale of scaleBits per scaleBlock consecutive elements along K; 0 = no block scaling. */
  scaleBlock: number;
  scaleBits: number;
  scaleFormat: '' | 'E4M3' | 'UE8M0';
  integer: boolean;
  defaultOutput: PrecisionName;
  /** false for accumulator-only formats (INT32). */
  gemmInput: boolean;
  colour: string;
  summary: string;
  aliases: readonly string[];
}

const row = (
  name: PrecisionName,
  displayName: string,
  storageBits: number,
  scaleBlock: number,
  scaleBits: number,
  scaleFormat: PrecisionInfo['scaleFormat'],
  integer: boolean,
  defaultOutput: PrecisionName,
  gemmInput: boolean,
  colour: string,
  summary: string,
  aliases: readonly string[],
): PrecisionInfo => ({
  name,
  displayName,
  storageBits,
  scaleBlock,
  scaleBits,
  scaleFormat,
  integer,
  defaultOutput,
  gemmInput,
  colour,
  summary,
  aliases,
});

// Order is the order of every listing (widest float first, then integers), as in the C++ table.
// Colours for FP16..INT4 are the user's (seed); the others were chosen in the core to stay distinct from them.
export const CATALOGUE: readonly PrecisionInfo[] = [
  row('FP64', 'FP64', 64, 0, 0, '', false, 'FP64', true, '#e11d48',
    'IEEE binary64 (1-11-52); tensor-core DMMA on sm_80 and newer data-centre GPUs.', ['fp64', 'double', 'f64']),
  row('FP32', 'FP32', 32, 0, 0, '', false, 'FP32', true, '#eab308',
    'IEEE binary32 (1-8-23) on the CUDA cores (SIMT FMA); no tensor cores.', ['fp32', 'float', 'single', 'f32']),
  row('TF32', 'TF32', 32, 0, 0, '', false, 'FP32', true, '#a16207',
    "FP32 in memory, 1-8-10 inside the tensor cores (sm_80+); reads and writes FP32's bytes.", ['tf32', 'tensorfloat32']),
  row('BF16', 'BF16', 16, 0, 0, '', false, 'BF16', true, '#fb923c',
    "bfloat16 (1-8-7): FP32's range with 8 bits of precision; tensor cores on sm_80+.", ['bf16', 'bfloat16']),
  row('FP16', 'FP16', 16, 0, 0, '', false, 'FP16', true, '#f97316',
    'IEEE binary16 (1-5-10); tensor cores on sm_70+.', ['fp16', 'half', 'f16', 'float16']),
  row('FP8_E4M3', 'FP8 E4M3', 8, 0, 0, '', false, 'BF16', true, '#22c55e',
    'OCP FP8 1-4-3 (max 448) with a per-tensor scale; tensor cores on sm_89, sm_90, sm_100+.',
    ['fp8_e4m3', 'fp8', 'e4m3', 'fp8e4m3', 'fp8-e4m3', 'float8_e4m3fn']),
  row('FP8_E5M2', 'FP8 E5M2', 8, 0, 0, '', false, 'BF16', true, '#16a34a',
    'OCP FP8 1-5-2 (max 57344), used for gradients; sm_89, sm_90, sm_100+.',
    ['fp8_e5m2', 'e5m2', 'fp8e5m2', 'fp8-e5m2', 'float8_e5m2']),
  row('MXFP8', 'MXFP8', 8, 32, 8, 'UE8M0', false, 'BF16', true, '#84cc16',
    'OCP microscaling: FP8 E4M3 elements, one power-of-two (UE8M0) scale per 32 along K; sm_100+.',
    ['mxfp8', 'mx-fp8', 'mxfp8_e4m3']),
  row('NVFP4', 'NVFP4', 4, 16, 8, 'E4M3', false, 'BF16', true, '#a855f7',
    'FP4 E2M1 elements, one FP8 E4M3 scale per 16 along K plus a per-tensor FP32 scale; sm_100+.',
    ['nvfp4', 'fp4', 'e2m1', 'fp4_e2m1']),
  row('INT8', 'INT8', 8, 0, 0, '', true, 'INT32', true, '#06b6d4',
    "Signed 8-bit integers accumulated in INT32; IMMA tensor cores on sm_72 and newer (B200: 4500 dense TOPS).",
    ['int8', 'i8', 's8']),
  row('INT4', 'INT4', 4, 0, 0, '', true, 'INT32', true, '#3b82f6',
    'Signed 4-bit integers, two per byte; tensor cores on sm_75..sm_89 only (none on Hopper or Blackwell).',
    ['int4', 'i4', 's4']),
  row('INT32', 'INT32', 32, 0, 0, '', true, 'INT32', false, '#6366f1',
    'Signed 32-bit integers: the accumulator and output of integer GEMMs.', ['int32', 'i32', 's32']),
];

/** The seed's "Run all precisions" sweep. */
export const DEFAULT_SWEEP: readonly PrecisionName[] = ['FP16', 'FP8_E4M3', 'NVFP4', 'INT8', 'INT4'];

/** Precisions a GEMM can read (every row but the accumulator-only INT32). */
export const GEMM_INPUTS: readonly PrecisionInfo[] = CATALOGUE.filter((p) => p.gemmInput);

const byName = new Map<string, PrecisionInfo>(CATALOGUE.map((p) => [p.name, p]));

export function info(name: PrecisionName): PrecisionInfo {
  const p = byName.get(name);
  if (!p) throw new Error(`unknown precision '${name}'`);
  return p;
}

export function isPrecisionName(text: string): text is PrecisionName {
  return byName.has(text);
}

/** Effective bits per element including block-scale overhead (NVFP4: 4 + 8/16 = 4.5). */
export function bitsPerElement(p: PrecisionInfo): number {
  return p.scaleBlock === 0 ? p.storageBits : p.storageBits + p.scaleBits / p.scaleBlock;
}

/** Case-insensitive; canonical names and aliases ("fp8" -> FP8_E4M3). Throws with the valid names listed. */
export function parsePrecision(text: string): PrecisionName {
  const wanted = text.trim().toLowerCase();
  for (const p of CATALOGUE) {
    if (p.name.toLowerCase() === wanted || p.aliases.includes(wanted)) return p.name;
  }
  throw new Error(
    `unknown precision '${text.trim()}'; valid: ${CATALOGUE.map((p) => p.name).join(', ')}`,
  );
}

/** Plot colour for a precision label such as "FP16" or "FP8_E4M3->FP32": the A operand's colour. */
export function colourOf(label: string): string {
  const head = label.split(/x|->/)[0] ?? label;
  return byName.get(head)?.colour ?? '#64748b';
}
