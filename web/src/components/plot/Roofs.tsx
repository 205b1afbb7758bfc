// The roofs: each GPU's memory slope and per-precision compute ceilings, their ridge points and labels, as laid
// out by lib/plot/layout.ts.
import { readableOn } from '../../lib/colour';
import { formatNumber } from '../../lib/format';
import { displayName, memoryRoofY, type ChartLayout } from '../../lib/plot/layout';
import type { Domain } from '../../lib/state';
import type { ChartTheme } from '../theme';

export function Roofs({ layout, domain, theme }: { layout: ChartLayout; domain: Domain; theme: ChartTheme }) {
  const { x, y, W, memLines, roofLines, memLabels, roofLabels } = layout;
  return (
    <g clipPath="url(#plot-clip)" pointerEvents="none">
      {memLines.map((m) => (
        <line
          key={`mem-${m.set.kind}`}
          x1={x(domain.x[0])}
          y1={y(memoryRoofY(domain.x[0], m.bw))}
          x2={x(m.xEnd)}
          y2={y(memoryRoofY(m.xEnd, m.bw))}
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
      {roofLines.map((l) => (
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
      {memLabels.map((lab) =>
        lab ? (
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
        ) : null,
      )}
      {roofLabels.map(({ group, xr, y: ly, w }) => (
        // A plate behind the text: a label pushed onto a neighbouring roof stays readable.
        <rect key={`rlb-${group[0]!.key}`} x={xr - w} y={ly - 10} width={w + 2} height={13} rx={2} fill={theme.bg} fillOpacity={0.88} />
      ))}
      {roofLabels.map(({ group, xr, y: ly }) => (
        <text
          key={`rl-${group[0]!.key}`}
          x={xr}
          y={ly}
          fontSize={11}
          textAnchor="end"
          stroke={theme.bg}
          strokeWidth={3}
          paintOrder="stroke"
          fontWeight={group[0]!.set.kind === 'datasheet' ? 600 : 400}
          data-testid="roof-label"
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
  );
}
