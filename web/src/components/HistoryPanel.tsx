// Stored runs from the server (GET /api/runs): a page at a time, filtered by hardware, precision, host (node) or
// GPU (its index, UUID or PCI bus id); reload any of them onto the plot, or delete it (after a confirmation: the
// server keeps no copy). A fleet's shared store holds runs of many nodes and GPUs: clicking a run's host or GPU
// filters to it, so the same sweep on two machines is two clicks apart.
import { useEffect, useState } from 'react';
import { GEMM_INPUTS } from '../lib/precision';
import { registry } from '../lib/registry';
import type { ApiClient } from '../lib/api';
import { formatShape } from '../lib/format';
import { info, isPrecisionName } from '../lib/precision';
import type { RunSummary } from '../lib/types';
import { readableOn } from '../lib/colour';
import { useTheme } from './theme';

interface Props {
  api: ApiClient;
  online: boolean;
  /** Bumped after each analysis so the list refreshes. */
  version: number;
  onLoad(id: number): Promise<void>;
}

/** Runs per page. */
export const PAGE = 20;

export function HistoryPanel({ api, online, version, onLoad }: Props) {
  const theme = useTheme();
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<number | null>(null);
  const [reload, setReload] = useState(0);
  const [offset, setOffset] = useState(0);
  // The offset of the rows on screen: the pager names what is shown, not the page still being fetched.
  const [shown, setShown] = useState(0);
  const [hardwareFilter, setHardwareFilter] = useState('');
  const [precisionFilter, setPrecisionFilter] = useState('');
  const [hostFilter, setHostFilter] = useState('');
  const [gpuFilter, setGpuFilter] = useState('');
  const [confirming, setConfirming] = useState<number | null>(null);

  useEffect(() => {
    if (!online) return;
    let live = true;
    api
      .runs({
        limit: PAGE,
        offset,
        ...(hardwareFilter ? { hardware_key: hardwareFilter } : {}),
        ...(precisionFilter ? { precision: precisionFilter } : {}),
        ...(hostFilter.trim() ? { host: hostFilter.trim() } : {}),
        ...(gpuFilter.trim() ? { gpu: gpuFilter.trim() } : {}),
      })
      .then((r) => {
        if (!live) return;
        setRuns(r.runs);
        setTotal(r.total);
        setShown(offset);
        setError('');
      })
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [api, online, version, reload, offset, hardwareFilter, precisionFilter, hostFilter, gpuFilter]);

  const act = async (id: number, what: () => Promise<void>) => {
    setBusy(id);
    try {
      await what();
      setError('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card history" aria-labelledby="history-h">
      <h2 id="history-h">
        History <span className="hint">{online ? `${total} stored run${total === 1 ? '' : 's'}` : 'needs the API'}</span>
      </h2>
      {online && (
        <div className="history-filters" role="group" aria-label="Filter the history">
          <label>
            GPU{' '}
            <select value={hardwareFilter} onChange={(e) => (setHardwareFilter(e.target.value), setOffset(0))}>
              <option value="">any</option>
              {registry.entries.map((h) => (
                <option key={h.key} value={h.key}>
                  {h.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            precision{' '}
            <select value={precisionFilter} onChange={(e) => (setPrecisionFilter(e.target.value), setOffset(0))}>
              <option value="">any</option>
              {GEMM_INPUTS.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.displayName}
                </option>
              ))}
            </select>
          </label>
          <label>
            host{' '}
            <input type="search" size={10} value={hostFilter} placeholder="any" aria-label="host"
              onChange={(e) => (setHostFilter(e.target.value), setOffset(0))} />
          </label>
          <label title="one board: the GPU's index on its node, its UUID or its PCI bus id">
            board{' '}
            <input type="search" size={8} value={gpuFilter} placeholder="any" aria-label="board (index, UUID or PCI bus id)"
              onChange={(e) => (setGpuFilter(e.target.value), setOffset(0))} />
          </label>
          <span className="pager" data-testid="history-pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Newer
            </button>
            <span>
              {total === 0 ? '0' : `${shown + 1}–${Math.min(shown + PAGE, total)}`} of {total}
            </span>
            <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
              Older
            </button>
          </span>
        </div>
      )}
      {error && <p className="error">{error}</p>}
      {online && runs.length === 0 && !error && <p className="muted small">No stored runs yet.</p>}
      {!online && <p className="muted small">The server keeps every run; its history shows here when the API is online.</p>}
      {online && runs.length > 0 && (
        <div className="table-scroll">
          <table className="runs" data-testid="history">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">when</th>
                <th scope="col">shape</th>
                <th scope="col">precisions</th>
                <th scope="col" title="roofs used; the device when measured">hardware</th>
                <th scope="col" title="the node and the GPU that measured it; click to show only its runs">where</th>
                <th scope="col">
                  <span className="sr-only">actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.run_id}>
                  <td>{r.run_id}</td>
                  <td title={r.created_at}>{when(r.created_at)}</td>
                  <td>{formatShape(r.M, r.N, r.K)}</td>
                  <td className="wrap">
                    {r.precisions.map((p) => (
                      <span key={p} className="tag" style={{ color: isPrecisionName(p) ? readableOn(info(p).colour, theme.bg) : undefined }}>
                        {p}
                      </span>
                    ))}
                  </td>
                  <td>
                    {r.hardware_key}
                    {r.backend === 'gpu' && <span className="muted"> · {r.device_name ?? 'GPU'}</span>}
                  </td>
                  <td className="where">
                    {r.host ? (
                      <button type="button" className="link" title={`only runs of ${r.host}`} aria-label={`Only runs of host ${r.host}`}
                        onClick={() => (setHostFilter(r.host ?? ''), setOffset(0))}>
                        {r.host}
                      </button>
                    ) : null}
                    {gpuLabel(r) ? (
                      <button type="button" className="link" title={gpuTitle(r)} aria-label={`Only runs of ${gpuLabel(r)}`}
                        onClick={() => (setGpuFilter(gpuKey(r)), setOffset(0))}>
                        {gpuLabel(r)}
                      </button>
                    ) : null}
                  </td>
                  <td>
                    <div className="row-actions">
                      <button type="button" disabled={busy === r.run_id} onClick={() => void act(r.run_id, () => onLoad(r.run_id))}
                        aria-label={`Plot run ${r.run_id}`}>
                        Plot
                      </button>
                      {confirming === r.run_id ? (
                        <>
                          <button type="button" className="danger" disabled={busy === r.run_id} aria-label={`Confirm: delete run ${r.run_id} for good`}
                            onClick={() => void act(r.run_id, async () => {
                              await api.deleteRun(r.run_id);
                              setConfirming(null);
                              setReload((x) => x + 1);
                            })}>
                            Delete for good
                          </button>
                          <button type="button" onClick={() => setConfirming(null)} aria-label={`Keep run ${r.run_id}`}>
                            Keep
                          </button>
                        </>
                      ) : (
                        <button type="button" className="danger" disabled={busy === r.run_id} aria-label={`Delete run ${r.run_id}`}
                          onClick={() => setConfirming(r.run_id)}>
                          Delete
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** "GPU 3" for a run that names its GPU's index, else the UUID's first group; '' when the run names none. */
function gpuLabel(r: RunSummary): string {
  if (r.gpu?.index !== undefined && r.gpu.index !== null) return `GPU ${r.gpu.index}`;
  if (r.gpu?.uuid) return r.gpu.uuid.slice(0, 12);
  return '';
}

/** What the GPU filter is set to from a run: the UUID (the same board on any node), else the index. */
function gpuKey(r: RunSummary): string {
  if (r.gpu?.uuid) return r.gpu.uuid;
  return r.gpu?.index !== undefined && r.gpu.index !== null ? String(r.gpu.index) : '';
}

function gpuTitle(r: RunSummary): string {
  const parts = [r.gpu?.uuid, r.gpu?.pci_bus_id, r.gpu?.serial ? `serial ${r.gpu.serial}` : ''].filter(Boolean);
  return `only runs of this GPU (${parts.join(', ')})`;
}

/** "12:46" today, "Nov 25 12:46" otherwise: short enough to keep the row on one line. */
function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === new Date().toDateString()
    ? time
    : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}
