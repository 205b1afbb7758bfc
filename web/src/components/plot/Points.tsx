// The points and their labels. Each marker is a focusable element with a spoken label; measured points are
// circles, predictions dashed diamonds, and a point from a GPU whose roofs are not drawn is faded.
import type { KeyboardEvent } from 'react';
import { readableOn } from '../../lib/colour';
import { formatNumber, formatPercent, formatShape, formatTime } from '../../lib/format';
import { displayName, type ChartLayout, type ChartPoint, type PlacedPoint } from '../../lib/plot/layout';
import type { Point } from '../../lib/types';
import type { ChartTheme } from '../theme';

interface Props {
  layout: ChartLayout;
  theme: ChartTheme;
  /** GPUs whose roofs are drawn: points of any other GPU are faded. */
  drawnGpus: string[];
  gpuName(key: string): string;
  activeId: string | null;
  onEnter(q: PlacedPoint): void;
  onLeave(q: PlacedPoint): void;
  onFocus(q: PlacedPoint): void;
  onBlur(q: PlacedPoint): void;
  onKey(q: PlacedPoint, e: KeyboardEvent<SVGGElement>): void;
}

export function Points(props: Props) {
  const { layout, theme, drawnGpus } = props;
  const faded = (p: Point) => !drawnGpus.includes(p.hardware_key);
  return (
    <g clipPath="url(#plot-clip)">
      {layout.pointLabels.map((l) => {
        const { q } = l;
        const p = q.p.point;
        return (
          <g key={`pl-${l.id}`} pointerEvents="none" opacity={faded(p) ? 0.5 : 1}>
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
            <text x={l.box.x + 1} y={l.box.y + 10} fontSize={11} fill={readableOn(p.colour, theme.bg)} stroke={theme.bg} strokeWidth={3} paintOrder="stroke" data-testid="point-label">
              {l.text}
            </text>
          </g>
        );
      })}
      {layout.onScreen.map((q) => (
        <PointMark
          key={q.p.id}
          q={q}
          theme={theme}
          label={describe(q.p, props.gpuName(q.p.point.hardware_key), q.group.length)}
          faded={faded(q.p.point)}
          active={props.activeId === q.p.id}
          onEnter={() => props.onEnter(q)}
          onLeave={() => props.onLeave(q)}
          onFocus={() => props.onFocus(q)}
          onBlur={() => props.onBlur(q)}
          onKey={(e) => props.onKey(q, e)}
        />
      ))}
    </g>
  );
}

function PointMark(props: {
  q: PlacedPoint;
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
  const { q, theme, active } = props;
  const pp = q.p;
  const p = pp.point;
  const measured = p.source === 'measured';
  const s = active ? 1.35 : 1;
  return (
    <g
      transform={`translate(${q.px},${q.py})`}
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
      data-hardware={p.hardware_key}
      data-compare={pp.derived ? 'true' : undefined}
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
          fill={pp.derived ? p.colour : theme.bg}
          fillOpacity={pp.derived ? 0.25 : 0.6}
          stroke={p.colour}
          strokeWidth={1.8}
          strokeDasharray={pp.derived ? '1.5 2' : '3 2'}
        />
      )}
    </g>
  );
}

function describe(pp: ChartPoint, gpu: string, together: number): string {
  const p = pp.point;
  return [
    `${p.source} ${formatShape(p.M, p.N, p.K)} ${displayName(p.precision)} on ${gpu}${pp.runId !== null ? `, run #${pp.runId}` : ''}`,
    `${formatNumber(p.tflops)} TFLOP/s`,
    `AI ${formatNumber(p.ai)} FLOP/byte`,
    `time ${formatTime(p.time_s)}`,
    p.bound ? `${p.bound}-bound` : '',
    p.roof?.fraction_of_roof != null && p.source === 'measured' ? `${formatPercent(p.roof.fraction_of_roof)} of roof` : '',
    together > 1 ? `${together - 1} more point${together > 2 ? 's' : ''} on the same spot` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
