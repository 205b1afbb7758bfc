// The model view: pick a preset or paste a config.json, tokens and phase; every GEMM of the forward pass goes
// on the roofline and a breakdown chart shows the time per GEMM, one column per precision scheme.
import { useEffect, useState } from 'react';
import { ApiError } from '../lib/api';
import { formatSI } from '../lib/format';
import type { HardwareEntry } from '../lib/hardware';
import type { Point } from '../lib/types';
import {
  MODEL_SCHEMES,
  breakdown,
  forwardInterval,
  modelPoints,
  type ModelAnswer,
  type ModelConfigSummary,
  type ModelRequest,
  type WorkloadClient,
} from '../lib/workloads';

interface Props {
  client: WorkloadClient;
  online: boolean;
  hardware: HardwareEntry;
  onPoints(points: Point[]): void;
}

const PASTE = '(paste a config.json)';

export function ModelView({ client, online, hardware, onPoints }: Props) {
  const [presets, setPresets] = useState<ModelConfigSummary[]>([]);
  const [model, setModel] = useState('llama-3.1-8b');
  const [config, setConfig] = useState('');
  const [tokens, setTokens] = useState('2048');
  const [batch, setBatch] = useState('1');
  const [phase, setPhase] = useState<'prefill' | 'decode'>('decode');
  const [schemes, setSchemes] = useState<string[]>(['BF16', 'FP8']);
  const [answer, setAnswer] = useState<ModelAnswer | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!online) return;
    client.presets().then(setPresets).catch(() => setPresets([]));
  }, [client, online]);

  const run = async () => {
    setError('');
    const t = Number(tokens);
    const b = Number(batch);
    if (!Number.isInteger(t) || t < 1) return setError('tokens must be a whole number of at least 1');
    if (!Number.isInteger(b) || b < 1) return setError('batch must be a whole number of at least 1');
    if (schemes.length === 0) return setError('pick at least one precision');
    const req: ModelRequest = { tokens: t, batch: b, phase, precisions: schemes, hardware_key: hardware.key };
    if (model === PASTE) {
      try {
        req.config = JSON.parse(config);
      } catch (e) {
        return setError(`the pasted config is not JSON: ${String(e)}`);
      }
    } else {
      req.model = model;
    }
    setBusy(true);
    try {
      const a = await client.model(req);
      setAnswer(a);
      onPoints(a.precisions.flatMap((e) => modelPoints(e, hardware, a.model.name)));
    } catch (e) {
      setAnswer(null);
      setError(e instanceof ApiError ? `${e.field ? `${e.field}: ` : ''}${e.message}` : String(e));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (s: string) => setSchemes((xs) => (xs.includes(s) ? xs.filter((x) => x !== s) : [...xs, s]));

  return (
    <div className="workload" data-testid="model-view">
      {!online && <p className="hint">The model view needs the server (the GEMMs are derived there).</p>}
      <label>
        Model
        <select value={model} onChange={(e) => setModel(e.target.value)} data-testid="model-preset">
          {presets.map((p) => (
            <option key={p.key} value={p.key}>
              {p.name}
            </option>
          ))}
          {presets.length === 0 && <option value="llama-3.1-8b">Llama-3.1-8B</option>}
          <option value={PASTE}>{PASTE}</option>
        </select>
      </label>
      {model === PASTE && (
        <textarea
          aria-label="config.json"
          data-testid="model-config"
          rows={6}
          value={config}
          placeholder='{"model_type": "llama", "hidden_size": 4096, ...}'
          onChange={(e) => setConfig(e.target.value)}
        />
      )}
      <div className="row">
        <label>
          Phase
          <select value={phase} onChange={(e) => setPhase(e.target.value as 'prefill' | 'decode')} data-testid="model-phase">
            <option value="prefill">prefill</option>
            <option value="decode">decode</option>
          </select>
        </label>
        <label>
          {phase === 'prefill' ? 'Tokens per sequence' : 'Cached tokens'}
          <input value={tokens} onChange={(e) => setTokens(e.target.value)} inputMode="numeric" data-testid="model-tokens" />
        </label>
        <label>
          Batch
          <input value={batch} onChange={(e) => setBatch(e.target.value)} inputMode="numeric" data-testid="model-batch" />
        </label>
      </div>
      <fieldset className="schemes">
        <legend>Precisions</legend>
        {MODEL_SCHEMES.map((s) => (
          <label key={s} className="check">
            <input type="checkbox" checked={schemes.includes(s)} onChange={() => toggle(s)} /> {s}
          </label>
        ))}
      </fieldset>
      <button type="button" className="primary" disabled={busy || !online} onClick={() => void run()} data-testid="model-run">
        {busy ? 'Deriving…' : 'Show the model’s GEMMs'}
      </button>
      {error && (
        <p className="error" role="alert" data-testid="model-error">
          {error}
        </p>
      )}
      {answer && <ModelResult answer={answer} />}
    </div>
  );
}

function ModelResult({ answer }: { answer: ModelAnswer }) {
  const maxSeconds = Math.max(...answer.precisions.flatMap((e) => breakdown(e).map((b) => b.seconds)), 1e-30);
  return (
    <div className="model-result" data-testid="model-result">
      <p className="hint">
        {answer.model.name}, {answer.step.phase}: {answer.step.tokens_in_step} tokens in the step · {answer.backend}
      </p>
      <div className="breakdown" data-testid="model-breakdown">
        {answer.precisions.map((e) => (
          <div key={e.scheme.name} className="breakdown-col" data-testid={`breakdown-${e.scheme.name}`}>
            <h4>{e.scheme.name}</h4>
            <p className="totals">
              forward {formatSI(e.totals.forward.predicted_s, 's')}
              <IntervalText estimate={e} /> · per token {formatSI(e.totals.per_token.predicted_s, 's')}
              {e.totals.forward.measured_s !== null && ` · measured ${formatSI(e.totals.forward.measured_s, 's')}`}
            </p>
            <p className="totals">
              dominant: <strong>{e.dominant.name}</strong> ({(e.dominant.share * 100).toFixed(0)}%) · weights{' '}
              {formatSI(e.memory.weight_bytes, 'B')}
              {e.memory.fits === false && <strong className="warn"> do not fit</strong>}
            </p>
            <svg width="100%" height={breakdown(e).length * 16} role="img" aria-label={`time per GEMM, ${e.scheme.name}`}>
              {breakdown(e).map((b, i) => (
                <g key={b.name} transform={`translate(0, ${i * 16})`}>
                  <title>{`${b.name}: ${formatSI(b.seconds, 's')} per forward (${(b.share * 100).toFixed(1)}%)${gemmInterval(e, b.name)}`}</title>
                  <rect
                    x="45%"
                    y={2}
                    height={12}
                    width={`${(b.seconds / maxSeconds) * 55}%`}
                    fill={b.role === 'attention' ? '#94a3b8' : '#3b82f6'}
                  />
                  <text x="44%" y={12} fontSize={10} textAnchor="end" fill="currentColor">
                    {b.name}
                  </text>
                </g>
              ))}
            </svg>
          </div>
        ))}
      </div>
    </div>
  );
}

/** The predicted forward's p10-p90 interval (the model's calibration residuals), after its time. */
function IntervalText({ estimate }: { estimate: ModelAnswer['precisions'][number] }) {
  const iv = forwardInterval(estimate);
  if (!iv) return null;
  return (
    <span className="muted" data-testid="model-interval" title="the performance model's 10th-90th percentile interval">
      {' '}
      [{formatSI(iv.low, 's')}–{formatSI(iv.high, 's')}
      {iv.calibrated ? '' : ', uncalibrated'}]
    </span>
  );
}

/** One GEMM's predicted interval per forward and its measured / predicted, for its bar's tooltip. */
function gemmInterval(estimate: ModelAnswer['precisions'][number], name: string): string {
  const g = estimate.gemms.find((x) => x.name === name);
  if (!g) return '';
  const iv = g.predicted.interval;
  const err = g.measured?.prediction_error;
  return (
    (iv
      ? `; predicted ${formatSI(iv.low_s_per_layer * g.occurrences, 's')}–${formatSI(iv.high_s_per_layer * g.occurrences, 's')}${iv.calibrated ? '' : ' (uncalibrated)'}`
      : '') + (err != null ? `; measured / predicted ${err.toFixed(3)}` : '')
  );
}
