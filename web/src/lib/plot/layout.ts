// The whole chart's geometry, as data: scales, ticks, roof lines and their labels, points, coincident-point
// groups and point labels, for one size and domain. Pure (no DOM, no React) so it is tested directly
// (layout.test.ts); components/plot/ draws the result and components/RooflinePlot.tsx wires it to the state.
import { scaleLog } from 'd3-scale';
import { formatNumber, formatShape, formatSI } from '../format';
import { CATALOGUE, info, isPrecisionName } from '../precision';
import type { Domain } from '../state';
import type { HardwareRoofs, Point, Roof } from '../types';
import { fitDomain, logTicks, overlaps, placeLabels, textWidth, type Box, type PlacedLabel, type Segment, type Ticks } from './geometry';

export const MARGIN = { left: 64, right: 18, top: 30, bottom: 48 };
export const ROOF_LABEL_H = 14;
const MARKER_HALF = 6;
/** Markers closer than this (pixels, centre to centre) are one spot: one combined tooltip. */
export const COINCIDENT_PX = 5;

export type Scale = ReturnType<typeof scaleLog<number, number>>;

export interface RoofSet {
  kind: 'datasheet' | 'measured' | 'compare';
  hw: HardwareRoofs;
  dash?: string;
  /** Put before the roof labels of this set ("measured ", "B200 "). */
  prefix: string;
}

/** A point to draw: a stored one, or a prediction derived for the comparison GPU (`derived`). */
export interface ChartPoint {
  id: string;
  point: Point;
  origin: 'server' | 'local';
  runId: number | null;
  addedAt: number;
  derived?: boolean;
}

export interface RoofLine {
  key: string;
  set: RoofSet;
  precision: string;
  colour: string;
  peak: number;
  ridge: number;
}

export interface RoofLabel {
  group: RoofLine[];
  /** Right edge of the label and its baseline, in plot pixels. */
  xr: number;
  y: number;
  w: number;
  box: Box;
}

export interface MemLine {
  set: RoofSet;
  bw: number;
  xEnd: number;
}

export interface MemLabel {
  key: string;
  ox: number;
  oy: number;
  angle: number;
  text: string;
  box: Box;
}

export interface PlacedPoint {
  p: ChartPoint;
  px: number;
  py: number;
  /** Every point on this spot (itself included), the newest first. */
  group: ChartPoint[];
}

export interface PointLabel extends PlacedLabel {
  text: string;
  q: PlacedPoint;
}

export interface LayoutInput {
  width: number;
  height: number;
  domain: Domain;
  roofSets: RoofSet[];
  /** Precisions whose roofs are drawn. */
  shown: string[];
  /** Points to draw (hidden precisions already left out). */
  points: ChartPoint[];
  /** The GPU's name for a hardware key ("NVIDIA H100 SXM5"). */
  gpuName(key: string): string;
}

export interface ChartLayout {
  W: number;
  H: number;
  x: Scale;
  y: Scale;
  xt: Ticks;
  yt: Ticks;
  xLabels: number[];
  yLabels: number[];
  roofLines: RoofLine[];
  roofLabels: RoofLabel[];
  memLines: MemLine[];
  memLabels: (MemLabel | null)[];
  onScreen: PlacedPoint[];
  pointLabels: PointLabel[];
}

export const displayName = (p: string): string => (isPrecisionName(p) ? info(p).displayName : p);

/** "NVIDIA H100 SXM5 (80 GB)" → "H100 SXM5": short enough for a label. */
export const shortName = (name: string): string => name.replace(/^NVIDIA\s+/, '').replace(/\s*\(.*\)\s*/, ' ').trim();

export const precisionOrder = (names: Iterable<string>): string[] => {
  const set = new Set(names);
  return CATALOGUE.map((p) => p.name as string).filter((n) => set.has(n));
};

export const roofFor = (set: RoofSet, precision: string): Roof | undefined =>
  set.hw.roofs.find((r) => r.precision === precision);

const plotted = (p: Point) => p.tflops !== null && p.tflops > 0 && p.ai > 0;

/**
 * The first view: every point and the ridge (knee) of each roof the points are read against, so the roofs stay
 * readable, with a small margin and no rounding out to whole decades (that wasted up to two empty decades
 * above the data). With no point it shows every roof in play.
 */
export function autoDomain(points: ChartPoint[], roofSets: RoofSet[], shown: string[]): Domain {
  const pts = points.filter((p) => plotted(p.point));
  const xs = pts.map((p) => p.point.ai);
  const ys = pts.map((p) => p.point.tflops as number);
  const precisions = pts.length > 0 ? new Set(pts.map((p) => p.point.a_precision)) : new Set(shown);
  for (const set of roofSets) {
    for (const p of shown) {
      if (!precisions.has(p)) continue;
      const r = roofFor(set, p);
      if (r?.available && r.ridge_ai && r.peak_tflops) {
        xs.push(r.ridge_ai);
        ys.push(r.peak_tflops);
      }
    }
  }
  const fx = xs.filter((v) => v > 0 && Number.isFinite(v));
  const fy = ys.filter((v) => v > 0 && Number.isFinite(v));
  if (fx.length === 0 || fy.length === 0) return { x: [0.1, 10000], y: [0.1, 10000] };
  const L = Math.log10;
  // x: half a decade left of the leftmost knee or point so the memory slope shows, a little right of the last.
  let x0 = L(Math.min(...fx)) - 0.5;
  let x1 = L(Math.max(...fx)) + 0.2;
  if (x1 - x0 < 2) {
    const mid = (x0 + x1) / 2;
    x0 = mid - 1;
    x1 = mid + 1;
  }
  // y: the top just above the highest roof or point; the view grows downward to at least 1.5 decades.
  const y1 = L(Math.max(...fy)) + 0.12;
  const y0 = Math.min(L(Math.min(...fy)) - 0.3, y1 - 1.5);
  return { x: [10 ** x0, 10 ** x1], y: [10 ** y0, 10 ** y1] };
}

/** "Zoom to fit": the points alone, tight. */
export function fitPointsDomain(points: ChartPoint[]): Domain | null {
  const pts = points.filter((p) => plotted(p.point));
  return fitDomain(pts.map((p) => p.point.ai), pts.map((p) => p.point.tflops as number), 0.25, 1);
}

/** Groups markers that sit on the same spot (within `px` pixels), each group the newest first. */
export function coincidentGroups<T extends { px: number; py: number; p: ChartPoint }>(items: T[], px = COINCIDENT_PX): T[][] {
  const parent = items.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i]!;
      const b = items[j]!;
      if (Math.hypot(a.px - b.px, a.py - b.py) <= px) parent[find(i)] = find(j);
    }
  }
  const groups = new Map<number, T[]>();
  items.forEach((it, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), it]));
  return [...groups.values()].map((g) => g.sort((a, b) => b.p.addedAt - a.p.addedAt));
}

/**
 * What a point's label says: shape and precision, then the GPU when points of more than one GPU are on the
 * chart, then the run when that still leaves two labels alike.
 */
export function pointLabelTexts(points: ChartPoint[], gpuName: (key: string) => string): Map<string, string> {
  const gpus = new Set(points.map((p) => p.point.hardware_key));
  const base = (p: ChartPoint) => {
    const s = `${formatShape(p.point.M, p.point.N, p.point.K)} ${displayName(p.point.precision)}`;
    return gpus.size > 1 ? `${s} · ${shortName(gpuName(p.point.hardware_key))}` : s;
  };
  const count = new Map<string, number>();
  for (const p of points) count.set(base(p), (count.get(base(p)) ?? 0) + 1);
  return new Map(
    points.map((p) => {
      const b = base(p);
      return [p.id, (count.get(b) ?? 0) > 1 && p.runId !== null ? `${b} · run #${p.runId}` : b];
    }),
  );
}

/**
 * Roof labels sit on their roof, right-aligned at the chart's edge, above the line; where that would cover a
 * point marker (narrow screens) or another label they try below the line, then further left along the roof,
 * then anywhere on the right edge clear of the markers.
 */
export function placeRoofLabels(
  wanted: { w: number; y: number; xMin: number }[],
  W: number,
  H: number,
  markers: Box[],
): { xr: number; y: number; box: Box }[] {
  const taken: Box[] = [];
  const boxAt = (xr: number, y: number, w: number): Box => ({ x: xr - w - 2, y: y - 11, w: w + 2, h: ROOF_LABEL_H });
  const free = (b: Box) =>
    b.x >= 0 && b.y >= 0 && b.y + b.h <= H && !markers.some((m) => overlaps(m, b)) && !taken.some((t) => overlaps(t, b));
  const order = wanted.map((r, i) => ({ r, i })).sort((a, b) => a.r.y - b.r.y);
  const out = new Array<{ xr: number; y: number; box: Box }>(wanted.length);
  for (const { r, i } of order) {
    const candidates: [number, number][] = [];
    const right = W - 4;
    for (let shift = 0; right - shift - r.w >= Math.max(0, r.xMin); shift += 24) {
      candidates.push([right - shift, r.y], [right - shift, r.y + ROOF_LABEL_H + 2]);
    }
    for (let d = ROOF_LABEL_H; d < H; d += ROOF_LABEL_H) candidates.push([right, r.y - d], [right, r.y + d]);
    const hit = candidates.map(([xr, y]) => ({ xr, y, box: boxAt(xr, y, r.w) })).find((c) => free(c.box));
    const chosen = hit ?? { xr: right, y: Math.min(Math.max(r.y, 12), H - 4), box: boxAt(right, Math.min(Math.max(r.y, 12), H - 4), r.w) };
    taken.push(chosen.box);
    out[i] = chosen;
  }
  return out;
}

const memY = (ai: number, bw: number) => (ai * bw) / 1e12;

export function layoutChart(input: LayoutInput): ChartLayout {
  const { domain, roofSets, shown, gpuName } = input;
  const W = input.width - MARGIN.left - MARGIN.right;
  const H = input.height - MARGIN.top - MARGIN.bottom;
  const x = scaleLog().domain(domain.x).range([0, W]);
  const y = scaleLog().domain(domain.y).range([H, 0]);
  const xt = logTicks(domain.x[0], domain.x[1]);
  const yt = logTicks(domain.y[0], domain.y[1]);
  // Less than two decades in view: label the 2s and 5s too so the axis still reads.
  const withMinor = (t: Ticks) => (t.major.length >= 2 ? t.major : [...t.major, ...t.minor.filter((v) => /^[25]/.test(String(v)))]);

  // Points first: the roof labels keep clear of their markers.
  const placed = input.points
    .filter((p) => plotted(p.point))
    .map((p) => ({ p, px: x(p.point.ai), py: y(p.point.tflops as number) }));
  const visible = placed.filter((q) => q.px >= -6 && q.px <= W + 6 && q.py >= -6 && q.py <= H + 6);
  const onScreen: PlacedPoint[] = [];
  for (const g of coincidentGroups(visible)) for (const q of g) onScreen.push({ ...q, group: g.map((o) => o.p) });
  onScreen.sort((a, b) => a.p.addedAt - b.p.addedAt);
  const markerBoxes: Box[] = onScreen.map((q) => ({ x: q.px - MARKER_HALF, y: q.py - MARKER_HALF, w: 2 * MARKER_HALF, h: 2 * MARKER_HALF }));

  const roofLines: RoofLine[] = [];
  for (const set of roofSets) {
    for (const p of shown) {
      const r = roofFor(set, p);
      if (r?.available && r.peak_tflops && r.ridge_ai) {
        roofLines.push({ key: `${set.kind}-${p}`, set, precision: p, colour: r.colour, peak: r.peak_tflops, ridge: r.ridge_ai });
      }
    }
  }
  // Roofs at the same height get one label listing each precision in its colour.
  const byHeight = new Map<string, RoofLine[]>();
  for (const l of roofLines) byHeight.set(`${l.set.kind}|${l.peak}`, [...(byHeight.get(`${l.set.kind}|${l.peak}`) ?? []), l]);
  const groups = [...byHeight.values()];
  const wanted = groups.map((g) => {
    const first = g[0]!;
    const text = `${first.set.prefix}${g.map((l) => displayName(l.precision)).join(' · ')} ${formatNumber(first.peak)}`;
    return { w: textWidth(text, 11) + 4, y: y(first.peak) - 4, xMin: x(Math.min(...g.map((l) => l.ridge))) };
  });
  const spots = placeRoofLabels(wanted, W, H, markerBoxes);
  const roofLabels: RoofLabel[] = groups.map((g, i) => ({ group: g, w: wanted[i]!.w, ...spots[i]! }));

  const memLines: MemLine[] = roofSets
    .filter((s) => s.hw.memory_bandwidth_bytes_per_s)
    .map((s) => {
      const ridges = roofLines.filter((l) => l.set === s).map((l) => l.ridge);
      return { set: s, bw: s.hw.memory_bandwidth_bytes_per_s as number, xEnd: ridges.length ? Math.max(...ridges) : domain.x[1] };
    });
  // Memory-roof labels run along their line: the datasheet's above it, a second GPU's below its own, at the
  // first spot (from the lower left) that covers no point.
  const memLabels = memLines.map((m, index): MemLabel | null => {
    const xa = Math.max(domain.x[0], (domain.y[0] * 1e12) / m.bw);
    const xb = Math.min(m.xEnd, (domain.y[1] * 1e12) / m.bw, domain.x[1]);
    if (!(xa < xb)) return null;
    const text = `${m.set.prefix}memory ${formatSI(m.bw, 'B/s')}`;
    const w = textWidth(text, 11);
    const below = index > 0;
    const at = (frac: number): MemLabel => {
      const ai = xa * (xb / xa) ** frac;
      const px = x(ai) + 4;
      const py = y(memY(ai, m.bw));
      const rad = Math.atan2(y(memY(ai * 10, m.bw)) - py, x(ai * 10) - px);
      const cos = Math.cos(rad);
      const sin = Math.sin(rad);
      const off = below ? 13 : -5;
      const ox = px - sin * off;
      const oy = py + cos * off;
      // Axis-aligned box around the rotated text, for the point labels to keep clear of.
      const corners = [[0, 0], [w, 0], [0, -11], [w, -11]].map(([a, b]) => [ox + a! * cos - b! * sin, oy + a! * sin + b! * cos]);
      const xsC = corners.map((c) => c[0]!);
      const ysC = corners.map((c) => c[1]!);
      const box: Box = { x: Math.min(...xsC), y: Math.min(...ysC), w: Math.max(...xsC) - Math.min(...xsC), h: Math.max(...ysC) - Math.min(...ysC) };
      return { key: m.set.kind, ox, oy, angle: (rad * 180) / Math.PI, text, box };
    };
    const candidates = [0.05, 0.18, 0.31, 0.44, 0.57, 0.7].map(at);
    return candidates.find((c) => !markerBoxes.some((b) => overlaps(b, c.box))) ?? candidates[0]!;
  });

  // Point labels: one per spot (the newest point's), and a prediction beside its own measurement gets none.
  const texts = pointLabelTexts(onScreen.map((q) => q.p), gpuName);
  const twinKey = (p: Point) => `${p.hardware_key}|${p.M}x${p.N}x${p.K}|${p.precision}`;
  const measuredKeys = new Set(onScreen.filter((q) => q.p.point.source === 'measured').map((q) => twinKey(q.p.point)));
  const labelOrder = onScreen
    .filter((q) => q.group[0] === q.p)
    .filter((q) => q.p.point.source === 'measured' || !measuredKeys.has(twinKey(q.p.point)))
    .sort((a, b) => (a.p.point.source === b.p.point.source ? b.p.addedAt - a.p.addedAt : a.p.point.source === 'measured' ? -1 : 1));
  const labelText = (q: PlacedPoint) =>
    q.group.length > 1 ? `${texts.get(q.p.id)} +${q.group.length - 1}` : (texts.get(q.p.id) as string);
  const lineSegments: Segment[] = [
    ...memLines.map((m) => ({ x1: x(domain.x[0]), y1: y(memY(domain.x[0], m.bw)), x2: x(m.xEnd), y2: y(memY(m.xEnd, m.bw)) })),
    ...roofLines.map((l) => ({ x1: x(l.ridge), y1: y(l.peak), x2: W, y2: y(l.peak) })),
  ];
  const placedLabels = placeLabels(
    labelOrder.slice(0, 60).map((q) => ({ id: q.p.id, x: q.px, y: q.py, w: textWidth(labelText(q), 11) + 2, h: 13 })),
    { x: 0, y: 0, w: W, h: H },
    [...roofLabels.map((l) => l.box), ...markerBoxes, ...memLabels.flatMap((l) => (l ? [l.box] : []))],
    lineSegments,
  );
  const pointLabels: PointLabel[] = placedLabels.map((l) => {
    const q = onScreen.find((o) => o.p.id === l.id)!;
    return { ...l, q, text: labelText(q) };
  });

  return {
    W,
    H,
    x,
    y,
    xt,
    yt,
    xLabels: withMinor(xt),
    yLabels: withMinor(yt),
    roofLines,
    roofLabels,
    memLines,
    memLabels,
    onScreen,
    pointLabels,
  };
}

export const memoryRoofY = memY;
