// The GPUs of the server's node side by side (GET /api/gpus) and the node check over them (POST /api/node/check):
// the same GEMMs on each GPU alone and on all at once, each GPU's rate as a bar against the fastest, its clock,
// power and temperature, and the outliers with why (docs/THEORY.md, "The node check").
import { useEffect, useState } from 'react';
import type { ApiClient } from '../lib/api';
import { gpuColumns, spreadLine, verdict, type PhaseCell } from '../lib/node';
import type { GpuList, NodeCheck } from '../lib/types';

interface Props {
  api: ApiClient;
  online: boolean;
}

function Phase({ name, cell }: { name: string; cell: PhaseCell }) {
  return (
    <div className="node-phase">
      <div className="node-phase-head">
        <span>{name}</span>
        <strong>{cell.tflops === null ? '–' : `${cell.tflops.toFixed(1)} TFLOP/s`}</strong>
      </div>
      <div className="node-bar" aria-hidden="true">
        <span style={{ width: `${(cell.share * 100).toFixed(1)}%` }} />
      </div>
      {cell.failed ? (
        <p className="error small">{cell.failed}</p>
      ) : (
        <p className="muted small">
          {cell.clock} · {cell.power} · {cell.temperature}
        </p>
      )}
    </div>
  );
}

/** A finished node check: one column per GPU. */
export function NodeCheckView({ report }: { report: NodeCheck }) {
  const columns = gpuColumns(report);
  return (
    <div data-testid="node-check">
      <p className={report.outliers.length ? 'error' : 'muted'} data-testid="node-verdict">
        {verdict(report)}
      </p>
      <p className="muted small">
        {spreadLine(report, 'alone')} · {spreadLine(report, 'together')}
        {report.host ? ` · host ${report.host}` : ''}
      </p>
      <div className="node-grid">
        {columns.map((c) => (
          <article key={c.index} className={`node-gpu${c.reasons.length ? ' outlier' : ''}`} data-testid={`node-gpu-${c.index}`}>
            <h3>{c.title}</h3>
            <dl className="small">
              <dt>PCI</dt>
              <dd>{c.identity.pci}</dd>
              <dt>serial</dt>
              <dd>{c.identity.serial}</dd>
              <dt>UUID</dt>
              <dd title={c.identity.uuid}>{c.identity.uuid}</dd>
              <dt>link</dt>
              <dd>{c.identity.link}</dd>
            </dl>
            <Phase name="alone" cell={c.alone} />
            <Phase name="together" cell={c.together} />
            {c.reasons.map((r) => (
              <span key={r} className="tag reason">
                {r}
              </span>
            ))}
            {c.outliers.map((o) => (
              <p key={o.phase} className="small">
                {o.message}
              </p>
            ))}
          </article>
        ))}
      </div>
    </div>
  );
}

export function NodeCheckPanel({ api, online }: Props) {
  const [gpus, setGpus] = useState<GpuList | null>(null);
  const [report, setReport] = useState<NodeCheck | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState('');
  const [size, setSize] = useState(8192);
  const [precision, setPrecision] = useState('BF16');

  useEffect(() => {
    if (!online) return;
    let live = true;
    api
      .gpus()
      .then((g) => live && setGpus(g))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [api, online, report]);

  const run = async () => {
    setRunning(true);
    setError('');
    try {
      setReport(
        await api.nodeCheck({ M: size, N: size, K: size, precisions: [precision], iterations: 20, pacing: 'continuous', telemetry_seconds: 1 }),
      );
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setRunning(false);
    }
  };

  const measurable = gpus?.backend === 'gpu';
  return (
    <section className="card node" aria-labelledby="node-h">
      <h2 id="node-h">
        Node{' '}
        <span className="hint">
          {!online ? 'needs the API' : gpus ? `${gpus.host} · ${gpus.gpus.length} GPU lane${gpus.gpus.length === 1 ? '' : 's'}` : '…'}
        </span>
      </h2>
      {online && gpus && (
        <ul className="node-lanes small" data-testid="node-lanes">
          {gpus.gpus.map((l) => (
            <li key={l.lane}>
              GPU {l.index ?? l.lane}: <span className={`lane-${l.state}`}>{l.state}</span>
              {l.device ? ` · ${l.device.name} · ${l.device.pci_bus_id || l.device.uuid}` : ''}
              {l.faults > 0 ? ` · ${l.faults} fault${l.faults === 1 ? '' : 's'}, ${l.restarts} restart${l.restarts === 1 ? '' : 's'}` : ''}
              {l.last_error ? <span className="muted"> · {l.last_error}</span> : null}
            </li>
          ))}
          {!measurable && <li className="muted">{gpus.backend_reason || 'prediction-only'}</li>}
        </ul>
      )}
      {online && (
        <div className="history-filters" role="group" aria-label="Node check">
          <label>
            size{' '}
            <select value={size} onChange={(e) => setSize(Number(e.target.value))}>
              {[2048, 4096, 8192, 16384].map((s) => (
                <option key={s} value={s}>
                  {s}³
                </option>
              ))}
            </select>
          </label>
          <label>
            precision{' '}
            <select value={precision} onChange={(e) => setPrecision(e.target.value)}>
              {['BF16', 'FP16', 'FP8_E4M3', 'TF32', 'INT8'].map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          <button type="button" disabled={!measurable || running} onClick={() => void run()}>
            {running ? 'Checking…' : 'Check the node'}
          </button>
        </div>
      )}
      {error && <p className="error">{error}</p>}
      {report && <NodeCheckView report={report} />}
    </section>
  );
}
