// The precision catalogue: data/precisions.json, the file the C++ core embeds too (one table for both sides).
// Everything in the app asks this table instead of switching on names.
import catalogue from '../../../data/precisions.json';
import type { PrecisionCatalogue, PrecisionRow } from './types.gen';

/** A canonical precision name: a row of data/precisions.json. */
export type PrecisionName = string;

export interface PrecisionInfo {
  name: PrecisionName;
  displayName: string;
  /** Bits one element occupies in memory, before any block scale (TF32 moves FP32's bytes). */
  storageBits: number;
  /** One scale of scaleBits per scaleBlock consecutive elements along K; 0 = no block scaling. */
  scaleBlock: number;
  scaleBits: number;
  scaleFormat: '' | 'E4M3' | 'UE8M0' | 'FP16';
  integer: boolean;
  defaultOutput: PrecisionName;
  /** false for accumulator-only formats (INT32). */
  gemmInput: boolean;
  colour: string;
  summary: string;
  aliases: readonly string[];
  /** Weight-only quantisation (W4A16): the format is B's, the weights; A is defaultOutput's format. */
  weightOnly: boolean;
}

const fromRow = (r: PrecisionRow): PrecisionInfo => ({
  name: r.name,
  displayName: r.display_name,
  storageBits: r.storage_bits,
  scaleBlock: r.scale_block,
  scaleBits: r.scale_bits,
  scaleFormat: r.scale_format,
  integer: r.integer,
  defaultOutput: r.default_output,
  gemmInput: r.gemm_input,
  colour: r.colour,
  summary: r.summary,
  aliases: r.aliases,
  weightOnly: r.weight_only ?? false,
});

// Order is the order of every listing (widest float first, then integers), as in the file.
export const CATALOGUE: readonly PrecisionInfo[] = (catalogue as PrecisionCatalogue).precisions.map(fromRow);

/** The seed's "Run all precisions" sweep. */
export const DEFAULT_SWEEP: readonly PrecisionName[] = (catalogue as PrecisionCatalogue).default_sweep;

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
