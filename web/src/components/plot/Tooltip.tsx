// The tooltip of one spot on the chart: every point on it (coincident points are listed together, the one under
// the pointer first), each with its GPU and run, and "Show only this GPU" when points of several GPUs are drawn.
import { readableOn } from '../../lib/colour';
import { formatNumber, formatPercent, formatTime } from '../../lib/format';
import { displayName, type ChartPoint } from '../../lib/plot/layout';
import type { Point } from '../../lib/types';
import type { ChartTheme } from '../theme';

/** How many of the points on one spot get their full figures; the rest are named. */
const MAX_DETAILED = 4;

export function tooltipRows(p: Point): [string, string][] {
  const tel = p.measured?.telemetry;
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
  return rows;
}

interface Props {
  /** The points on this spot, the one under the pointer first. */
  group: ChartPoint[];
  left: number;
  top: number;
  width: number;
  height: number;
  theme: ChartTheme;
  gpuName(key: string): string;
  /** Offered when points of more than one GPU are on the chart. */
  onShowOnlyGpu: ((key: string) => void) | null;
}

export function Tooltip({ group, left, top, width, height, theme, gpuName, onShowOnlyGpu }: Props) {
  const first = group[0]!.point;
  const flipX = left > width * 0.58;
  const flipY = top > height * 0.55;
  const style = {
    left: flipX ? undefined : left + 14,
    right: flipX ? width - left + 14 : undefined,
    top: flipY ? undefined : top + 10,
    bottom: flipY ? height - top + 10 : undefined,
    borderColor: first.colour,
  };
  const detailed = group.slice(0, MAX_DETAILED);
  const rest = group.slice(MAX_DETAILED);
  const gpus = [...new Set(group.map((pp) => pp.point.hardware_key))];
  return (
    <div className="tooltip" style={style} role="tooltip" data-testid="tooltip">
      {group.length > 1 && <div className="tt-count">{group.length} points on this spot</div>}
      {detailed.map((pp, i) => {
        const p = pp.point;
        return (
          <section key={pp.id} className={i > 0 ? 'tt-more' : undefined} data-testid="tooltip-point">
            <div className="tt-title" style={{ color: readableOn(p.colour, theme.bg) }}>
              {displayName(p.precision)} · {p.source}
              {pp.origin === 'local' ? ' (browser model)' : ''}
              {pp.derived ? ' (for the comparison)' : ''}
            </div>
            <div className="tt-sub" data-testid="tooltip-gpu">
              {gpuName(p.hardware_key)}
              {pp.runId !== null ? ` · run #${pp.runId}` : ''}
            </div>
            <table>
              <tbody>
                {tooltipRows(p).map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    <td>{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {p.message && <p className="tt-msg">{p.message}</p>}
          </section>
        );
      })}
      {rest.length > 0 && (
        <p className="tt-msg">
          also here: {rest.map((pp) => `${displayName(pp.point.precision)} ${pp.point.source}${pp.runId !== null ? ` #${pp.runId}` : ''}`).join(', ')}
        </p>
      )}
      {onShowOnlyGpu && (
        <div className="tt-actions">
          {gpus.map((k) => (
            // mousedown would move the focus off the point and close the tooltip before the click lands.
            <button key={k} type="button" className="link" onMouseDown={(e) => e.preventDefault()} onClick={() => onShowOnlyGpu(k)}>
              Show only {gpuName(k)}
            </button>
          ))}
        </div>
      )}
      <p className="tt-hint">{onShowOnlyGpu ? 'Click a point to keep this open. ' : ''}Esc closes.</p>
    </div>
  );
}
