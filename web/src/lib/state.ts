// The app's lasting state — points on the plot, legend choices, the form, the comparison GPU — as a pure
// reducer, plus its persistence in localStorage (versioned, validated on load so a stale or hand-edited entry
// can never break the page).
import { DEFAULT_SWEEP, isPrecisionName } from './precision';
import type { Point } from './types';

export interface PlotPoint {
  id: string;
  point: Point;
  /** 'server': from roofline serve; 'local': the offline model computed it while the API was unreachable. */
  origin: 'server' | 'local';
  runId: number | null;
  addedAt: number;
}

export interface FormState {
  m: string;
  n: string;
  k: string;
  precisions: string[];
  runAll: boolean;
  aPrecision: string; // '' = same as the precision
  bPrecision: string;
  outPrecision: string; // '' = the precision's default output
  beta: string;
  iterations: string;
  mode: 'cold' | 'hot';
  hardware: string; // registry key, or MEASURED_HARDWARE
  roof: 'datasheet' | 'measured';
}

export interface Domain {
  x: [number, number];
  y: [number, number];
}

export interface AppState {
  points: PlotPoint[];
  hidden: string[];
  form: FormState;
  compareKey: string | null;
  /** null: the view follows the data (fit everything); set by zoom. */
  view: Domain | null;
  /** A hardware key: only that GPU's points are drawn ("show only this GPU"); null: every GPU's. */
  onlyGpu: string | null;
}

export const MEASURED_HARDWARE = '@measured';
export const STORAGE_KEY = 'roofline-calc:state';
export const STORAGE_VERSION = 1;

export const DEFAULT_FORM: FormState = {
  m: '4096',
  n: '4096',
  k: '4096',
  precisions: ['FP16'],
  runAll: false,
  aPrecision: '',
  bPrecision: '',
  outPrecision: '',
  beta: '0',
  iterations: '30',
  mode: 'cold',
  hardware: 'b10',
  roof: 'datasheet',
};

export const initialState = (): AppState => ({
  points: [],
  hidden: [],
  form: { ...DEFAULT_FORM, precisions: [...DEFAULT_FORM.precisions] },
  compareKey: null,
  view: null,
  onlyGpu: null,
});

/**
 * Identity of a point on the plot. A prediction is a function of shape, precisions and hardware, so predicting
 * again replaces it; every measured run is its own observation and stays (keyed by its run).
 */
export function pointKey(p: Point, runId: number | null, addedAt: number): string {
  const base = `${p.hardware_key}|${p.label}`;
  return p.source === 'predicted' ? `p|${base}` : `m|${runId ?? `t${addedAt}`}|${base}`;
}

export function makePlotPoint(
  point: Point,
  origin: PlotPoint['origin'],
  runId: number | null,
  addedAt = Date.now(),
): PlotPoint {
  return { id: pointKey(point, runId, addedAt), point, origin, runId, addedAt };
}

export type Action =
  /** `replace`: ids to drop first (the provisional points a stream showed before its run id was known). */
  | { type: 'addPoints'; points: PlotPoint[]; replace?: string[] }
  | { type: 'clearMeasured' }
  | { type: 'clearAll' }
  /** Undo of a clear: puts back the points it removed (kept by the view for a few seconds). */
  | { type: 'restorePoints'; points: PlotPoint[] }
  | { type: 'removePoint'; id: string }
  | { type: 'toggleHidden'; precision: string }
  | { type: 'showAll' }
  | { type: 'setForm'; patch: Partial<FormState> }
  | { type: 'setCompare'; key: string | null }
  | { type: 'setView'; view: Domain | null }
  | { type: 'setOnlyGpu'; key: string | null };

export function reducer(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'addPoints': {
      const drop = new Set(action.replace ?? []);
      const byId = new Map(state.points.filter((p) => !drop.has(p.id)).map((p) => [p.id, p]));
      for (const p of action.points) byId.set(p.id, p);
      // Replacing keeps the original position in the list; new points go to the end.
      return { ...state, points: [...byId.values()] };
    }
    case 'clearMeasured':
      return { ...state, points: state.points.filter((p) => p.point.source !== 'measured') };
    case 'clearAll':
      return { ...state, points: [], view: null, onlyGpu: null };
    case 'restorePoints': {
      const have = new Set(state.points.map((p) => p.id));
      return { ...state, points: [...action.points.filter((p) => !have.has(p.id)), ...state.points] };
    }
    case 'removePoint':
      return { ...state, points: state.points.filter((p) => p.id !== action.id) };
    case 'toggleHidden': {
      const hidden = state.hidden.includes(action.precision)
        ? state.hidden.filter((h) => h !== action.precision)
        : [...state.hidden, action.precision];
      return { ...state, hidden };
    }
    case 'showAll':
      return { ...state, hidden: [] };
    case 'setForm':
      return { ...state, form: { ...state.form, ...action.patch } };
    case 'setCompare':
      return { ...state, compareKey: action.key };
    case 'setView':
      return { ...state, view: action.view };
    case 'setOnlyGpu':
      return { ...state, onlyGpu: action.key, view: null };
  }
}

/** The precisions an analysis of this form covers: the seed's sweep when "Run all" is ticked. */
export function formPrecisions(form: FormState): string[] {
  return form.runAll ? [...DEFAULT_SWEEP] : form.precisions;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function saveState(storage: StorageLike, state: AppState): void {
  const { points, hidden, form, compareKey } = state;
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify({ version: STORAGE_VERSION, points, hidden, form, compareKey }));
  } catch {
    // Quota exceeded or storage disabled: the session still works, it just will not survive a reload.
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function validPoint(v: unknown): v is Point {
  if (!isObj(v)) return false;
  return (
    isNum(v.ai) && v.ai > 0 && (v.tflops === null || isNum(v.tflops)) && typeof v.label === 'string' &&
    typeof v.precision === 'string' && isNum(v.M) && isNum(v.N) && isNum(v.K) && typeof v.colour === 'string' &&
    (v.source === 'measured' || v.source === 'predicted') && typeof v.disposition === 'string' &&
    typeof v.hardware_key === 'string' && typeof v.a_precision === 'string'
  );
}

function validPlotPoint(v: unknown): v is PlotPoint {
  return (
    isObj(v) && typeof v.id === 'string' && validPoint(v.point) && (v.origin === 'server' || v.origin === 'local') &&
    (v.runId === null || isNum(v.runId)) && isNum(v.addedAt)
  );
}

function validForm(v: unknown): FormState {
  const f = { ...DEFAULT_FORM, precisions: [...DEFAULT_FORM.precisions] };
  if (!isObj(v)) return f;
  for (const key of ['m', 'n', 'k', 'aPrecision', 'bPrecision', 'outPrecision', 'beta', 'iterations', 'hardware'] as const) {
    if (typeof v[key] === 'string') f[key] = v[key] as string;
  }
  if (Array.isArray(v.precisions)) {
    const ps = v.precisions.filter((p): p is string => typeof p === 'string' && isPrecisionName(p));
    if (ps.length > 0) f.precisions = ps;
  }
  if (typeof v.runAll === 'boolean') f.runAll = v.runAll;
  if (v.mode === 'cold' || v.mode === 'hot') f.mode = v.mode;
  if (v.roof === 'datasheet' || v.roof === 'measured') f.roof = v.roof;
  return f;
}

/** Reads what saveState wrote; anything missing, stale or malformed falls back to the defaults, piece by piece. */
export function loadState(storage: StorageLike): AppState {
  const s = initialState();
  let raw: unknown;
  try {
    const text = storage.getItem(STORAGE_KEY);
    if (!text) return s;
    raw = JSON.parse(text);
  } catch {
    return s;
  }
  if (!isObj(raw) || raw.version !== STORAGE_VERSION) return s;
  if (Array.isArray(raw.points)) s.points = raw.points.filter(validPlotPoint);
  if (Array.isArray(raw.hidden)) s.hidden = raw.hidden.filter((h): h is string => typeof h === 'string');
  s.form = validForm(raw.form);
  if (typeof raw.compareKey === 'string') s.compareKey = raw.compareKey;
  return s;
}
