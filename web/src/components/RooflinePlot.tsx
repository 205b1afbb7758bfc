// The roofline chart. lib/plot/layout.ts computes every position (tested on its own); the views in
// components/plot/ draw it as plain SVG elements with their colours as attributes (the exported SVG and PNG look
// exactly like the screen, in either scheme), and points are real focusable elements with spoken labels.
// This file wires the state to them: what is shown, hover and pinning, zoom, export and undo.
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type KeyboardEvent } from 'react';
import { comparisonRows } from '../lib/compare';
import { pointsCsv } from '../lib/csv';
import { formatNumber, formatTick } from '../lib/format';
import type { HardwareEntry } from '../lib/hardware';
import { zoomDomain } from '../lib/plot/geometry';
import type { LegendEntry } from '../lib/plot/exportLegend';
import {
  MARGIN,
  autoDomain,
  displayName,
  fitPointsDomain,
  layoutChart,
  precisionOrder,
  shortName,
  type ChartPoint,
  type PlacedPoint,
  type RoofSet,
} from '../lib/plot/layout';
import { gpuName } from '../lib/registry';
import type { Action, Domain, PlotPoint } from '../lib/state';
import type { HardwareRoofs } from '../lib/types';
import { useBrushZoom } from '../hooks/useBrushZoom';
import { downloadBlob, svgToPngBlob } from './download';
import { Axes, Grid } from './plot/Axes';
import { CompareTable } from './plot/CompareTable';
import { exportSvgText } from './plot/exportChart';
import { Legend } from './plot/Legend';
import { Points } from './plot/Points';
import { Roofs } from './plot/Roofs';
import { Toolbar } from './plot/Toolbar';
import { Tooltip } from './plot/Tooltip';
import { useTheme } from './theme';

interface Props {
  points: PlotPoint[];
  hidden: string[];
  formPrecisions: string[];
  roofs: HardwareRoofs;
  measuredRoofs: HardwareRoofs | null;
  compareRoofs: HardwareRoofs | null;
  /** The comparison GPU's registry entry: its points are predicted again from it. */
  compareEntry: HardwareEntry | null;
  compareKey: string | null;
  hardwareOptions: readonly HardwareEntry[];
  view: Domain | null;
  onlyGpu: string | null;
  hasMeasured: boolean;
  dispatch: Dispatch<Action>;
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const UNDO_MS = 15000;

export function RooflinePlot(props: Props) {
  const { points, hidden, formPrecisions, roofs, measuredRoofs, compareRoofs, compareEntry, view, onlyGpu, dispatch } = props;
  const theme = useTheme();
  const wrapRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const [size, setSize] = useState({ w: 800, h: 460 });
  const [hover, setHover] = useState<{ id: string; pinned: boolean } | null>(null);
  const [undo, setUndo] = useState<{ text: string; points: PlotPoint[] } | null>(null);

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

  useEffect(() => {
    if (!undo) return;
    const t = window.setTimeout(() => setUndo(null), UNDO_MS);
    return () => window.clearTimeout(t);
  }, [undo]);

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

  // Compare for real: the primary GPU's shapes predicted again for the second GPU, drawn and tabled.
  const comparison = useMemo(
    () => (compareEntry ? comparisonRows(points, roofs.key, compareEntry) : []),
    [points, roofs.key, compareEntry],
  );
  const chartPoints: ChartPoint[] = useMemo(() => {
    const derived: ChartPoint[] = comparison.map((r) => ({ id: `cmp|${r.key}`, point: r.other, origin: 'local', runId: null, addedAt: 0, derived: true }));
    return [...derived, ...points].filter(
      (p) => !hidden.includes(p.point.a_precision) && (onlyGpu === null || p.point.hardware_key === onlyGpu),
    );
  }, [comparison, points, hidden, onlyGpu]);
  const gpusOnChart = useMemo(() => [...new Set(points.map((p) => p.point.hardware_key))], [points]);

  const initial = useMemo(() => autoDomain(chartPoints, roofSets, shown), [chartPoints, roofSets, shown.join()]); // eslint-disable-line react-hooks/exhaustive-deps
  const domain = view ?? initial;
  const layout = layoutChart({ width: size.w, height: size.h, domain, roofSets, shown, points: chartPoints, gpuName });
  const { W, H, x, y } = layout;
  const setView = useCallback((v: Domain | null) => dispatch({ type: 'setView', view: v }), [dispatch]);
  const { brush, handlers } = useBrushZoom({ target: wrapRef, svg: svgRef, margin: MARGIN, W, H, x, y, domain, setView });

  const hovered = hover ? layout.onScreen.find((q) => q.p.id === hover.id) : undefined;
  const fitPoints = () => setView(fitPointsDomain(chartPoints));

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return;
    const centre = { x: Math.sqrt(domain.x[0] * domain.x[1]), y: Math.sqrt(domain.y[0] * domain.y[1]) };
    if (e.key === '+' || e.key === '=') setView(zoomDomain(domain, 0.7, centre));
    else if (e.key === '-' || e.key === '_') setView(zoomDomain(domain, 1 / 0.7, centre));
    else if (e.key === '0') setView(null);
    else if (e.key === 'f' || e.key === 'F') fitPoints();
    else return;
    e.preventDefault();
  };

  // --- clearing, with an undo --------------------------------------------------------------------------
  const clear = (which: 'all' | 'measured') => {
    const gone = which === 'all' ? points : points.filter((p) => p.point.source === 'measured');
    dispatch({ type: which === 'all' ? 'clearAll' : 'clearMeasured' });
    setHover(null);
    setUndo({ text: `Cleared ${gone.length} ${which === 'measured' ? 'measured ' : ''}point${gone.length === 1 ? '' : 's'}.`, points: gone });
  };

  // --- export -------------------------------------------------------------------------------------------
  const stamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const gpuTitle = [roofs.name, ...(compareRoofs ? [compareRoofs.name] : [])];
  const exportEntries = (): LegendEntry[] => {
    const entries: LegendEntry[] = layout.roofLines
      .filter((l) => l.set.kind === 'datasheet')
      .map((l) => ({ mark: 'swatch', colour: l.colour, text: `${displayName(l.precision)} ${formatNumber(l.peak)} TFLOP/s` }));
    const sources = new Set(layout.onScreen.map((q) => q.p.point.source));
    if (sources.has('measured')) entries.push({ mark: 'measured', colour: theme.fg, text: 'measured' });
    if (sources.has('predicted')) entries.push({ mark: 'predicted', colour: theme.fg, text: 'predicted' });
    entries.push({ mark: 'line', colour: theme.memRoof, text: `memory roof, ${shortName(roofs.name)}` });
    for (const s of roofSets.slice(1)) entries.push({ mark: 'dashed', colour: theme.fg, dash: s.dash, text: s.kind === 'measured' ? 'measured roofs' : `roofs of ${s.hw.name}` });
    return entries;
  };
  const svgText = () =>
    exportSvgText({ svg: svgRef.current!, width: size.w, height: size.h, theme, entries: exportEntries(), gpus: gpuTitle, points: layout.onScreen.length });
  const exportCsv = () =>
    downloadBlob(new Blob([pointsCsv(points.map((p) => p.point))], { type: 'text/csv' }), `roofline-points-${stamp()}.csv`);
  const exportSvg = () => downloadBlob(new Blob([svgText().text], { type: 'image/svg+xml' }), `roofline-${stamp()}.svg`);
  const exportPng = async () => {
    const { text, height } = svgText();
    downloadBlob(await svgToPngBlob(text, size.w, height, 2), `roofline-${stamp()}.png`);
  };

  const title = gpuTitle.join('  vs  ');
  const hoverOn = (q: PlacedPoint, pinned: boolean) => setHover({ id: q.p.id, pinned });

  return (
    <div className="card plot-card">
      <Toolbar
        canFit={chartPoints.length > 0}
        onFit={fitPoints}
        viewSet={view !== null}
        onReset={() => setView(null)}
        compareKey={props.compareKey}
        compareOptions={props.hardwareOptions.filter((h) => h.key !== roofs.key)}
        onCompare={(key) => dispatch({ type: 'setCompare', key })}
        points={points.length}
        onCsv={exportCsv}
        onPng={() => void exportPng()}
        onSvg={exportSvg}
        hasMeasured={props.hasMeasured}
        onClearMeasured={() => clear('measured')}
        onClearAll={() => clear('all')}
        undo={undo && { text: undo.text, onUndo: () => (dispatch({ type: 'restorePoints', points: undo.points }), setUndo(null)) }}
      />

      <div
        className="plot-wrap"
        ref={wrapRef}
        tabIndex={0}
        onKeyDown={onKey}
        aria-label="Roofline chart: + and − or the mouse wheel zoom, 0 resets the view, F fits the points; drag to zoom into a region; Tab moves through the points"
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
          data-domain={`${domain.x.join(',')};${domain.y.join(',')}`}
        >
          <title id="plot-title">Roofline of {title}: {layout.onScreen.length} points</title>
          <rect width={size.w} height={size.h} fill={theme.bg} />
          <text x={MARGIN.left} y={18} fontSize={12.5} fontWeight={600} fill={theme.fg}>
            {title}
            {onlyGpu && onlyGpu !== roofs.key ? ` · showing only ${gpuName(onlyGpu)}` : ''}
          </text>
          <g transform={`translate(${MARGIN.left},${MARGIN.top})`}>
            <defs>
              <clipPath id="plot-clip">
                <rect width={W} height={H} />
              </clipPath>
            </defs>
            <Grid theme={theme} x={x} y={y} xt={layout.xt} yt={layout.yt} W={W} H={H} />
            <rect
              width={W}
              height={H}
              fill="transparent"
              data-export="skip"
              style={{ cursor: 'crosshair' }}
              {...handlers}
              onDoubleClick={() => setView(null)}
            />
            <Roofs layout={layout} domain={domain} theme={theme} />
            <Points
              layout={layout}
              theme={theme}
              drawnGpus={[roofs.key, ...(compareRoofs ? [compareRoofs.key] : [])]}
              gpuName={gpuName}
              activeId={hover?.id ?? null}
              onEnter={(q) => hoverOn(q, false)}
              onLeave={(q) => setHover((h) => (h?.id === q.p.id && !h.pinned ? null : h))}
              onFocus={(q) => hoverOn(q, true)}
              onBlur={(q) => setHover((h) => (h?.id === q.p.id ? null : h))}
              onKey={(q, e) => {
                if (e.key === 'Escape') setHover(null);
                if ((e.key === 'Delete' || e.key === 'Backspace') && !q.p.derived) dispatch({ type: 'removePoint', id: q.p.id });
              }}
            />
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
            <Axes theme={theme} x={x} y={y} xt={layout.xt} yt={layout.yt} xLabels={layout.xLabels} yLabels={layout.yLabels} tickText={formatTick} W={W} H={H} />
          </g>
        </svg>
        {hovered && (
          <Tooltip
            group={[hovered.p, ...hovered.group.filter((p) => p !== hovered.p)]}
            left={hovered.px + MARGIN.left}
            top={hovered.py + MARGIN.top}
            width={size.w}
            height={size.h}
            theme={theme}
            gpuName={gpuName}
            onShowOnlyGpu={gpusOnChart.length > 1 ? (key) => (dispatch({ type: 'setOnlyGpu', key }), setHover(null)) : null}
          />
        )}
        {layout.onScreen.length === 0 && (
          <p className="plot-empty">
            {points.length === 0
              ? 'No points yet: analyze a GEMM and its points land here. Roofs show for the precisions you pick.'
              : chartPoints.length === 0
                ? 'Every point is hidden: toggle precisions (or GPUs) in the legend below.'
                : 'No point in this view: Reset view or Zoom to fit.'}
          </p>
        )}
      </div>
      <Legend
        inPlay={inPlay}
        hidden={hidden}
        roofs={roofs}
        compare={compareRoofs}
        measured={measuredRoofs}
        gpus={gpusOnChart}
        onlyGpu={onlyGpu}
        gpuName={gpuName}
        theme={theme}
        dispatch={dispatch}
      />
      {compareRoofs && <CompareTable rows={comparison} primary={roofs.name} other={compareRoofs.name} />}
    </div>
  );
}
