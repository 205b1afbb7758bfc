// Kernel spot check: FLOPs and bytes (or an op and its sizes) and a measured time; the answer, and the point
// lands on the same roofline chart.
import { useState } from 'react';
import { ApiError } from '../lib/api';
import { formatSI } from '../lib/format';
import type { HardwareEntry } from '../lib/hardware';
import type { Point } from '../lib/types';
import { SPOT_OPS, SPOT_SIZES, parseDuration, spotPoint, type SpotRequest, type SpotResult, type WorkloadClient } from '../lib/workloads';

interface Props {
  client: WorkloadClient;
  online: boolean;
  hardware: HardwareEntry;
  onPoints(points: Point[]): void;
}

export function SpotCheck({ client, online, hardware, onPoints }: Props) {
  const [op, setOp] = useState('gemm');
  const [sizes, setSizes] = useState<Record<string, string>>({ m: '4096', n: '4096', k: '4096' });
  const [time, setTime] = useState('200us');
  const [precision, setPrecision] = useState('BF16');
  const [result, setResult] = useState<SpotResult | null>(null);
  const [error, setError] = useState('');

  const run = async () => {
    setError('');
    const t = parseDuration(time);
    if (!Number.isFinite(t)) return setError('time: give a positive time such as 12.5us, 1.2ms or 3e-5');
    const req: SpotRequest = { op, time_s: t, precision, hardware_key: hardware.key };
    for (const f of SPOT_SIZES[op] ?? []) {
      const v = sizes[f];
      if (v !== undefined && v !== '') req[f] = Number(v);
    }
    try {
      const a = await client.spot(req);
      setResult(a.spot);
      onPoints([spotPoint(a.spot, `spot ${op} ${formatSI(t, 's')}`)]);
    } catch (e) {
      setResult(null);
      setError(e instanceof ApiError ? `${e.field ? `${e.field}: ` : ''}${e.message}` : String(e));
    }
  };

  return (
    <div className="workload" data-testid="spot-check">
      <div className="row">
        <label>
          Op
          <select value={op} onChange={(e) => setOp(e.target.value)} data-testid="spot-op">
            {SPOT_OPS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Precision
          <input value={precision} onChange={(e) => setPrecision(e.target.value)} data-testid="spot-precision" />
        </label>
        <label>
          Measured time
          <input value={time} onChange={(e) => setTime(e.target.value)} data-testid="spot-time" />
        </label>
      </div>
      <div className="row">
        {(SPOT_SIZES[op] ?? []).map((f) => (
          <label key={f}>
            {f}
            <input
              value={sizes[f] ?? ''}
              data-testid={`spot-${f}`}
              onChange={(e) => setSizes((s) => ({ ...s, [f]: e.target.value }))}
            />
          </label>
        ))}
      </div>
      <button type="button" className="primary" disabled={!online} onClick={() => void run()} data-testid="spot-run">
        Place it on the roofline
      </button>
      {!online && <p className="hint">The spot check needs the server.</p>}
      {error && (
        <p className="error" role="alert" data-testid="spot-error">
          {error}
        </p>
      )}
      {result && (
        <dl className="spot-result" data-testid="spot-result">
          <dt>AI</dt>
          <dd>{result.ai.toFixed(2)} FLOP/B</dd>
          <dt>Achieved</dt>
          <dd>
            {(result.achieved_flops_per_s / 1e12).toFixed(2)} TFLOP/s · {(result.achieved_bytes_per_s / 1e9).toFixed(1)} GB/s
          </dd>
          <dt>Bound</dt>
          <dd>{result.bound}</dd>
          <dt>% of roof</dt>
          <dd data-testid="spot-fraction">
            {result.fraction_of_roof === null ? '–' : `${(result.fraction_of_roof * 100).toFixed(1)}%`}
          </dd>
          <dt>Roof allows</dt>
          <dd>
            {formatSI(result.roof_time_s, 's')} (headroom {result.headroom.toFixed(2)}×)
          </dd>
          <dd className="hint">{result.message}</dd>
        </dl>
      )}
    </div>
  );
}
