import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatDecade,
  formatTick,
  formatNumber,
  formatPercent,
  formatSI,
  formatShape,
  formatTime,
} from './format';

describe('formatSI', () => {
  it('uses SI prefixes with three significant digits', () => {
    expect(formatSI(3.35e12, 'B/s')).toBe('3.35 TB/s');
    expect(formatSI(2.73e11, 'B/s')).toBe('273 GB/s');
    expect(formatSI(1e15, 'FLOP/s')).toBe('1 PFLOP/s');
    expect(formatSI(512, 'B')).toBe('512 B');
    expect(formatSI(Number.NaN)).toBe('—');
  });
});

describe('formatNumber', () => {
  it('keeps everyday magnitudes plain and extremes in exponent form', () => {
    expect(formatNumber(1365.33333)).toBe('1365');
    expect(formatNumber(0.999511957)).toBe('0.9995');
    expect(formatNumber(372.736)).toBe('372.7');
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(2.95627472e20)).toBe('2.956e20');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(0)).toBe('0');
  });
});

describe('formatTime', () => {
  it('picks the unit that keeps the figure readable', () => {
    expect(formatTime(69.448688e-6)).toBe('69.4 µs');
    expect(formatTime(1.11117901e-3)).toBe('1.11 ms');
    expect(formatTime(6.41741071e-11)).toBe('0.0642 ns');
    expect(formatTime(2.5)).toBe('2.5 s');
    expect(formatTime(null)).toBe('—');
    expect(formatTime(0)).toBe('—');
  });
});

describe('formatDecade', () => {
  it('labels decades without exponent notation in the usual range', () => {
    expect([0.01, 0.1, 1, 10, 100, 1e3, 1e4, 1e5, 1e6].map(formatDecade)).toEqual([
      '0.01', '0.1', '1', '10', '100', '1k', '10k', '100k', '1M',
    ]);
    expect(formatDecade(1e-6)).toBe('1e-6');
    expect(formatDecade(1e13)).toBe('1e13');
  });
});

describe('formatTick', () => {
  it('labels the 2s and 5s of a zoomed axis like the decades (no "2,000" beside "1k")', () => {
    expect([0.2, 0.5, 1, 2, 50, 200, 500, 1e3, 2e3, 5e3, 2e4, 5e6].map(formatTick)).toEqual([
      '0.2', '0.5', '1', '2', '50', '200', '500', '1k', '2k', '5k', '20k', '5M',
    ]);
  });
});

describe('small formatters', () => {
  it('format shapes, percentages and counts', () => {
    expect(formatShape(4096, 4096, 4096)).toBe('4096³');
    expect(formatShape(1, 4096, 4096)).toBe('1×4096×4096');
    expect(formatPercent(0.8123)).toBe('81.2 %');
    expect(formatPercent(null)).toBe('—');
    expect(formatCount(137438953472n)).toBe('137,438,953,472');
  });
});
