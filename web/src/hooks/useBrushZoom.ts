// Zooming the chart with the pointer: drag a rectangle to zoom into it, turn the mouse wheel (or pinch on a
// touchpad) to zoom around the pointer. Both end in a new view domain; the hook keeps only the brush in progress.
import { useEffect, useRef, useState, type PointerEvent, type RefObject } from 'react';
import { zoomDomain } from '../lib/plot/geometry';
import type { Scale } from '../lib/plot/layout';
import type { Domain } from '../lib/state';

export interface Brush {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Zoom factor per wheel notch (100 px of deltaY): < 1 zooms in when the wheel turns away from the user. */
export const WHEEL_STEP = 0.8;

export function wheelFactor(deltaY: number): number {
  const notches = Math.max(-5, Math.min(5, deltaY / 100));
  return WHEEL_STEP ** -notches;
}

interface Options {
  /** The element that receives wheel events (the chart's wrapper). */
  target: RefObject<HTMLElement | null>;
  svg: RefObject<SVGSVGElement | null>;
  margin: { left: number; top: number };
  W: number;
  H: number;
  x: Scale;
  y: Scale;
  domain: Domain;
  setView(view: Domain): void;
}

export function useBrushZoom(o: Options) {
  const [brush, setBrush] = useState<Brush | null>(null);
  // The wheel listener is attached once; it reads the latest scales through this ref.
  const latest = useRef(o);
  latest.current = o;

  useEffect(() => {
    const el = o.target.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      const { svg, margin, W, H, x, y, domain, setView } = latest.current;
      const r = svg.current?.getBoundingClientRect();
      if (!r) return;
      const px = e.clientX - r.left - margin.left;
      const py = e.clientY - r.top - margin.top;
      if (px < 0 || py < 0 || px > W || py > H || e.deltaY === 0) return;
      // Only over the plot area: the page still scrolls when the wheel turns over the axes or the legend.
      e.preventDefault();
      setView(zoomDomain(domain, wheelFactor(e.deltaY), { x: x.invert(px), y: y.invert(py) }));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [o.target]);

  const local = (e: PointerEvent) => {
    const r = o.svg.current!.getBoundingClientRect();
    return { x: e.clientX - r.left - o.margin.left, y: e.clientY - r.top - o.margin.top };
  };
  const onPointerDown = (e: PointerEvent<SVGRectElement>) => {
    if (e.button !== 0) return;
    const p = local(e);
    (e.target as Element).setPointerCapture(e.pointerId);
    setBrush({ x0: p.x, y0: p.y, x1: p.x, y1: p.y });
  };
  const onPointerMove = (e: PointerEvent<SVGRectElement>) => {
    if (!brush) return;
    const p = local(e);
    setBrush({ ...brush, x1: Math.max(0, Math.min(o.W, p.x)), y1: Math.max(0, Math.min(o.H, p.y)) });
  };
  const onPointerUp = () => {
    if (brush && Math.abs(brush.x1 - brush.x0) > 8 && Math.abs(brush.y1 - brush.y0) > 8) {
      const xs = [o.x.invert(Math.min(brush.x0, brush.x1)), o.x.invert(Math.max(brush.x0, brush.x1))] as [number, number];
      const ys = [o.y.invert(Math.max(brush.y0, brush.y1)), o.y.invert(Math.min(brush.y0, brush.y1))] as [number, number];
      o.setView({ x: xs, y: ys });
    }
    setBrush(null);
  };
  return { brush, handlers: { onPointerDown, onPointerMove, onPointerUp } };
}
