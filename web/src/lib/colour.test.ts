import { describe, expect, it } from 'vitest';
import { contrast, luminance, readableOn } from './colour';
import { CATALOGUE } from './precision';

describe('colour contrast', () => {
  it('computes WCAG luminance and contrast', () => {
    expect(luminance('#ffffff')).toBeCloseTo(1);
    expect(luminance('#000000')).toBeCloseTo(0);
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21);
    expect(contrast('#eab308', '#ffffff')).toBeLessThan(3); // FP32's yellow: unreadable as text on white
  });

  it('makes every precision colour readable on both chart backgrounds, keeping readable ones as they are', () => {
    for (const bg of ['#ffffff', '#0f172a', '#f1f5f9', '#020617']) {
      for (const p of CATALOGUE) {
        const t = readableOn(p.colour, bg);
        expect(contrast(t, bg), `${p.name} on ${bg}`).toBeGreaterThanOrEqual(4.5);
        if (contrast(p.colour, bg) >= 4.5) expect(t).toBe(p.colour);
      }
    }
  });
});
