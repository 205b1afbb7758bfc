// CSV of plotted points, with the same columns and number spelling as `roofline analyze --format csv`
// (points_csv in report.cpp), so a file exported here and one from the CLI or GET /api/runs.csv line up. The
// column list is the CLI's, in its order; web/e2e's CSV test compares every column of both files.
import { computeTraffic, trafficBytes } from './model';
import { isPrecisionName } from './precision';
import type { Point } from './types';

export const CSV_COLUMNS = [
  'label', 'precision', 'a_precision', 'b_precision', 'out_precision', 'M', 'N', 'K', 'flops', 'bytes', 'ai',
  'time_us', 'tflops', 'bound', 'attainable_tflops', 'fraction_of_roof', 'source', 'disposition', 'hardware_key',
  'message',
  // The performance model's columns: the pacing and SM clock the point ran at (or the prediction assumes), the
  // share of the roof at that clock, the prediction with its interval, and measured / predicted.
  'pacing', 'clock_mhz', 'roof_clock_mhz', 'fraction_of_roof_at_run_clock', 'predicted_time_us', 'interval_low_us',
  'interval_high_us', 'calibrated', 'prediction_error',
] as const;

/** json_detail::round_sig: 9 significant digits, as the core rounds the prediction's microseconds. */
export function roundSig(v: number, digits = 9): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const scale = Math.pow(10, digits - 1 - Math.floor(Math.log10(Math.abs(v))));
  return Math.round(v * scale) / scale;
}

export function csvEscape(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A double as nlohmann::json dumps it: shortest round-trip digits, ".0" on integral values, exponent form
 * ("2.95627472e+20") past 15 integer digits or below 1e-4.
 */
export function jsonNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (!Number.isFinite(v)) return 'null';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const sign = v < 0 ? '-' : '';
  const [mant = '', expPart] = Math.abs(v).toExponential().split('e');
  const digits = mant.replace('.', '');
  const n = Number(expPart) + 1; // position of the decimal point after the first n digits
  const k = digits.length;
  let body: string;
  if (k <= n && n <= 15) {
    body = `${digits}${'0'.repeat(n - k)}.0`;
  } else if (0 < n && n <= 15) {
    body = `${digits.slice(0, n)}.${digits.slice(n)}`;
  } else if (-4 < n && n <= 0) {
    body = `0.${'0'.repeat(-n)}${digits}`;
  } else {
    const e = n - 1;
    const m = k === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    body = `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return sign + body;
}

/** Exact FLOP and byte counts, recomputed from the shape: a JSON number past 2^53 has lost digits. */
function exactCounts(p: Point): [string, string] {
  if (isPrecisionName(p.a_precision) && isPrecisionName(p.b_precision) && isPrecisionName(p.out_precision)) {
    const t = computeTraffic({ m: p.M, n: p.N, k: p.K, a: p.a_precision, b: p.b_precision, out: p.out_precision,
      beta: p.beta });
    return [t.flops.toString(), trafficBytes(t).toString()];
  }
  return [String(p.flops), String(p.bytes)];
}

export function pointsCsv(points: readonly Point[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const p of points) {
    const [flops, bytes] = exactCounts(p);
    const pred = p.prediction ?? null;
    const us = (s: number | undefined) => (pred && s !== undefined ? jsonNumber(roundSig(s * 1e6)) : '');
    lines.push([
      csvEscape(p.label),
      csvEscape(p.precision),
      p.a_precision,
      p.b_precision,
      p.out_precision,
      String(p.M),
      String(p.N),
      String(p.K),
      flops,
      bytes,
      jsonNumber(p.ai),
      jsonNumber(p.time_us),
      jsonNumber(p.tflops),
      p.bound ?? '',
      p.roof ? jsonNumber(p.roof.attainable_tflops) : '',
      p.roof ? jsonNumber(p.roof.fraction_of_roof) : '',
      p.source,
      p.disposition,
      csvEscape(p.hardware_key),
      csvEscape(p.message),
      p.pacing ?? '',
      jsonNumber(p.clock_mhz),
      p.roof ? jsonNumber(p.roof.roof_clock_mhz) : '',
      p.roof ? jsonNumber(p.roof.fraction_of_roof_at_run_clock) : '',
      us(pred?.time_s),
      us(pred?.interval_low_s),
      us(pred?.interval_high_s),
      pred ? String(pred.calibrated) : '',
      jsonNumber(p.prediction_error),
    ].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Minimal RFC 4180 reader (quoted fields, doubled quotes); used by tests and to check exports. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
