// Number formatting for people: the plot's tick labels, the tooltip and the results list. Dependency-free.

const SI: readonly [number, string][] = [
  [1e15, 'P'],
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** "3.35 TB/s", "137 G" — SI prefix with `digits` significant digits, trailing zeros dropped. */
export function formatSI(v: number, unit = '', digits = 3): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  for (const [scale, prefix] of SI) {
    if (a >= scale) return `${trimZeros((v / scale).toPrecision(digits))} ${prefix}${unit}`.trimEnd();
  }
  return `${trimZeros(v.toPrecision(digits))} ${unit}`.trimEnd();
}

function trimZeros(s: string): string {
  if (s.includes('e')) return s;
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Significant figures without exponent for everyday magnitudes: 1365.3, 0.9995, 372.7. */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return trimZeros(v.toExponential(digits - 1)).replace('e+', 'e');
  if (a >= 10 ** digits) return Math.round(v).toLocaleString('en-US');
  return trimZeros(v.toPrecision(digits));
}

/** A time in the unit that keeps it readable: 69.4 µs, 1.11 ms, 2.5 s. */
export function formatTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return '—';
  if (seconds < 1e-6) return `${formatNumber(seconds * 1e9, 3)} ns`;
  if (seconds < 1e-3) return `${formatNumber(seconds * 1e6, 3)} µs`;
  if (seconds < 1) return `${formatNumber(seconds * 1e3, 3)} ms`;
  if (seconds < 3600) return `${formatNumber(seconds, 3)} s`;
  return `${formatNumber(seconds / 3600, 3)} h`;
}

export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${formatNumber(fraction * 100, 3)} %`;
}

/** Decade tick labels on log axes: 0.01, 0.1, 1, 10, 100, 1k, 10k, 100k, 1M ... (never "1e+3"). */
export function formatDecade(v: number): string {
  const e = Math.round(Math.log10(v));
  if (e >= 0 && e < 3) return String(10 ** e);
  if (e >= 3 && e < 6) return `${10 ** (e - 3)}k`;
  if (e >= 6 && e < 9) return `${10 ** (e - 6)}M`;
  if (e >= 9 && e < 12) return `${10 ** (e - 9)}G`;
  if (e < 0 && e >= -4) return (10 ** e).toFixed(-e);
  return `1e${e}`;
}

/** Axis labels: decades as formatDecade, and the 2s and 5s of a zoomed axis in the same style (2k, 500, 0.2). */
export function formatTick(v: number): string {
  const e = Math.floor(Math.log10(v) + 1e-9);
  const m = Math.round(v / 10 ** e);
  if (m === 1) return formatDecade(v);
  if (e >= 0 && e < 3) return String(m * 10 ** e);
  if (e >= 3 && e < 6) return `${m * 10 ** (e - 3)}k`;
  if (e >= 6 && e < 9) return `${m * 10 ** (e - 6)}M`;
  if (e >= 9 && e < 12) return `${m * 10 ** (e - 9)}G`;
  if (e < 0 && e >= -4) return (m * 10 ** e).toFixed(-e);
  return `${m}e${e}`;
}

/** "4096×4096×4096", or "4096³" when square. */
export function formatShape(m: number, n: number, k: number): string {
  return m === n && n === k ? `${m}³` : `${m}×${n}×${k}`;
}

/** Exact integer counts with thin grouping: 137,438,953,472. */
export function formatCount(v: bigint | number): string {
  return typeof v === 'bigint' ? v.toLocaleString('en-US') : Math.round(v).toLocaleString('en-US');
}
