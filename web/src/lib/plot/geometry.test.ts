import { describe, expect, it } from 'vitest';
import { segmentHitsBox, decadeDomain, fitDomain, logTicks, overlaps, placeLabels, spreadVertically, zoomDomain } from './geometry';

describe('logTicks', () => {
  it('labels every decade in range and puts minor ticks between', () => {
    const t = logTicks(0.1, 1000);
    expect(t.major).toEqual([0.1, 1, 10, 100, 1000]);
    expect(t.minor).toHaveLength(4 * 8);
    expect(t.minor).toContain(20);
    expect(t.minor).not.toContain(1000);
  });
  it('handles a domain with no decade inside', () => {
    const t = logTicks(2, 9);
    expect(t.major).toEqual([]);
    expect(t.minor).toEqual([3, 4, 5, 6, 7, 8]);
  });
});

describe('domains', () => {
  it('fits the data with a margin and at least two decades', () => {
    const d = fitDomain([100], [50]);
    expect(d).not.toBeNull();
    expect(Math.log10(d!.x[1]) - Math.log10(d!.x[0])).toBeCloseTo(2);
    expect(d!.x[0]).toBeLessThan(100);
    expect(d!.x[1]).toBeGreaterThan(100);
    expect(fitDomain([], [1])).toBeNull();
    expect(fitDomain([0, -1], [1])).toBeNull();
  });
  it('rounds outward to decades', () => {
    expect(decadeDomain({ x: [0.3, 4000], y: [12, 900] })).toEqual({ x: [0.1, 10000], y: [10, 1000] });
    expect(decadeDomain({ x: [1, 100], y: [1, 100] })).toEqual({ x: [1, 100], y: [1, 100] });
  });
  it('zooms around a centre in log space', () => {
    const z = zoomDomain({ x: [1, 10000], y: [1, 100] }, 0.5, { x: 100, y: 10 });
    expect(z.x[0]).toBeCloseTo(10);
    expect(z.x[1]).toBeCloseTo(1000);
    expect(z.y[0]).toBeCloseTo(10 ** 0.5);
  });
});

describe('placeLabels', () => {
  const bounds = { x: 0, y: 0, w: 400, h: 300 };
  it('never lets two labels overlap, even for points on the same spot', () => {
    const reqs = Array.from({ length: 6 }, (_, i) => ({ id: `p${i}`, x: 200, y: 150, w: 80, h: 12 }));
    const placed = placeLabels(reqs, bounds);
    expect(placed.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < placed.length; i++) {
      for (let j = i + 1; j < placed.length; j++) expect(overlaps(placed[i]!.box, placed[j]!.box, 0)).toBe(false);
    }
  });
  it('keeps labels inside the chart and off obstacles', () => {
    const placed = placeLabels([{ id: 'edge', x: 395, y: 5, w: 60, h: 12 }], bounds, [{ x: 300, y: 0, w: 20, h: 40 }]);
    expect(placed).toHaveLength(1);
    const b = placed[0]!.box;
    expect(b.x + b.w).toBeLessThanOrEqual(400);
    expect(b.y).toBeGreaterThanOrEqual(0);
    expect(overlaps(b, { x: 300, y: 0, w: 20, h: 40 })).toBe(false);
  });
});

describe('spreadVertically', () => {
  it('separates equal roofs and keeps the order', () => {
    const ys = spreadVertically([50, 50, 10], 14, 0, 200);
    expect(ys[2]).toBe(10);
    expect(Math.abs(ys[0]! - ys[1]!)).toBeGreaterThanOrEqual(14);
  });
  it('stays within the bottom edge', () => {
    const ys = spreadVertically([195, 196, 197], 14, 0, 200);
    expect(Math.max(...ys)).toBeLessThanOrEqual(200);
    expect(new Set(ys).size).toBe(3);
  });
});

describe('segmentHitsBox', () => {
  const box = { x: 10, y: 10, w: 20, h: 10 };
  it('sees segments through, into and past a box', () => {
    expect(segmentHitsBox({ x1: 0, y1: 15, x2: 40, y2: 15 }, box)).toBe(true); // straight through
    expect(segmentHitsBox({ x1: 0, y1: 0, x2: 15, y2: 15 }, box)).toBe(true); // ends inside
    expect(segmentHitsBox({ x1: 0, y1: 40, x2: 40, y2: 30 }, box)).toBe(false); // below
    expect(segmentHitsBox({ x1: 0, y1: 30, x2: 30, y2: 0 }, box, 0)).toBe(true); // diagonal across a corner region
    expect(segmentHitsBox({ x1: 0, y1: 5, x2: 5, y2: 0 }, box)).toBe(false);
  });
  it('keeps labels off roof lines', () => {
    const line = { x1: 0, y1: 150, x2: 400, y2: 150 };
    const placed = placeLabels([{ id: 'p', x: 200, y: 150, w: 60, h: 12 }], { x: 0, y: 0, w: 400, h: 300 }, [], [line]);
    expect(placed).toHaveLength(1);
    expect(segmentHitsBox(line, placed[0]!.box)).toBe(false);
  });
});
