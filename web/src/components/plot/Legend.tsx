// Under the chart: one toggle per precision (with its peak and ridge), the marker and line keys, and, when the
// chart holds points of more than one GPU, "show only this GPU".
import type { Dispatch } from 'react';
import { readableOn } from '../../lib/colour';
import { formatNumber, formatSI } from '../../lib/format';
import { displayName, shortName } from '../../lib/plot/layout';
import { info, isPrecisionName } from '../../lib/precision';
import type { Action } from '../../lib/state';
import type { HardwareRoofs } from '../../lib/types';
import type { ChartTheme } from '../theme';

interface Props {
  inPlay: string[];
  hidden: string[];
  roofs: HardwareRoofs;
  compare: HardwareRoofs | null;
  measured: HardwareRoofs | null;
  /** Every GPU with a point on the chart, and the one shown alone (null: all). */
  gpus: string[];
  onlyGpu: string | null;
  gpuName(key: string): string;
  theme: ChartTheme;
  dispatch: Dispatch<Action>;
}

export function Legend(props: Props) {
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
            {shortName(props.compare.name)} (roofs; its predicted points filled)
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
      {(props.gpus.length > 1 || props.onlyGpu) && (
        <span className="legend-gpus" role="group" aria-label="GPUs on the chart" data-testid="legend-gpus">
          GPUs:
          <button type="button" className="legend-item" aria-pressed={props.onlyGpu === null} onClick={() => dispatch({ type: 'setOnlyGpu', key: null })}>
            all
          </button>
          {props.gpus.map((k) => (
            <button
              key={k}
              type="button"
              className="legend-item"
              aria-pressed={props.onlyGpu === k}
              title={`show only the points of ${props.gpuName(k)}`}
              onClick={() => dispatch({ type: 'setOnlyGpu', key: props.onlyGpu === k ? null : k })}
            >
              only {shortName(props.gpuName(k))}
            </button>
          ))}
        </span>
      )}
    </div>
  );
}
