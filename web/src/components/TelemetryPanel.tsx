// Live GPU telemetry (GET /api/telemetry/stream) while a benchmark runs, or on demand; shown only when the
// server reports NVML, otherwise one line saying why there is none.
import { useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../lib/api';
import { formatNumber } from '../lib/format';
import type { Health, TelemetrySample } from '../lib/types';

interface Props {
  api: ApiClient;
  health: Health | null;
  running: boolean;
}

const KEEP = 120;

export function TelemetryPanel({ api, health, running }: Props) {
  const [live, setLive] = useState(false);
  const [samples, setSamples] = useState<TelemetrySample[]>([]);
  const [error, setError] = useState('');
  const available = health?.nvml.available === true;
  const watching = available && (live || running);
  const ctrlRef = useRef<AbortController | null>(null);

  useEffect(() => {
    if (!watching) return;
    const ctrl = new AbortController();
    ctrlRef.current = ctrl;
    setError('');
    api
      .telemetryStream((s) => setSamples((xs) => [...xs.slice(-(KEEP - 1)), s]), ctrl.signal)
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      });
    return () => ctrl.abort();
  }, [api, watching]);

  if (!health) return null;
  if (!available) {
    return (
      <section className="card telemetry" aria-labelledby="tel-h">
        <h2 id="tel-h">GPU telemetry</h2>
        <p className="muted small">{health.nvml.reason || 'NVML not available on the server.'}</p>
      </section>
    );
  }
  const last = samples[samples.length - 1];
  return (
    <section className="card telemetry" aria-labelledby="tel-h" data-testid="telemetry">
      <h2 id="tel-h">
        GPU telemetry <span className="hint">{watching ? 'live' : 'paused'}</span>
      </h2>
      <label className="check">
        <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
        Watch continuously (otherwise only while a benchmark runs)
      </label>
      {error && <p className="error">{error}</p>}
      <dl className="tel-grid" aria-live="off">
        <Metric name="SM clock" unit="MHz" values={samples.map((s) => s.sm_clock_mhz)} />
        <Metric name="memory clock" unit="MHz" values={samples.map((s) => s.mem_clock_mhz)} />
        <Metric name="power" unit="W" values={samples.map((s) => s.power_w)} />
        <Metric name="temperature" unit="°C" values={samples.map((s) => s.temperature_c)} />
        <Metric name="utilization" unit="%" values={samples.map((s) => s.utilization_pct)} />
      </dl>
      {last && last.throttle_reasons.length > 0 && <p className="warn small">Throttling: {last.throttle_reasons.join(', ')}</p>}
    </section>
  );
}

function Metric({ name, unit, values }: { name: string; unit: string; values: (number | null)[] }) {
  const v = values.filter((x): x is number => x !== null);
  const last = v[v.length - 1];
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const path = v
    .map((x, i) => `${i === 0 ? 'M' : 'L'}${((i / Math.max(1, v.length - 1)) * 100).toFixed(1)},${(hi > lo ? 20 - ((x - lo) / (hi - lo)) * 18 - 1 : 10).toFixed(1)}`)
    .join(' ');
  return (
    <div className="metric">
      <dt>{name}</dt>
      <dd>
        {last === undefined ? '—' : `${formatNumber(last, 4)} ${unit}`}
        {v.length > 1 && (
          <svg viewBox="0 0 100 20" preserveAspectRatio="none" className="spark" aria-hidden="true">
            <path d={path} fill="none" stroke="currentColor" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
          </svg>
        )}
      </dd>
    </div>
  );
}
