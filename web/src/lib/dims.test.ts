import { describe, expect, it } from 'vitest';
import { parseDimension } from './dims';

const value = (s: string) => {
  const r = parseDimension(s, 'M');
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

describe('parseDimension', () => {
  it('reads whole numbers, k/M suffixes and simple products', () => {
    expect(value('4096')).toBe(4096);
    expect(value(' 4,096 ')).toBe(4096);
    expect(value('4k')).toBe(4096);
    expect(value('4K')).toBe(4096);
    expect(value('1M')).toBe(1048576);
    expect(value('8192*2')).toBe(16384);
    expect(value('4k x 3')).toBe(12288);
    expect(value('2×2×1k')).toBe(4096);
    expect(value('2147483647')).toBe(2147483647);
  });
  it('says what is accepted, never NaN', () => {
    for (const bad of ['abc', '4.5', '-3', '4kk', '', '8192*', '1e3']) {
      const r = parseDimension(bad, 'N');
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.message).toMatch(/^N /);
        expect(r.message).not.toMatch(/NaN/);
      }
    }
    const r = parseDimension('abc', 'N');
    expect(!r.ok && r.message).toContain('4k (= 4096)');
  });
  it('refuses values outside the limits, naming the limit', () => {
    const r = parseDimension('2048M', 'K');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain('[1, 2147483647]');
    expect(parseDimension('0', 'K').ok).toBe(false);
  });
});
