// What a GEMM dimension field accepts: a whole number (4096, 4,096 or 4_096), a k or M suffix in powers of two
// as GEMM shapes are written (4k = 4096, 1M = 1048576), and simple products (8192*2, 4k×3). Anything else
// gets a message saying what is accepted, never "NaN".
import { MAX_DIMENSION } from './model';

export const DIMENSION_HELP = 'a whole number such as 4096, 4k (= 4096), 1M (= 1048576) or a product such as 8192*2';

const SUFFIX: Record<string, number> = { '': 1, k: 1024, K: 1024, m: 1048576, M: 1048576 };

export type DimensionParse = { ok: true; value: number } | { ok: false; message: string };

export function parseDimension(text: string, field: string): DimensionParse {
  const s = text.trim().replace(/[,_](?=\d{3})/g, '');
  if (s === '') return { ok: false, message: `${field} is empty: give ${DIMENSION_HELP}` };
  let value = 1;
  for (const factor of s.split(/\s*[*x×]\s*/)) {
    const m = /^(\d+)([kKmM]?)$/.exec(factor);
    if (!m) return { ok: false, message: `${field} must be ${DIMENSION_HELP}; “${text.trim()}” is not` };
    value *= Number(m[1]) * SUFFIX[m[2] as string]!;
  }
  if (value < 1 || value > MAX_DIMENSION) {
    return { ok: false, message: `${field} must be in [1, ${MAX_DIMENSION}]; “${text.trim()}” is ${value.toLocaleString('en-US')}` };
  }
  return { ok: true, value };
}

/** The number for the request, or NaN when the field does not parse (validate() has said why). */
export const dimensionValue = (text: string): number => {
  const r = parseDimension(text, 'dimension');
  return r.ok ? r.value : Number.NaN;
};
