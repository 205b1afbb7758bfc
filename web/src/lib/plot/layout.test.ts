import { describe, expect, it } from 'vitest';
import { roofsOf } from '../hardware';
import { makeProblem, predictPoint } from '../model';
import { registry } from '../registry';
import { overlaps } from './geometry';
import {
  autoDomain,
  coincidentGroups,
  fitPointsDomain,
  layoutChart,
  placeRoofLabels,
  pointLabelTexts,
  type ChartPoint,
  type RoofSet,
} from './layout';

const h100 = registry.at('h100-sxm');
const b10 = registry.at('b10');
const gpuName = (k: string) => registry.find(k)?.name ?? k;
const datasheet = (hw = h100): RoofSet[] => [{ kind: 'datasheet', hw: roofsOf(hw), prefix: '' }];
let n = 0;
const cp = (hw: typeof h100, m: number, nn: number, k: number, p: Parameters<typeof makeProblem>[3], runId: number | null = null): ChartPoint => ({
  id: `id${n++}`,
  point: predictPoint(hw, makeProblem(m, nn, k, p)),
  origin: 'server',
  runId,
  addedAt: n,
});

describe('autoDomain', () => {
  it('fits the point and its roof with no empty decade above', () => {
    const d = autoDomain([cp(h100, 4096, 4096, 4096, 'FP16')], datasheet(), ['FP16']);
    expect(d.y[1]).toBeGreaterThan(989.5);
    expect(d.y[1]).toBeLessThan(989.5 * 10 ** 0.3);
    // The ridge (295 FLOP/byte) shows, with room left of it for the memory slope.
    expect(d.x[0]).toBeLessThan(295 / 3);
    expect(d.x[1]).toBeGreaterThan(1365);
  });
  it('falls back to the roofs in play with no point', () => {
    const d = autoDomain([], datasheet(), ['FP16', 'FP8_E4M3']);
    expect(d.y[1]).toBeGreaterThan(1979);
    expect(d.y[1]).toBeLessThan(1979 * 2);
  });
  it('"Zoom to fit" is the points alone', () => {
    const d = fitPointsDomain([cp(h100, 4096, 4096, 4096, 'FP16')])!;
    expect(Math.log10(d.y[1] / d.y[0])).toBeCloseTo(1, 6);
  });
});

describe('coincident points and labels', () => {
  it('groups markers on the same spot, newest first', () => {
    const a = cp(b10, 4096, 4096, 4096, 'FP16');
    const b = cp(b10, 4096, 4096, 4096, 'INT8');
    const c = cp(b10, 1, 4096, 4096, 'FP16');
    const groups = coincidentGroups([
      { p: a, px: 100, py: 100 },
      { p: b, px: 102, py: 101 },
      { p: c, px: 10, py: 300 },
    ]);
    expect(groups.map((g) => g.map((q) => q.p.id))).toEqual([[b.id, a.id], [c.id]]);
  });
  it('names the GPU when points of several GPUs are drawn, and the run when labels still repeat', () => {
    const one = [cp(h100, 4096, 4096, 4096, 'INT8', 1)];
    expect(pointLabelTexts(one, gpuName).get(one[0]!.id)).toBe('4096³ INT8');
    const three = [cp(h100, 4096, 4096, 4096, 'INT8', 1), cp(b10, 4096, 4096, 4096, 'INT8', 2), cp(h100, 4096, 4096, 4096, 'INT8', 3)];
    const texts = [...pointLabelTexts(three, gpuName).values()];
    expect(texts).toEqual(['4096³ INT8 · H100 SXM5 80GB · run #1', '4096³ INT8 · GB10 Blackwell GPU', '4096³ INT8 · H100 SXM5 80GB · run #3']);
  });
});

describe('roof labels', () => {
  it('leave the right edge for a free spot when a marker sits under them', () => {
    const marker = { x: 200, y: 40, w: 12, h: 12 };
    const [spot] = placeRoofLabels([{ w: 80, y: 46, xMin: 0 }], 238, 300, [marker]);
    expect(overlaps(spot!.box, marker)).toBe(false);
    const [free] = placeRoofLabels([{ w: 80, y: 46, xMin: 0 }], 238, 300, []);
    expect(free!.xr).toBe(234);
    expect(free!.y).toBe(46);
  });
  it('cover no point marker at phone width, for a full sweep of two shapes', () => {
    const points = (['FP16', 'FP8_E4M3', 'INT8', 'INT4'] as const).flatMap((p) => [cp(h100, 4096, 4096, 4096, p), cp(h100, 8192, 8192, 8192, p)]);
    const shown = ['FP16', 'FP8_E4M3', 'NVFP4', 'INT8', 'INT4'];
    const sets = datasheet();
    const layout = layoutChart({ width: 320, height: 300, domain: autoDomain(points, sets, shown), roofSets: sets, shown, points, gpuName });
    expect(layout.onScreen.length).toBe(points.filter((p) => p.point.tflops).length);
    const markers = layout.onScreen.map((q) => ({ x: q.px - 6, y: q.py - 6, w: 12, h: 12 }));
    for (const l of layout.roofLabels) for (const m of markers) expect(overlaps(l.box, m, 0)).toBe(false);
  });
});
