// The last analysis, one row per precision, in its colour; rows that did not pass say why and what to do.
import { readableOn } from '../lib/colour';
import { formatNumber, formatPercent, formatShape, formatTime } from '../lib/format';
import { info, isPrecisionName } from '../lib/precision';
import { gpuName } from '../lib/registry';
import type { Point } from '../lib/types';
import { useTheme } from './theme';

export interface ResultRow {
  precision: string;
  predicted?: Point;
  measured?: Point;
  error?: string;
  pending?: boolean;
  running?: boolean;
  cancelled?: boolean;
  /** Computed in the browser because the API was unreachable. */
  local?: boolean;
}

const DISPOSITION_TEXT: Record<string, string> = {
  passed: 'passed',
  failed: 'failed',
  not_run: 'not run',
  incorrect: 'wrong result',
  not_verified: 'not verified',
  invalid_problem: 'invalid',
  not_supported: 'not supported',
};

/**
 * The answer's warnings (e.g. an unknown GPU given a stand-in's roofs, `hardware.matched_by`), above the rows:
 * the figures below rest on them.
 */
export function AnswerWarnings({ warnings }: { warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <div className="banner notice" role="status" data-testid="answer-warnings">
      <strong>{warnings.length === 1 ? 'Warning' : `${warnings.length} warnings`}</strong>
      <ul>
        {warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}

/** The rows say which GPU they are for themselves: the form may have moved on, or a History run been plotted. */
export function ResultsList({ rows, warnings = [] }: { rows: ResultRow[]; warnings?: readonly string[] }) {
  const theme = useTheme();
  if (rows.length === 0) {
    return (
      <div className="card results empty">
        <h2>Results</h2>
        <AnswerWarnings warnings={warnings} />
        <p className="muted small">Run an analysis: each precision gets a row here and a point on the chart.</p>
      </div>
    );
  }
  const shapeOf = rows.find((r) => r.measured ?? r.predicted);
  const p0 = shapeOf?.measured ?? shapeOf?.predicted;
  return (
    <div className="card results">
      <h2>
        Results{' '}
        {p0 && (
          <span className="hint">
            {formatShape(p0.M, p0.N, p0.K)} on {gpuName(p0.hardware_key)}
          </span>
        )}
      </h2>
      <AnswerWarnings warnings={warnings} />
      <ul aria-label="Results per precision" data-testid="results">
        {rows.map((r) => {
          const main = r.measured ?? r.predicted;
          const colour = main?.colour ?? (isPrecisionName(r.precision) ? info(r.precision).colour : '#64748b');
          const disposition = r.error ? 'failed' : main?.disposition ?? (r.cancelled ? 'not_run' : 'pending');
          const label = main?.precision ?? r.precision;
          return (
            <li
              key={r.precision}
              className={`result d-${disposition}`}
              style={{ borderLeftColor: colour }}
              data-testid="result-row"
              data-precision={r.precision}
              data-disposition={disposition}
            >
              <div className="result-head">
                <span className="name" style={{ color: readableOn(colour, theme.page) }}>
                  {isPrecisionName(label) ? info(label).displayName : label}
                </span>
                {r.pending && <span className="badge">waiting</span>}
                {r.running && <span className="badge running">running…</span>}
                {r.cancelled && <span className="badge">cancelled</span>}
                {main && main.disposition !== 'passed' && (
                  <span className={`badge bad`}>{DISPOSITION_TEXT[main.disposition] ?? main.disposition}</span>
                )}
                {main?.bound && main.disposition === 'passed' && (
                  <span className={`badge bound-${main.bound}`} title="which roof limits it">
                    {main.bound === 'unknown' ? 'peak unknown' : `${main.bound}-bound`}
                  </span>
                )}
                {r.local && <span className="badge" title="computed in the browser: the API was unreachable">local</span>}
              </div>
              {main && main.tflops !== null && (
                <dl className="figures">
                  <div>
                    <dt>{r.measured ? 'measured' : 'predicted'}</dt>
                    <dd>
                      {formatNumber(main.tflops)} <span className="unit">TFLOP/s</span>
                    </dd>
                  </div>
                  <div>
                    <dt>time</dt>
                    <dd>{formatTime(main.time_s)}</dd>
                  </div>
                  <div>
                    <dt>AI</dt>
                    <dd>
                      {formatNumber(main.ai)} <span className="unit">FLOP/B</span>
                    </dd>
                  </div>
                  {r.measured && (
                    <div>
                      <dt>of roof</dt>
                      <dd>{formatPercent(r.measured.roof?.fraction_of_roof)}</dd>
                    </div>
                  )}
                  {r.measured && r.predicted?.tflops != null && (
                    <div>
                      <dt>predicted</dt>
                      <dd>{formatNumber(r.predicted.tflops)}</dd>
                    </div>
                  )}
                </dl>
              )}
              {(r.error || (main && main.message)) && <p className="message">{r.error ?? main?.message}</p>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
