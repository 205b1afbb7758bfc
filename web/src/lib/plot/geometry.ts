// Geometry of the roofline chart that does not need a DOM: which decades to tick, what domain fits the data,
// where labels go without overlapping. lib/plot/layout.ts puts these together for one chart through d3-scale's
// log scales; the views (components/plot/) only draw what it returns.
import type { Domain } from '../state';

export interface Ticks {
  /** Powers of ten inside the domain: labelled, with a grid line. */
  major: number[];
  /** 2..9 × each decade: short ticks and faint grid lines only. */
  minor: number[];
}

export function logTicks(lo: number, hi: number): Ticks {
  const major: number[] = [];
  const minor: number[] = [];
  const eps = 1e-9;
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const d = 10 ** e;
    if (d >= lo * (1 - eps) && d <= hi * (1 + eps)) major.push(d);
    for (let m = 2; m <= 9; m++) {
      const v = m * d;
      if (v > lo && v < hi) minor.push(v);
    }
  }
  return { major, minor };
}

export interface XY {
  x: number;
  y: number;
}

const log = Math.log10;

/**
 * A domain holding every given x and y with a margin of `pad` decades each side, widened around its centre to
 * at least `minDecades` so a single point does not fill the chart. Returns null when nothing positive is given.
 */
export function fitDomain(xs: number[], ys: number[], pad = 0.35, minDecades = 2): Domain | null {
  const fx = xs.filter((v) => v > 0 && Number.isFinite(v));
  const fy = ys.filter((v) => v > 0 && Number.isFinite(v));
  if (fx.length === 0 || fy.length === 0) return null;
  const span = (vals: number[]): [number, number] => {
    let lo = log(Math.min(...vals)) - pad;
    let hi = log(Math.max(...vals)) + pad;
    if (hi - lo < minDecades) {
      const mid = (lo + hi) / 2;
      lo = mid - minDecades / 2;
      hi = mid + minDecades / 2;
    }
    return [10 ** lo, 10 ** hi];
  };
  return { x: span(fx), y: span(fy) };
}

/** The domain rounded outward to whole decades, so the axes start and end on a labelled tick. */
export function decadeDomain(d: Domain): Domain {
  const out = ([lo, hi]: [number, number]): [number, number] => [
    10 ** Math.floor(log(lo) + 1e-9),
    10 ** Math.ceil(log(hi) - 1e-9),
  ];
  return { x: out(d.x), y: out(d.y) };
}

/** Zooms a domain by `factor` (< 1 zooms in) around a centre given in data coordinates. */
export function zoomDomain(d: Domain, factor: number, centre: XY): Domain {
  const z = ([lo, hi]: [number, number], c: number): [number, number] => {
    const lc = log(c);
    return [10 ** (lc + (log(lo) - lc) * factor), 10 ** (lc + (log(hi) - lc) * factor)];
  };
  return { x: z(d.x, centre.x), y: z(d.y, centre.y) };
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const overlaps = (a: Box, b: Box, gap = 1): boolean =>
  a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;

const inside = (a: Box, bounds: Box): boolean =>
  a.x >= bounds.x && a.y >= bounds.y && a.x + a.w <= bounds.x + bounds.w && a.y + a.h <= bounds.y + bounds.h;

/** Rough text width for the label font (11–12 px system sans): good enough to keep labels apart. */
export const textWidth = (text: string, fontPx = 11): number => text.length * fontPx * 0.58;

export interface LabelRequest {
  id: string;
  /** The anchor (a point's centre) in pixels. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PlacedLabel {
  id: string;
  box: Box;
  /** True when the label sits away from its point and needs a leader line. */
  far: boolean;
}

/**
 * Greedy placement: each label tries eight spots around its anchor, then the same spots further out, and takes
 * the first that stays inside `bounds` and clear of `obstacles`, the roof `lines` and the labels already placed. A label with no
 * free spot is left out (its point keeps its tooltip) rather than drawn over another.
 */
export interface Segment {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Whether a line segment crosses a box (Liang–Barsky clipping), with `gap` pixels of margin around the box. */
export function segmentHitsBox(s: Segment, b: Box, gap = 1): boolean {
  const dx = s.x2 - s.x1;
  const dy = s.y2 - s.y1;
  let t0 = 0;
  let t1 = 1;
  const edges: [number, number][] = [
    [-dx, s.x1 - (b.x - gap)],
    [dx, b.x + b.w + gap - s.x1],
    [-dy, s.y1 - (b.y - gap)],
    [dy, b.y + b.h + gap - s.y1],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return false;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
      if (t0 > t1) return false;
    }
  }
  return true;
}

export function placeLabels(
  requests: LabelRequest[],
  bounds: Box,
  obstacles: Box[] = [],
  lines: Segment[] = [],
): PlacedLabel[] {
  const placed: PlacedLabel[] = [];
  const taken = [...obstacles];
  for (const r of requests) {
    const r0 = 7;
    let done = false;
    for (const dist of [r0, r0 + 12, r0 + 26, r0 + 44]) {
      const spots: [number, number][] = [
        [r.x + dist, r.y - r.h / 2], // right
        [r.x - dist - r.w, r.y - r.h / 2], // left
        [r.x - r.w / 2, r.y - dist - r.h], // above
        [r.x - r.w / 2, r.y + dist], // below
        [r.x + dist * 0.7, r.y - dist * 0.7 - r.h], // above right
        [r.x + dist * 0.7, r.y + dist * 0.7], // below right
        [r.x - dist * 0.7 - r.w, r.y - dist * 0.7 - r.h], // above left
        [r.x - dist * 0.7 - r.w, r.y + dist * 0.7], // below left
      ];
      for (const [x, y] of spots) {
        const box = { x, y, w: r.w, h: r.h };
        if (inside(box, bounds) && !taken.some((t) => overlaps(box, t)) && !lines.some((l) => segmentHitsBox(l, box))) {
          placed.push({ id: r.id, box, far: dist > r0 });
          taken.push(box);
          done = true;
          break;
        }
      }
      if (done) break;
    }
  }
  return placed;
}

/**
 * Pushes labels apart vertically (each wants to sit at its y) so none overlap, keeping them within [top, bottom]
 * and in their original order; used for the roof labels at the chart's right edge.
 */
export function spreadVertically(wanted: number[], height: number, top: number, bottom: number): number[] {
  const order = wanted.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
  const ys = order.map((o) => Math.min(Math.max(o.y, top), bottom));
  for (let i = 1; i < ys.length; i++) ys[i] = Math.max(ys[i] as number, (ys[i - 1] as number) + height);
  const overflow = (ys[ys.length - 1] ?? bottom) - bottom;
  if (overflow > 0) {
    ys[ys.length - 1] = bottom;
    for (let i = ys.length - 2; i >= 0; i--) ys[i] = Math.min(ys[i] as number, (ys[i + 1] as number) - height);
  }
  const out = new Array<number>(wanted.length);
  order.forEach((o, j) => (out[o.i] = ys[j] as number));
  return out;
}
