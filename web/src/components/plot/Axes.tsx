// The chart's frame: grid lines under everything, axes, ticks and axis titles over it.
import type { Ticks } from '../../lib/plot/geometry';
import type { Scale } from '../../lib/plot/layout';
import type { ChartTheme } from '../theme';

interface GridProps {
  theme: ChartTheme;
  x: Scale;
  y: Scale;
  xt: Ticks;
  yt: Ticks;
  W: number;
  H: number;
}

export function Grid({ theme, x, y, xt, yt, W, H }: GridProps) {
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

interface AxesProps extends GridProps {
  xLabels: number[];
  yLabels: number[];
  tickText(v: number): string;
}

export function Axes(props: AxesProps) {
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
