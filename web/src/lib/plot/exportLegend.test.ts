import { describe, expect, it } from 'vitest';
import { exportCaption, flowLegend, LEGEND_ROW_H } from './exportLegend';

describe('flowLegend', () => {
  it('keeps every entry inside the width, wrapping into rows', () => {
    const entries = Array.from({ length: 9 }, (_, i) => ({ mark: 'swatch' as const, colour: '#000', text: `precision number ${i}` }));
    const { placed, height } = flowLegend(entries, 390);
    expect(placed).toHaveLength(9);
    for (const p of placed) expect(p.x + 22 + p.text.length * 11.5 * 0.58).toBeLessThanOrEqual(390 - 16 + 1e-9);
    const rows = new Set(placed.map((p) => p.y)).size;
    expect(rows).toBeGreaterThan(1);
    expect(height).toBe(rows * LEGEND_ROW_H + 6);
  });
  it('puts everything on one row when it fits, and takes no room when empty', () => {
    const { placed } = flowLegend([{ mark: 'measured', colour: '#f00', text: 'measured' }, { mark: 'predicted', colour: '#f00', text: 'predicted' }], 1200);
    expect(new Set(placed.map((p) => p.y)).size).toBe(1);
    expect(flowLegend([], 800).height).toBe(0);
  });
});

describe('exportCaption', () => {
  it('names the GPUs, the number of points and the date in UTC', () => {
    expect(exportCaption(['NVIDIA H100 SXM5', 'NVIDIA B200'], 4, new Date('2026-12-01T23:40:12Z'))).toBe(
      'NVIDIA H100 SXM5 vs NVIDIA B200 · 4 points · exported 2026-12-01 23:40 UTC · Roofline Calc',
    );
    expect(exportCaption(['NVIDIA GB10'], 1, new Date('2026-01-02T03:04:05Z'))).toContain('1 point ·');
  });
});
