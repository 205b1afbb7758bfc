// Batch panel: paste a list of cases or upload a CSV/JSON file; they run one after another (progress per case),
// are stored as one run and land on the chart.
import { useRef, useState } from 'react';
import { ApiError } from '../lib/api';
import type { HardwareEntry } from '../lib/hardware';
import type { Point } from '../lib/types';
import type { BatchAnswer, WorkloadClient } from '../lib/workloads';

interface Props {
  client: WorkloadClient;
  online: boolean;
  hardware: HardwareEntry;
  onPoints(points: Point[], runId: number | null): void;
  onStored(): void;
}

const EXAMPLE = '# m,n,k,precision — one case per line\n1,4096,4096,BF16\n16,4096,4096,BF16\n4096,4096,4096,FP8\n';

export function BatchPanel({ client, online, hardware, onPoints, onStored }: Props) {
  const [text, setText] = useState(EXAMPLE);
  const [status, setStatus] = useState('');
  const [errors, setErrors] = useState<BatchAnswer['errors']>([]);
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);

  const upload = async (file: File | undefined) => {
    if (file) setText(await file.text());
  };

  const run = async () => {
    setErrors([]);
    setBusy(true);
    const ctrl = new AbortController();
    abort.current = ctrl;
    const started = performance.now();
    try {
      const answer = await client.batch(
        { text, hardware_key: hardware.key },
        {
          onQueued: (total, errs) => {
            setErrors(errs);
            setStatus(`queued: ${total} case${total === 1 ? '' : 's'}`);
          },
          onStarted: (index, total, label) => setStatus(`case ${index + 1}/${total}: ${label}`),
        },
        ctrl.signal,
      );
      setErrors(answer.errors);
      onPoints(answer.measured.length > 0 ? answer.measured : answer.predicted, answer.run_id);
      const secs = ((performance.now() - started) / 1000).toFixed(2);
      setStatus(
        `${answer.cases.length} case${answer.cases.length === 1 ? '' : 's'} ${answer.backend === 'gpu' ? 'measured' : 'predicted'} in ${secs} s · run #${answer.run_id}` +
          (answer.errors.length > 0 ? ` · ${answer.errors.length} skipped` : ''),
      );
      onStored();
    } catch (e) {
      if (ctrl.signal.aborted) setStatus('cancelled: the cases not yet started were dropped');
      else setStatus(e instanceof ApiError ? `refused: ${e.field ? `${e.field}: ` : ''}${e.message}` : String(e));
    } finally {
      setBusy(false);
      abort.current = null;
    }
  };

  return (
    <div className="workload" data-testid="batch-panel">
      <textarea aria-label="batch cases" rows={6} value={text} onChange={(e) => setText(e.target.value)} data-testid="batch-text" />
      <div className="row">
        <label className="file">
          Upload CSV or JSON
          <input type="file" accept=".csv,.json,.txt,text/csv,application/json" onChange={(e) => void upload(e.target.files?.[0])} data-testid="batch-file" />
        </label>
        <button type="button" className="primary" disabled={busy || !online} onClick={() => void run()} data-testid="batch-run">
          Run the batch
        </button>
        {busy && (
          <button type="button" onClick={() => abort.current?.abort()} data-testid="batch-cancel">
            Cancel
          </button>
        )}
      </div>
      {!online && <p className="hint">Batches need the server.</p>}
      <p className="hint" role="status" data-testid="batch-status">
        {status}
      </p>
      {errors.length > 0 && (
        <ul className="error" data-testid="batch-errors">
          {errors.map((e) => (
            <li key={`${e.line}-${e.field}`}>{e.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
