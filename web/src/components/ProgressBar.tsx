// Progress of one analysis, fed by the server's event stream: one step per precision, the current one named.
import { info, isPrecisionName } from '../lib/precision';

export interface Progress {
  state: 'queued' | 'running' | 'done' | 'cancelled' | 'error';
  /** Precisions finished (running: the index of the one in progress). */
  index: number;
  total: number;
  precision: string;
  note: string;
}

export function ProgressBar({ progress }: { progress: Progress | null }) {
  if (!progress) return null;
  const { state, index, total, precision, note } = progress;
  const finished = state === 'done' ? total : index;
  const pct = total > 0 ? Math.round((finished / total) * 100) : 0;
  const name = precision && isPrecisionName(precision) ? info(precision).displayName : precision;
  const colour = precision && isPrecisionName(precision) ? info(precision).colour : undefined;
  let text = note;
  if (state === 'running') text = `Running ${name} — ${index + 1} of ${total}`;
  return (
    <div className={`card progress progress-${state}`} data-testid="progress">
      <div
        className="bar"
        role="progressbar"
        aria-label="Analysis progress"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={finished}
        aria-valuetext={text}
      >
        <div className="fill" style={{ width: `${pct}%`, background: colour }} />
        {state === 'running' &&
          Array.from({ length: Math.max(0, total - 1) }, (_, i) => (
            <span key={i} className="step" style={{ left: `${((i + 1) / total) * 100}%` }} aria-hidden="true" />
          ))}
      </div>
      <p className="progress-text" aria-live="polite">
        {text}
      </p>
    </div>
  );
}
