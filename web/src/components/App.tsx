// The page: the analyzer on the left, the roofline on the right, history and telemetry below it.
// App owns the lasting state (lib/state.ts reducer, saved to localStorage) and the API connection; the views get
// plain data and callbacks.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { ApiClient, ApiError, ApiUnreachable } from '../lib/api';
import { roofsOf } from '../lib/hardware';
import { dimensionValue, parseDimension } from '../lib/dims';
import { makeProblem, predictPoint, validateProblem } from '../lib/model';
import { isPrecisionName, type PrecisionName } from '../lib/precision';
import { DEFAULT_HARDWARE, registry } from '../lib/registry';
import {
  DEFAULT_FORM,
  MEASURED_HARDWARE,
  formPrecisions,
  loadState,
  makePlotPoint,
  reducer,
  saveState,
  type FormState,
} from '../lib/state';
import type { AnalyzeAnswer, HardwareRoofs, Health, Point } from '../lib/types';
import { AnalyzerForm, type FieldErrors } from './AnalyzerForm';
import { HistoryPanel } from './HistoryPanel';
import { NodeCheckPanel } from './NodeCheckPanel';
import { ProgressBar, type Progress } from './ProgressBar';
import { ResultsList, type ResultRow } from './ResultsList';
import { RooflinePlot } from './RooflinePlot';
import { TelemetryPanel } from './TelemetryPanel';
import { WorkloadTabs } from './WorkloadTabs';
import { ThemeToggle } from './ThemeToggle';

export type ApiStatus = 'checking' | 'online' | 'offline';

// Relative to the page, like the built assets (vite base './'): the app keeps working when a reverse proxy
// serves it under a sub-path such as /roofline/.
const api = new ApiClient('.');

const parseDim = dimensionValue;
// The stream names a mixed run's precisions as a label ("FP16xINT4->FP16"); its row is the A precision's.
const rowKey = (label: string): string => label.split(/x(?=[A-Z])|->/)[0] ?? label;
const parseCount = (s: string): number => (/^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN);

export function App() {
  const [state, dispatch] = useReducer(reducer, undefined, () => loadState(window.localStorage));
  const [apiStatus, setApiStatus] = useState<ApiStatus>('checking');
  const [offlineReason, setOfflineReason] = useState('');
  const [health, setHealth] = useState<Health | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [rows, setRows] = useState<ResultRow[]>([]);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [historyVersion, setHistoryVersion] = useState(0);
  const abortRef = useRef<AbortController | null>(null);
  const running = progress?.state === 'running' || progress?.state === 'queued';

  useEffect(() => saveState(window.localStorage, state), [state]);

  // Health: poll more often while offline so the banner goes away soon after the server comes back.
  const checkHealth = useCallback(async () => {
    try {
      const h = await api.health();
      setHealth(h);
      setApiStatus('online');
      setOfflineReason('');
    } catch (e) {
      setApiStatus('offline');
      setOfflineReason(e instanceof Error ? e.message : String(e));
    }
  }, []);
  useEffect(() => {
    void checkHealth();
    const id = window.setInterval(() => void checkHealth(), apiStatus === 'online' ? 10000 : 4000);
    return () => window.clearInterval(id);
  }, [apiStatus, checkHealth]);

  // The first answer from a server with a GPU points the picker at that GPU, unless the user already chose.
  const adoptedDefault = useRef(false);
  useEffect(() => {
    const key = health?.default_hardware_key;
    if (!key || adoptedDefault.current) return;
    adoptedDefault.current = true;
    if (state.form.hardware === DEFAULT_FORM.hardware && key !== DEFAULT_FORM.hardware && registry.find(key)) {
      dispatch({ type: 'setForm', patch: { hardware: key } });
    }
  }, [health, state.form.hardware]);

  const measuredProfile: HardwareRoofs | null = health?.measured_profile ?? null;
  const form = state.form;
  const hardwareKey =
    form.hardware === MEASURED_HARDWARE
      ? (measuredProfile?.key ?? DEFAULT_HARDWARE)
      : registry.find(form.hardware)?.key ?? DEFAULT_HARDWARE;
  const hardware = registry.find(hardwareKey) ?? registry.at(DEFAULT_HARDWARE);
  const datasheetRoofs = useMemo(() => roofsOf(hardware), [hardware]);
  const compare = state.compareKey ? registry.find(state.compareKey) : undefined;
  const compareRoofs = useMemo(() => (compare ? roofsOf(compare) : null), [compare]);

  const setForm = useCallback((patch: Partial<FormState>) => dispatch({ type: 'setForm', patch }), []);

  const addPoints = useCallback((points: Point[], origin: 'server' | 'local', runId: number | null) => {
    const now = Date.now();
    dispatch({ type: 'addPoints', points: points.map((p) => makePlotPoint(p, origin, runId, now)) });
  }, []);

  const validate = (): FieldErrors => {
    const e: FieldErrors = {};
    const m = parseDim(form.m);
    const n = parseDim(form.n);
    const k = parseDim(form.k);
    for (const [field, text] of [['M', form.m], ['N', form.n], ['K', form.k]] as const) {
      const r = parseDimension(text, field);
      if (!r.ok) e[field] = r.message;
    }
    const precisions = formPrecisions(form);
    if (precisions.length === 0) e.precisions = 'Pick at least one precision, or tick “Run all precisions”.';
    const first = (precisions[0] ?? 'FP16') as PrecisionName;
    const problem = makeProblem(m, n, k, first);
    for (const err of validateProblem(problem)) {
      if ((err.field === 'M' || err.field === 'N' || err.field === 'K') && !e[err.field]) e[err.field] = err.message;
    }
    const beta = Number(form.beta);
    if (!Number.isFinite(beta)) e.beta = 'beta must be a number (0 = C is not read)';
    const it = parseCount(form.iterations);
    if (!(it >= 1 && it <= 100000)) e.iterations = 'iterations must be an integer in [1, 100000]';
    return e;
  };

  const localAnalysis = (precisions: string[], why: string) => {
    const m = parseDim(form.m);
    const n = parseDim(form.n);
    const k = parseDim(form.k);
    const opt = (s: string) => (s && isPrecisionName(s) ? s : null);
    const points = precisions.map((p) =>
      predictPoint(
        hardware,
        makeProblem(m, n, k, p as PrecisionName, opt(form.aPrecision), opt(form.bPrecision), opt(form.outPrecision),
          Number(form.beta)),
      ),
    );
    addPoints(points, 'local', null);
    setWarnings([]);
    setRows(points.map((p) => ({ precision: p.a_precision, predicted: p, local: true })));
    setProgress({ state: 'done', index: precisions.length, total: precisions.length, precision: '', note: why });
  };

  const analyze = async () => {
    const e = validate();
    setErrors(e);
    if (Object.keys(e).length > 0) return;
    const precisions = formPrecisions(form);
    setRows(precisions.map((p) => ({ precision: p, pending: true })));
    setWarnings([]);
    if (apiStatus === 'offline') {
      localAnalysis(precisions, 'API offline: predicted in the browser by the built-in model (same numbers as the server’s).');
      return;
    }
    const ctrl = new AbortController();
    abortRef.current = ctrl;
    const started = performance.now();
    setProgress({ state: 'queued', index: 0, total: precisions.length, precision: '', note: 'Sending…' });
    const provisional: string[] = [];
    const upsertRow = (precision: string, patch: Partial<ResultRow>) =>
      setRows((rs) => {
        const i = rs.findIndex((r) => r.precision === precision);
        if (i === -1) return [...rs, { precision, ...patch }];
        const copy = [...rs];
        copy[i] = { ...copy[i], ...patch } as ResultRow;
        return copy;
      });
    try {
      const answer: AnalyzeAnswer = await api.analyzeStream(
        {
          hardware_key: form.hardware === MEASURED_HARDWARE ? hardwareKey : hardware.key,
          run_all_precisions: form.runAll,
        },
        {
          M: parseDim(form.m),
          N: parseDim(form.n),
          K: parseDim(form.k),
          precision: precisions[0] ?? 'FP16',
          precisions,
          a_precision: form.aPrecision || null,
          b_precision: form.bPrecision || null,
          out_precision: form.outPrecision || null,
          beta: Number(form.beta),
          iterations: parseCount(form.iterations),
          mode: form.mode,
          roof: form.hardware === MEASURED_HARDWARE ? 'measured' : form.roof,
        },
        {
          onQueued: (position) =>
            setProgress({ state: 'queued', index: 0, total: precisions.length, precision: '',
              note: position > 0 ? `Queued behind ${position} job${position > 1 ? 's' : ''}` : 'Queued' }),
          onStarted: (precision, index, total) => {
            setProgress({ state: 'running', index, total, precision, note: '' });
            upsertRow(rowKey(precision), { running: true, pending: false });
          },
          onPoint: (p) => {
            upsertRow(p.a_precision, p.source === 'measured' ? { measured: p } : { predicted: p });
            const pp = makePlotPoint(p, 'server', null);
            provisional.push(pp.id);
            dispatch({ type: 'addPoints', points: [pp] });
          },
          onError: (precision, code, message) => upsertRow(rowKey(precision), { error: `${code}: ${message}`, running: false }),
        },
        ctrl.signal,
      );
      // The stream's points were added as they landed; the stored run's id arrives with `done`.
      const all = [...answer.measured, ...answer.predicted];
      setWarnings(answer.warnings ?? []);
      const now = Date.now();
      dispatch({
        type: 'addPoints',
        points: all.map((p) => makePlotPoint(p, 'server', answer.run_id, now)),
        replace: provisional,
      });
      setRows((rs) =>
        rs.map((r) => ({
          ...r,
          pending: false,
          running: false,
          measured: answer.measured.find((p) => p.a_precision === r.precision) ?? r.measured,
          predicted: answer.predicted.find((p) => p.a_precision === r.precision) ?? r.predicted,
        })),
      );
      const secs = ((performance.now() - started) / 1000).toFixed(2);
      setProgress({
        state: 'done',
        index: precisions.length,
        total: precisions.length,
        precision: '',
        note: `${answer.backend === 'gpu' ? 'Measured' : 'Predicted (server has no GPU)'} · ${precisions.length} precision${precisions.length > 1 ? 's' : ''} in ${secs} s${answer.run_id !== null ? ` · run #${answer.run_id}` : ''}`,
      });
      setHistoryVersion((v) => v + 1);
    } catch (err) {
      if (ctrl.signal.aborted) {
        setProgress((p) => ({ ...(p ?? { index: 0, total: precisions.length, precision: '' }), state: 'cancelled',
          note: 'Cancelled: precisions not yet started were dropped by the server.' }));
        setRows((rs) => rs.map((r) => (r.pending || r.running ? { ...r, pending: false, running: false, cancelled: true } : r)));
      } else if (err instanceof ApiError) {
        const fe: FieldErrors = {};
        if (err.field) fe[err.field as keyof FieldErrors] = err.message;
        setErrors(fe);
        setProgress({ state: 'error', index: 0, total: precisions.length, precision: '',
          note: `The server refused the analysis (${err.status}): ${err.message}` });
        setRows([]);
      } else if (err instanceof ApiUnreachable) {
        setApiStatus('offline');
        setOfflineReason(err.message);
        localAnalysis(precisions, 'API unreachable: predicted in the browser by the built-in model instead.');
      } else {
        setProgress({ state: 'error', index: 0, total: precisions.length, precision: '', note: String(err) });
      }
    } finally {
      abortRef.current = null;
    }
  };

  const cancel = () => abortRef.current?.abort();

  const loadRun = async (id: number) => {
    const run = await api.run(id);
    addPoints([...run.measured, ...run.predicted], 'server', run.run_id);
    setWarnings('warnings' in run ? (run.warnings ?? []) : []);
    // The chart and the results name the GPU of the run just plotted: its roofs are drawn (a measured-roof
    // run's key, `<gpu>-measured`, draws its GPU's datasheet roofs).
    const key = run.hardware.key.replace(/-measured$/, '');
    if (registry.find(key) && form.hardware !== MEASURED_HARDWARE && registry.find(key)?.key !== hardware.key) {
      dispatch({ type: 'setForm', patch: { hardware: registry.find(key)!.key } });
    }
    // The results list shows the run just plotted as it showed when it finished: figures, dispositions and the
    // messages of precisions the GPU could not run.
    const order = [...new Set([...run.predicted, ...run.measured].map((p) => p.a_precision))];
    setRows(
      order.map((precision) => {
        const row: ResultRow = { precision };
        const measured = run.measured.find((p) => p.a_precision === precision);
        const predicted = run.predicted.find((p) => p.a_precision === precision);
        if (measured) row.measured = measured;
        if (predicted) row.predicted = predicted;
        return row;
      }),
    );
  };

  const hasMeasured = state.points.some((p) => p.point.source === 'measured');

  return (
    <div className="app">
      <header className="app-header">
        <h1>
          <span className="logo" aria-hidden="true">
            <svg viewBox="0 0 16 16" width="18" height="18">
              <path d="M1 15 L7 5 L15 5" stroke="currentColor" strokeWidth="2.5" fill="none" />
            </svg>
          </span>
          Roofline Calc
        </h1>
        <p className="subtitle">GEMM performance against its GPU’s memory and compute roofs, per precision</p>
        <ApiPill status={apiStatus} health={health} />
        <ThemeToggle />
      </header>
      {apiStatus === 'offline' && (
        <div className="banner" role="alert" data-testid="api-offline" title={offlineReason || undefined}>
          <strong>API offline</strong> — the server at {serverAddress()} does not answer; showing the model’s
          predictions (the same numbers as the server’s). Measurements and history need the server: start it with{' '}
          <code>roofline serve</code>.
          <button type="button" className="link" onClick={() => void checkHealth()}>
            Retry now
          </button>
        </div>
      )}
      <main className="layout">
        <aside className="sidebar" aria-label="Analyzer">
          <AnalyzerForm
            form={form}
            errors={errors}
            running={running}
            hardwareOptions={registry.entries}
            measuredProfile={measuredProfile}
            backend={apiStatus === 'online' ? health?.backend ?? null : null}
            onChange={setForm}
            onAnalyze={() => void analyze()}
            onCancel={cancel}
          />
          <ProgressBar progress={progress} />
          <ResultsList rows={rows} warnings={warnings} />
          <WorkloadTabs
            online={apiStatus === 'online'}
            hardware={hardware}
            onPoints={(points, runId) => addPoints(points, 'server', runId)}
            onStored={() => setHistoryVersion((v) => v + 1)}
          />
        </aside>
        <section className="content" aria-label="Roofline chart">
          <RooflinePlot
            points={state.points}
            hidden={state.hidden}
            formPrecisions={formPrecisions(form)}
            roofs={datasheetRoofs}
            measuredRoofs={measuredProfile && measuredProfile.key === hardware.key ? measuredProfile : null}
            compareRoofs={compareRoofs}
            compareEntry={compare ?? null}
            compareKey={state.compareKey}
            hardwareOptions={registry.entries}
            view={state.view}
            onlyGpu={state.onlyGpu}
            hasMeasured={hasMeasured}
            dispatch={dispatch}
          />
          <div className="panels">
            <HistoryPanel api={api} online={apiStatus === 'online'} version={historyVersion} onLoad={loadRun} />
            <TelemetryPanel api={api} health={apiStatus === 'online' ? health : null} running={running} />
            <NodeCheckPanel api={api} online={apiStatus === 'online'} />
          </div>
        </section>
      </main>
    </div>
  );
}

/** Where the page expects its API: the address it was served from. */
function serverAddress(): string {
  try {
    return new URL('.', window.location.href).href;
  } catch {
    return 'this page’s address';
  }
}

function ApiPill({ status, health }: { status: ApiStatus; health: Health | null }) {
  let text = 'Checking API…';
  if (status === 'offline') text = 'API offline · local model';
  if (status === 'online' && health) {
    const dev = health.device && typeof health.device.name === 'string' ? health.device.name : null;
    text = health.backend === 'gpu' ? `API online · ${dev ?? 'GPU'}` : 'API online · prediction-only';
  }
  return (
    <span className={`pill pill-${status}`} role="status" data-testid="api-status">
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}
