// The roofline chart. d3-scale's log scales map the data; React draws the SVG itself, so every mark is a plain
// element with its colour as an attribute (the exported SVG and PNG look exactly like the screen, in either
// colour scheme) and points are real focusable elements with labels for screen readers.
import { scaleLog } from 'd3-scale';
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type KeyboardEvent, type PointerEvent } from 'react';
import { readableOn } from '../lib/colour';
import { pointsCsv } from '../lib/csv';
import { formatNumber, formatPercent, formatShape, formatSI, formatTick, formatTime } from '../lib/format';
import type { HardwareEntry } from '../lib/hardware';
import {
  decadeDomain,
  fitDomain,
  logTicks,
  overlaps,
  placeLabels,
  spreadVertically,
  textWidth,
  zoomDomain,
  type Box,
  type Segment,
} from '../lib/plot';
import { CATALOGUE, info, isPrecisionName } from '../lib/precision';
import type { Action, Domain, PlotPoint } from '../lib/state';
import type { HardwareRoofs, Point, Roof } from '../lib/types';
import { downloadBlob, svgToPngBlob } from './download';
import { useTheme, type ChartTheme } from './theme';

interface Props {
  points: PlotPoint[];
  hidden: string[];
  formPrecisions: string[];
  roofs: HardwareRoofs;
  measuredRoofs: HardwareRoofs | null;
  compareRoofs: HardwareRoofs | null;
  compareKey: string | null;
  hardwareOptions: readonly HardwareEntry[];
  view: Domain | null;
  hasMeasured: boolean;
  dispatch: Dispatch<Action>;
}

const MARGIN = { left: 64, right: 18, top: 30, bottom: 48 };
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const ROOF_LABEL_H = 14;

const precisionOrder = (names: Iterable<string>): string[] => {
  const set = new Set(names);
  return CATALOGUE.map((p) => p.name as string).filter((n) => set.has(n));
};

const displayName = (p: string) => (isPrecisionName(p) ? info(p).displayName : p);

const shortName = (name: string) => name.replace(/^NVIDIA\s+/, '').replace(/\s*\(.*\)\s*/, ' ').trim();

interface RoofSet {
  kind: 'datasheet' | 'measured' | 'compare';
  hw: HardwareRoofs;
  dash?: string;
  prefix: string;
}

export function RooflinePlot(props: Props) {
  const { points, hidden, formPrecisions, roofs, measuredRoofs, compareRoofs, view, dispatch } = props;
  const theme = useTheme();
  const wrapRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const [size, setSize] = useState({ w: 800, h: 460 });
  const [hover, setHover] = useState<{ id: string; pinned: boolean } | null>(null);
  const [brush, setBrush] = useState<{ x0: number; y0: number; x1: number; y1: number } | null>(null);

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (!entry) return;
      const { width, height } = entry.contentRect;
      setSize({ w: Math.max(320, Math.round(width)), h: Math.max(300, Math.round(height)) });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Precisions in play: the ones the form asks for and the ones that have points, in catalogue order.
  const inPlay = useMemo(
    () => precisionOrder([...formPrecisions, ...points.map((p) => p.point.a_precision)]),
    [formPrecisions, points],
  );
  const shown = inPlay.filter((p) => !hidden.includes(p));

  const roofSets: RoofSet[] = useMemo(() => {
    const sets: RoofSet[] = [{ kind: 'datasheet', hw: roofs, prefix: '' }];
    if (measuredRoofs) sets.push({ kind: 'measured', hw: measuredRoofs, dash: '9 3 2 3', prefix: 'measured ' });
    if (compareRoofs) sets.push({ kind: 'compare', hw: compareRoofs, dash: '3 4', prefix: `${shortName(compareRoofs.name)} ` });
    return sets;
  }, [roofs, measuredRoofs, compareRoofs]);

  const visiblePoints = points.filter(
    (p) => p.point.tflops !== null && p.point.tflops > 0 && p.point.ai > 0 && !hidden.includes(p.point.a_precision),
  );

  const roofFor = (set: RoofSet, precision: string): Roof | undefined =>
    set.hw.roofs.find((r) => r.precision === precision);

  const autoDomain = useMemo((): Domain => {
    const xs: number[] = visiblePoints.map((p) => p.point.ai);
    const ys: number[] = visiblePoints.map((p) => p.point.tflops as number);
    for (const set of roofSets) {
      for (const p of shown) {
        const r = roofFor(set, p);
        if (r?.available && r.ridge_ai && r.peak_tflops) {
          xs.push(r.ridge_ai);
          ys.push(r.peak_tflops);
        }
      }
    }
    const fit = fitDomain(xs, ys, 0.3, 3);
    return fit ? decadeDomain(fit) : { x: [0.1, 10000], y: [0.1, 10000] };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [visiblePoints.map((p) => p.id).join(), roofSets, shown.join()]);

  const domain = view ?? autoDomain;
  const W = size.w - MARGIN.left - MARGIN.right;
  const H = size.h - MARGIN.top - MARGIN.bottom;
  const x = scaleLog().domain(domain.x).range([0, W]);
  const y = scaleLog().domain(domain.y).range([H, 0]);
  const xt = logTicks(domain.x[0], domain.x[1]);
  const yt = logTicks(domain.y[0], domain.y[1]);
  // Less than two decades in view (zoomed in): label the 2s and 5s too so the axis still reads.
  const xLabels = xt.major.length >= 2 ? xt.major : [...xt.major, ...xt.minor.filter((v) => /^[25]/.test(String(v)))];
  const yLabels = yt.major.length >= 2 ? yt.major : [...yt.major, ...yt.minor.filter((v) => /^[25]/.test(String(v)))];
  const tickText = formatTick;

  // --- roofs --------------------------------------------------------------------------------------------
  interface RoofLine {
    key: string;
    set: RoofSet;
    precision: string;
    colour: string;
    peak: number;
    ridge: number;
  }
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
  const labelGroups = new Map<string, RoofLine[]>();
  for (const l of roofLines) {
    const k = `${l.set.kind}|${l.peak}`;
    labelGroups.set(k, [...(labelGroups.get(k) ?? []), l]);
  }
  const groups = [...labelGroups.values()];
  const wantedY = groups.map((g) => y(g[0]!.peak) - 4);
  const labelY = spreadVertically(wantedY, ROOF_LABEL_H, 12, H - 4);
  const roofLabelBoxes: Box[] = [];
  const roofLabels = groups.map((g, i) => {
    const first = g[0]!;
    const text = `${first.set.prefix}${g.map((l) => displayName(l.precision)).join(' · ')} ${formatNumber(first.peak)}`;
    const w = textWidth(text, 11) + 4;
    const ly = labelY[i]!;
    roofLabelBoxes.push({ x: W - w - 2, y: ly - 11, w: w + 2, h: ROOF_LABEL_H });
    return { group: g, y: ly, w };
  });

  interface MemLine {
    set: RoofSet;
    bw: number;
    xEnd: number;
  }
  const memLines: MemLine[] = roofSets
    .filter((s) => s.hw.memory_bandwidth_bytes_per_s)
    .map((s) => {
      const ridges = roofLines.filter((l) => l.set === s).map((l) => l.ridge);
      return { set: s, bw: s.hw.memory_bandwidth_bytes_per_s as number, xEnd: ridges.length ? Math.max(...ridges) : domain.x[1] };
    });
  const memY = (ai: number, bw: number) => (ai * bw) / 1e12;
  // --- points -------------------------------------------------------------------------------------------
  const placedPoints = visiblePoints.map((p) => ({ p, px: x(p.point.ai), py: y(p.point.tflops as number) }));
  const onScreen = placedPoints.filter((q) => q.px >= -6 && q.px <= W + 6 && q.py >= -6 && q.py <= H + 6);
  const pointLabel = (p: Point) => `${formatShape(p.M, p.N, p.K)} ${displayName(p.precision)}`;
  // A prediction beside its measurement would repeat the same label: only the measured point gets one.
  const twinKey = (p: Point) => `${p.hardware_key}|${p.M}x${p.N}x${p.K}|${p.precision}`;
  const measuredKeys = new Set(onScreen.filter((q) => q.p.point.source === 'measured').map((q) => twinKey(q.p.point)));
  const labelOrder = [...onScreen].filter((q) => q.p.point.source === 'measured' || !measuredKeys.has(twinKey(q.p.point))).sort((a, b) =>
    a.p.point.source === b.p.point.source ? b.p.addedAt - a.p.addedAt : a.p.point.source === 'measured' ? -1 : 1,
  );
  const markerBoxes: Box[] = onScreen.map((q) => ({ x: q.px - 6, y: q.py - 6, w: 12, h: 12 }));
  // Memory-roof labels run along their line: the datasheet's above it, a second GPU's below its own, at the
  // first spot (from the lower left) that covers no point.
  const memLabels = memLines.map((m, index) => {
    const xa = Math.max(domain.x[0], (domain.y[0] * 1e12) / m.bw);
    const xb = Math.min(m.xEnd, (domain.y[1] * 1e12) / m.bw, domain.x[1]);
    if (!(xa < xb)) return null;
    const text = `${m.set.prefix}memory ${formatSI(m.bw, 'B/s')}`;
    const w = textWidth(text, 11);
    const below = index > 0;
    const at = (frac: number) => {
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
  const lineSegments: Segment[] = [
    ...memLines.map((m) => ({ x1: x(domain.x[0]), y1: y(memY(domain.x[0], m.bw)), x2: x(m.xEnd), y2: y(memY(m.xEnd, m.bw)) })),
    ...roofLines.map((l) => ({ x1: x(l.ridge), y1: y(l.peak), x2: W, y2: y(l.peak) })),
  ];
  const placedLabels = placeLabels(
    labelOrder.slice(0, 60).map((q) => ({ id: q.p.id, x: q.px, y: q.py, w: textWidth(pointLabel(q.p.point), 11) + 2, h: 13 })),
    { x: 0, y: 0, w: W, h: H },
    [...roofLabelBoxes, ...markerBoxes, ...memLabels.flatMap((l) => (l ? [l.box] : []))],
    lineSegments,
  );

  // --- interaction --------------------------------------------------------------------------------------
  const hovered = hover ? placedPoints.find((q) => q.p.id === hover.id) : undefined;

  const fitPoints = useCallback(() => {
    const fit = fitDomain(
      visiblePoints.map((p) => p.point.ai),
      visiblePoints.map((p) => p.point.tflops as number),
      0.25,
      1,
    );
    dispatch({ type: 'setView', view: fit });
  }, [visiblePoints, dispatch]);

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return;
    const centre = { x: Math.sqrt(domain.x[0] * domain.x[1]), y: Math.sqrt(domain.y[0] * domain.y[1]) };
    if (e.key === '+' || e.key === '=') dispatch({ type: 'setView', view: zoomDomain(domain, 0.7, centre) });
    else if (e.key === '-' || e.key === '_') dispatch({ type: 'setView', view: zoomDomain(domain, 1 / 0.7, centre) });
    else if (e.key === '0') dispatch({ type: 'setView', view: null });
    else if (e.key === 'f' || e.key === 'F') fitPoints();
    else return;
    e.preventDefault();
  };

  const local = (e: PointerEvent) => {
    const r = svgRef.current!.getBoundingClientRect();
    return { x: e.clientX - r.left - MARGIN.left, y: e.clientY - r.top - MARGIN.top };
  };
  const onBrushDown = (e: PointerEvent<SVGRectElement>) => {
    if (e.button !== 0) return;
    const p = local(e);
    (e.target as Element).setPointerCapture(e.pointerId);
    setBrush({ x0: p.x, y0: p.y, x1: p.x, y1: p.y });
  };
  const onBrushMove = (e: PointerEvent<SVGRectElement>) => {
    if (!brush) return;
    const p = local(e);
    setBrush({ ...brush, x1: Math.max(0, Math.min(W, p.x)), y1: Math.max(0, Math.min(H, p.y)) });
  };
  const onBrushUp = () => {
    if (brush && Math.abs(brush.x1 - brush.x0) > 8 && Math.abs(brush.y1 - brush.y0) > 8) {
      const xs = [x.invert(Math.min(brush.x0, brush.x1)), x.invert(Math.max(brush.x0, brush.x1))] as [number, number];
      const ys = [y.invert(Math.max(brush.y0, brush.y1)), y.invert(Math.min(brush.y0, brush.y1))] as [number, number];
      dispatch({ type: 'setView', view: { x: xs, y: ys } });
    }
    setBrush(null);
  };

  // --- export -------------------------------------------------------------------------------------------
  const stamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const svgText = () => {
    const svg = svgRef.current!.cloneNode(true) as SVGSVGElement;
    svg.querySelectorAll('[data-export="skip"]').forEach((n) => n.remove());
    svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(svg)}`;
  };
  const exportCsv = () =>
    downloadBlob(new Blob([pointsCsv(points.map((p) => p.point))], { type: 'text/csv' }), `roofline-points-${stamp()}.csv`);
  const exportSvg = () => downloadBlob(new Blob([svgText()], { type: 'image/svg+xml' }), `roofline-${stamp()}.svg`);
  const exportPng = async () =>
    downloadBlob(await svgToPngBlob(svgText(), size.w, size.h, 2), `roofline-${stamp()}.png`);

  const title = `${roofs.name}${compareRoofs ? `  vs  ${compareRoofs.name}` : ''}`;

  return (
    <div className="card plot-card">
      <div className="toolbar" role="toolbar" aria-label="Chart tools">
        <button type="button" onClick={fitPoints} disabled={visiblePoints.length === 0}>
          Zoom to fit
        </button>
        <button type="button" onClick={() => dispatch({ type: 'setView', view: null })} disabled={view === null}>
          Reset view
        </button>
        <label className="compare">
          Compare
          <select
            value={props.compareKey ?? ''}
            onChange={(e) => dispatch({ type: 'setCompare', key: e.target.value || null })}
            aria-label="Compare with a second GPU's roofs"
          >
            <option value="">— no second GPU —</option>
            {props.hardwareOptions
              .filter((h) => h.key !== roofs.key)
              .map((h) => (
                <option key={h.key} value={h.key}>
                  {h.name}
                </option>
              ))}
          </select>
        </label>
        <span className="spacer" />
        <span className="group" role="group" aria-label="Export">
          <button type="button" onClick={exportCsv} disabled={points.length === 0}>
            Export CSV
          </button>
          <button type="button" onClick={() => void exportPng()}>
            PNG
          </button>
          <button type="button" onClick={exportSvg}>
            SVG
          </button>
        </span>
        <button type="button" onClick={() => dispatch({ type: 'clearMeasured' })} disabled={!props.hasMeasured}>
          Clear measured
        </button>
        <button type="button" className="danger" onClick={() => dispatch({ type: 'clearAll' })} disabled={points.length === 0}>
          Clear all
        </button>
      </div>

      <div
        className="plot-wrap"
        ref={wrapRef}
        tabIndex={0}
        onKeyDown={onKey}
        aria-label="Roofline chart: + and − zoom, 0 resets the view, F fits the points; drag to zoom into a region; Tab moves through the points"
      >
        <svg
          ref={svgRef}
          width={size.w}
          height={size.h}
          viewBox={`0 0 ${size.w} ${size.h}`}
          fontFamily={FONT}
          role="img"
          aria-labelledby="plot-title"
          data-testid="roofline-svg"
        >
          <title id="plot-title">Roofline of {title}: {visiblePoints.length} points</title>
          <rect width={size.w} height={size.h} fill={theme.bg} />
          <text x={MARGIN.left} y={18} fontSize={12.5} fontWeight={600} fill={theme.fg}>
            {title}
          </text>
          <g transform={`translate(${MARGIN.left},${MARGIN.top})`}>
            <defs>
              <clipPath id="plot-clip">
                <rect width={W} height={H} />
              </clipPath>
            </defs>
            <Grid theme={theme} x={x} y={y} xt={xt} yt={yt} W={W} H={H} />
            <rect
              width={W}
              height={H}
              fill="transparent"
              data-export="skip"
              style={{ cursor: 'crosshair' }}
              onPointerDown={onBrushDown}
              onPointerMove={onBrushMove}
              onPointerUp={onBrushUp}
              onDoubleClick={() => dispatch({ type: 'setView', view: null })}
            />
            <g clipPath="url(#plot-clip)" pointerEvents="none">
              {memLines.map((m) => (
                <line
                  key={`mem-${m.set.kind}`}
                  x1={x(domain.x[0])}
                  y1={y(memY(domain.x[0], m.bw))}
                  x2={x(m.xEnd)}
                  y2={y(memY(m.xEnd, m.bw))}
                  stroke={theme.memRoof}
                  strokeWidth={2}
                  strokeDasharray={m.set.dash}
                  data-testid="memory-roof"
                />
              ))}
              {roofLines.map((l, i) => {
                const twin = roofLines.findIndex((o) => o.set === l.set && o.peak === l.peak) !== i;
                return (
                  <line
                    key={l.key}
                    x1={x(l.ridge)}
                    y1={y(l.peak)}
                    x2={W}
                    y2={y(l.peak)}
                    stroke={l.colour}
                    strokeWidth={l.set.kind === 'compare' ? 1.5 : 2}
                    strokeOpacity={l.set.kind === 'compare' ? 0.8 : 1}
                    // A second roof at the same height dashes over the first so both colours show.
                    strokeDasharray={l.set.dash ?? (twin ? '7 7' : undefined)}
                    data-testid="compute-roof"
                    data-precision={l.precision}
                  />
                );
              })}
              {roofLines
                .filter((l) => l.set.kind !== 'compare' || true)
                .map((l) => (
                  <circle
                    key={`ridge-${l.key}`}
                    cx={x(l.ridge)}
                    cy={y(l.peak)}
                    r={l.set.kind === 'datasheet' ? 4 : 3}
                    fill={l.colour}
                    stroke={theme.bg}
                    strokeWidth={1.5}
                    data-testid="ridge"
                  >
                    <title>
                      {l.set.prefix}
                      {displayName(l.precision)} ridge point: {formatNumber(l.ridge)} FLOP/byte at {formatNumber(l.peak)} TFLOP/s
                    </title>
                  </circle>
                ))}
              {memLabels.map((lab) => {
                return lab ? (
                  <text
                    key={`memlab-${lab.key}`}
                    transform={`translate(${lab.ox},${lab.oy}) rotate(${lab.angle})`}
                    fontSize={11}
                    fill={theme.muted}
                    stroke={theme.bg}
                    strokeWidth={3}
                    paintOrder="stroke"
                  >
                    {lab.text}
                  </text>
                ) : null;
              })}
              {roofLabels.map(({ group, y: ly, w }) => (
                // A plate behind the text: a label pushed onto a neighbouring roof stays readable.
                <rect
                  key={`rlb-${group[0]!.key}`}
                  x={W - 4 - w}
                  y={ly - 10}
                  width={w + 2}
                  height={13}
                  rx={2}
                  fill={theme.bg}
                  fillOpacity={0.88}
                />
              ))}
              {roofLabels.map(({ group, y: ly }) => (
                <text
                  key={`rl-${group[0]!.key}`}
                  x={W - 4}
                  y={ly}
                  fontSize={11}
                  textAnchor="end"
                  stroke={theme.bg}
                  strokeWidth={3}
                  paintOrder="stroke"
                  fontWeight={group[0]!.set.kind === 'datasheet' ? 600 : 400}
                >
                  {group[0]!.set.prefix && <tspan fill={theme.muted}>{group[0]!.set.prefix}</tspan>}
                  {group.map((l, j) => (
                    <tspan key={l.precision} fill={readableOn(l.colour, theme.bg)}>
                      {j > 0 ? ' · ' : ''}
                      {displayName(l.precision)}
                    </tspan>
                  ))}
                  <tspan fill={theme.muted}> {formatNumber(group[0]!.peak)}</tspan>
                </text>
              ))}
            </g>
            <g clipPath="url(#plot-clip)">
              {placedLabels.map((l) => {
                const q = onScreen.find((o) => o.p.id === l.id)!;
                const p = q.p.point;
                const tx = l.box.x + 1;
                const ty = l.box.y + 10;
                return (
                  <g key={`pl-${l.id}`} pointerEvents="none" opacity={p.hardware_key !== roofs.key && p.hardware_key !== compareRoofs?.key ? 0.5 : 1}>
                    {l.far && (
                      <line
                        x1={q.px}
                        y1={q.py}
                        x2={Math.max(l.box.x, Math.min(q.px, l.box.x + l.box.w))}
                        y2={Math.max(l.box.y, Math.min(q.py, l.box.y + l.box.h))}
                        stroke={p.colour}
                        strokeOpacity={0.6}
                        strokeWidth={1}
                      />
                    )}
                    <text x={tx} y={ty} fontSize={11} fill={readableOn(p.colour, theme.bg)} stroke={theme.bg} strokeWidth={3} paintOrder="stroke" data-testid="point-label">
                      {pointLabel(p)}
                    </text>
                  </g>
                );
              })}
              {onScreen.map(({ p, px, py }) => (
                <PointMark
                  key={p.id}
                  pp={p}
                  px={px}
                  py={py}
                  theme={theme}
                  label={describe(p.point, p.point.hardware_key === roofs.key ? null : p.point.hardware_key)}
                  // Points from another GPU than the roofs drawn stay, faded, so they are not read against the wrong roofs.
                  faded={p.point.hardware_key !== roofs.key && p.point.hardware_key !== compareRoofs?.key}
                  active={hover?.id === p.id}
                  onEnter={() => setHover({ id: p.id, pinned: false })}
                  onLeave={() => setHover((h) => (h?.id === p.id && !h.pinned ? null : h))}
                  onFocus={() => setHover({ id: p.id, pinned: true })}
                  onBlur={() => setHover((h) => (h?.id === p.id ? null : h))}
                  onKey={(e) => {
                    if (e.key === 'Escape') setHover(null);
                    if (e.key === 'Delete' || e.key === 'Backspace') dispatch({ type: 'removePoint', id: p.id });
                  }}
                />
              ))}
            </g>
            {brush && (
              <rect
                data-export="skip"
                x={Math.min(brush.x0, brush.x1)}
                y={Math.min(brush.y0, brush.y1)}
                width={Math.abs(brush.x1 - brush.x0)}
                height={Math.abs(brush.y1 - brush.y0)}
                fill={theme.fg}
                fillOpacity={0.06}
                stroke={theme.muted}
                strokeDasharray="4 3"
                pointerEvents="none"
              />
            )}
            <Axes theme={theme} x={x} y={y} xt={xt} yt={yt} xLabels={xLabels} yLabels={yLabels} tickText={tickText} W={W} H={H} />
          </g>
        </svg>
        {hovered && (
          <Tooltip
            p={hovered.p}
            left={hovered.px + MARGIN.left}
            top={hovered.py + MARGIN.top}
            width={size.w}
            height={size.h}
            hardware={roofs}
            theme={theme}
          />
        )}
        {visiblePoints.length === 0 && (
          <p className="plot-empty">
            {points.length === 0
              ? 'No points yet: analyze a GEMM and its points land here. Roofs show for the precisions you pick.'
              : 'Every point is hidden: toggle precisions in the legend below.'}
          </p>
        )}
      </div>
      <Legend
        inPlay={inPlay}
        hidden={hidden}
        roofs={roofs}
        compare={compareRoofs}
        measured={measuredRoofs}
        theme={theme}
        dispatch={dispatch}
      />
    </div>
  );
}

type Scale = ReturnType<typeof scaleLog<number, number>>;

function Grid({ theme, x, y, xt, yt, W, H }: { theme: ChartTheme; x: Scale; y: Scale; xt: ReturnType<typeof logTicks>; yt: ReturnType<typeof logTicks>; W: number; H: number }) {
  return (
    <g pointerEvents="none">
      {xt.minor.map((v) => (
        <line key={`xm${v}`} x1={x(v)} x2={x(v)} y1={0} y2={H} stroke={theme.gridMinor} />
      ))}
      {yt.minor.map((v) => (
        <line key={`ym${v}`} x1={0} x2={W} y1={y(v)} y2={y(v)} stroke={theme.gridMinor} />
      ))}
      {xt.major.map((v) => (
        <line key={`xM${v}`} x1={x(v)} x2={x(v)} y1={0} y2={H} stroke={theme.grid} />
      ))}
      {yt.major.map((v) => (
        <line key={`yM${v}`} x1={0} x2={W} y1={y(v)} y2={y(v)} stroke={theme.grid} />
      ))}
    </g>
  );
}

function Axes(props: {
  theme: ChartTheme;
  x: Scale;
  y: Scale;
  xt: ReturnType<typeof logTicks>;
  yt: ReturnType<typeof logTicks>;
  xLabels: number[];
  yLabels: number[];
  tickText(v: number): string;
  W: number;
  H: number;
}) {
  const { theme, x, y, xt, yt, W, H } = props;
  return (
    <g pointerEvents="none" fontSize={11.5}>
      <rect width={W} height={H} fill="none" stroke={theme.axis} />
      {xt.major.map((v) => (
        <line key={`xt${v}`} x1={x(v)} x2={x(v)} y1={H} y2={H + 6} stroke={theme.axis} />
      ))}
      {xt.minor.map((v) => (
        <line key={`xtm${v}`} x1={x(v)} x2={x(v)} y1={H} y2={H + 3} stroke={theme.axis} />
      ))}
      {yt.major.map((v) => (
        <line key={`yt${v}`} x1={-6} x2={0} y1={y(v)} y2={y(v)} stroke={theme.axis} />
      ))}
      {yt.minor.map((v) => (
        <line key={`ytm${v}`} x1={-3} x2={0} y1={y(v)} y2={y(v)} stroke={theme.axis} />
      ))}
      {props.xLabels.map((v) => (
        // The last label would overhang the chart's right edge: end-anchor it there.
        <text key={`xl${v}`} x={x(v)} y={H + 19} textAnchor={x(v) > W - 12 ? 'end' : x(v) < 12 ? 'start' : 'middle'} fill={theme.fg}>
          {props.tickText(v)}
        </text>
      ))}
      {props.yLabels.map((v) => (
        <text key={`yl${v}`} x={-9} y={y(v) + 4} textAnchor="end" fill={theme.fg}>
          {props.tickText(v)}
        </text>
      ))}
      <text x={W / 2} y={H + 40} textAnchor="middle" fill={theme.fg} fontSize={12.5} fontWeight={500}>
        Arithmetic intensity (FLOP/byte)
      </text>
      <text transform={`translate(${-48},${H / 2}) rotate(-90)`} textAnchor="middle" fill={theme.fg} fontSize={12.5} fontWeight={500}>
        Performance (TFLOP/s)
      </text>
    </g>
  );
}

function PointMark(props: {
  pp: PlotPoint;
  px: number;
  py: number;
  theme: ChartTheme;
  label: string;
  active: boolean;
  faded: boolean;
  onEnter(): void;
  onLeave(): void;
  onFocus(): void;
  onBlur(): void;
  onKey(e: KeyboardEvent<SVGGElement>): void;
}) {
  const { pp, px, py, theme, active } = props;
  const p = pp.point;
  const measured = p.source === 'measured';
  const s = active ? 1.35 : 1;
  return (
    <g
      transform={`translate(${px},${py})`}
      opacity={props.faded && !active ? 0.4 : 1}
      tabIndex={0}
      role="img"
      aria-label={props.label}
      className="point"
      data-testid="point"
      data-precision={p.a_precision}
      data-source={p.source}
      data-origin={pp.origin}
      data-colour={p.colour}
      onMouseEnter={props.onEnter}
      onMouseLeave={props.onLeave}
      onFocus={props.onFocus}
      onBlur={props.onBlur}
      onKeyDown={props.onKey}
    >
      {/* A wider invisible target so small marks are easy to hover. */}
      <circle r={10} fill="transparent" data-export="skip" />
      {measured ? (
        <circle r={5.5 * s} fill={theme.bg} fillOpacity={0.6} stroke={p.colour} strokeWidth={2.2} />
      ) : (
        <path
          d={`M0,${-6.5 * s} L${6.5 * s},0 L0,${6.5 * s} L${-6.5 * s},0 Z`}
          fill={theme.bg}
          fillOpacity={0.6}
          stroke={p.colour}
          strokeWidth={1.8}
          strokeDasharray="3 2"
        />
      )}
    </g>
  );
}

function describe(p: Point, otherHardware: string | null): string {
  return [
    `${p.source} ${formatShape(p.M, p.N, p.K)} ${displayName(p.precision)}${otherHardware ? ` on ${otherHardware}` : ''}`,
    `${formatNumber(p.tflops)} TFLOP/s`,
    `AI ${formatNumber(p.ai)} FLOP/byte`,
    `time ${formatTime(p.time_s)}`,
    p.bound ? `${p.bound}-bound` : '',
    p.roof?.fraction_of_roof != null && p.source === 'measured' ? `${formatPercent(p.roof.fraction_of_roof)} of roof` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

function Tooltip({ p: pp, left, top, width, height, hardware, theme }: { p: PlotPoint; left: number; top: number; width: number; height: number; hardware: HardwareRoofs; theme: ChartTheme }) {
  const p = pp.point;
  const tel = p.measured?.telemetry;
  const flipX = left > width * 0.58;
  const flipY = top > height * 0.55;
  const style = {
    left: flipX ? undefined : left + 14,
    right: flipX ? width - left + 14 : undefined,
    top: flipY ? undefined : top + 10,
    bottom: flipY ? height - top + 10 : undefined,
    borderColor: p.colour,
  };
  const rows: [string, string][] = [
    ['shape', `${p.M} × ${p.N} × ${p.K}`],
    ['precision', p.a_precision === p.b_precision ? `${p.a_precision} → ${p.out_precision}` : `${p.a_precision} × ${p.b_precision} → ${p.out_precision}`],
    ['arithmetic intensity', `${formatNumber(p.ai)} FLOP/byte`],
    ['performance', `${formatNumber(p.tflops)} TFLOP/s`],
    ['time', formatTime(p.time_s)],
  ];
  if (p.roof) {
    rows.push(['roof here', `${formatNumber(p.roof.attainable_tflops)} TFLOP/s`]);
    rows.push(['% of roof', formatPercent(p.roof.fraction_of_roof)]);
    if (p.roof.fraction_of_roof_at_run_clock != null) rows.push(['% of roof at its clock', `${formatPercent(p.roof.fraction_of_roof_at_run_clock)} (${Math.round(p.clock_mhz ?? 0)} MHz; datasheet ${Math.round(p.roof.roof_clock_mhz ?? 0)})`]);
    rows.push(['bound', p.roof.bound === 'unknown' ? 'unknown (no published peak)' : p.roof.bound]);
  }
  if (p.measured) {
    const t = p.measured.timing;
    rows.push(['timing', `${t.mode}, median of ${t.samples} (spread ${formatPercent(t.relative_spread)})`]);
  }
  if (p.pacing) rows.push(['pacing, clock', `${p.pacing}${p.clock_mhz != null ? `, ${Math.round(p.clock_mhz)} MHz` : ''}`]);
  if (p.prediction) rows.push(['predicted', `${formatTime(p.prediction.time_s)} [${formatTime(p.prediction.interval_low_s)} – ${formatTime(p.prediction.interval_high_s)}]${p.prediction.calibrated ? ', calibrated' : ', uncalibrated'}`]);
  if (p.prediction_error != null) rows.push(['measured / predicted', formatNumber(p.prediction_error, 3)]);
  if (tel?.available) {
    if (tel.sm_clock_mean_mhz != null) rows.push(['SM clock', `${Math.round(tel.sm_clock_mean_mhz)} MHz mean${tel.sm_clock_min_mhz != null ? `, ${Math.round(tel.sm_clock_min_mhz)} min` : ''}`]);
    // Paced runs: the draw while the GEMMs ran (the rests between samples taken out) is the figure that matters.
    if (tel.gemm_power_w != null) rows.push(['power', `${formatNumber(tel.gemm_power_w, 3)} W while running${tel.power_limit_w != null ? ` (limit ${formatNumber(tel.power_limit_w, 3)})` : ''}`]);
    else if (tel.power_mean_w != null) {
      // Over a region under a second NVML's power reading lags the load: a hint, labelled as one.
      const short = tel.region_s != null && tel.region_s > 0 && tel.region_s < 1;
      rows.push(['power', `${formatNumber(tel.power_mean_w, 3)} W${short ? ' reading (lags over a short region)' : ''}${tel.power_limit_w != null ? ` of ${formatNumber(tel.power_limit_w, 3)}` : ''}`]);
    }
    if (tel.energy_per_gemm_j != null) rows.push(['energy / GEMM', `${formatNumber(tel.energy_per_gemm_j * 1e3, 3)} mJ`]);
    else if (tel.energy_source) rows.push(['energy / GEMM', tel.energy_source.startsWith('not measured') ? 'not measured (needs ≥ 1 s of telemetry)' : 'not given']);
    if (tel.temperature_max_c != null) rows.push(['temperature', `${Math.round(tel.temperature_max_c)} °C max`]);
    if (tel.throttle_reasons && tel.throttle_reasons.length > 0) rows.push(['throttled', tel.throttle_reasons.join(', ')]);
  } else if (p.source === 'measured' && tel && !tel.available) {
    rows.push(['clocks/power', tel.unavailable_reason ?? 'not available']);
  }
  return (
    <div className="tooltip" style={style} role="tooltip" data-testid="tooltip">
      <div className="tt-title" style={{ color: readableOn(p.colour, theme.bg) }}>
        {displayName(p.precision)} · {p.source}
        {pp.origin === 'local' ? ' (browser model)' : ''}
      </div>
      <div className="tt-sub">{p.hardware_key === hardware.key ? hardware.name : p.hardware_key}{pp.runId !== null ? ` · run #${pp.runId}` : ''}</div>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.message && <p className="tt-msg">{p.message}</p>}
    </div>
  );
}

function Legend(props: {
  inPlay: string[];
  hidden: string[];
  roofs: HardwareRoofs;
  compare: HardwareRoofs | null;
  measured: HardwareRoofs | null;
  theme: ChartTheme;
  dispatch: Dispatch<Action>;
}) {
  const { inPlay, hidden, roofs, dispatch, theme } = props;
  return (
    <div className="legend" role="group" aria-label="Legend: toggle precisions">
      {inPlay.map((p) => {
        const r = roofs.roofs.find((x) => x.precision === p);
        const on = !hidden.includes(p);
        const colour = isPrecisionName(p) ? info(p).colour : '#64748b';
        let detail = '';
        if (r?.available) detail = `${formatNumber(r.peak_tflops)} TFLOP/s · ridge ${formatNumber(r.ridge_ai, 3)}`;
        else if (r?.reason?.includes('no published')) detail = 'peak unknown';
        else if (r) detail = 'not supported';
        return (
          <button
            key={p}
            type="button"
            className={`legend-item${on ? '' : ' off'}`}
            aria-pressed={on}
            title={r?.reason ?? (on ? 'hide' : 'show')}
            onClick={() => dispatch({ type: 'toggleHidden', precision: p })}
            data-testid="legend-item"
            data-precision={p}
          >
            <span className="swatch" style={{ background: on ? colour : 'transparent', borderColor: colour }} aria-hidden="true" />
            <span className="legend-name" style={{ color: on ? readableOn(colour, theme.bg) : undefined }}>
              {displayName(p)}
            </span>
            {detail && <span className="legend-detail">{detail}</span>}
          </button>
        );
      })}
      <span className="legend-keys" aria-hidden="true">
        <svg width="14" height="14" viewBox="-7 -7 14 14">
          <circle r="5" fill="none" stroke="currentColor" strokeWidth="2" />
        </svg>
        measured
        <svg width="14" height="14" viewBox="-7 -7 14 14">
          <path d="M0,-6 L6,0 L0,6 L-6,0 Z" fill="none" stroke="currentColor" strokeWidth="1.6" strokeDasharray="3 2" />
        </svg>
        predicted
        <svg width="22" height="10" viewBox="0 0 22 10">
          <line x1="0" y1="9" x2="22" y2="1" stroke="currentColor" strokeWidth="2" />
        </svg>
        memory roof ({formatSI(roofs.memory_bandwidth_bytes_per_s ?? 0, 'B/s')})
        {props.compare && (
          <>
            <svg width="22" height="6" viewBox="0 0 22 6">
              <line x1="0" y1="3" x2="22" y2="3" stroke="currentColor" strokeWidth="1.5" strokeDasharray="3 4" />
            </svg>
            {shortName(props.compare.name)}
          </>
        )}
        {props.measured && (
          <>
            <svg width="22" height="6" viewBox="0 0 22 6">
              <line x1="0" y1="3" x2="22" y2="3" stroke="currentColor" strokeWidth="1.5" strokeDasharray="9 3 2 3" />
            </svg>
            measured roofs
          </>
        )}
      </span>
    </div>
  );
}
