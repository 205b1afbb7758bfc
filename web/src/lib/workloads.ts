// Model presets, spot checks and batches: the answers of POST /api/model, /api/spot and /api/batch/stream
// (docs/API.md) and the pure functions that turn them into chart points and breakdown bars.
import { ApiError, ApiUnreachable } from './api';
import type { HardwareEntry } from './hardware';
import { makeProblem, predictPoint } from './model';
import { info, isPrecisionName, type PrecisionName } from './precision';
import { SseParser } from './sse';
import type { ApiErrorBody, HardwareRoofs, Point } from './types';
// The documents themselves are defined once, in schemas/ (generated into types.gen.ts).
import type { BatchAnswer, ModelAnswer, ModelEstimate, ModelGemm, ModelRequest, ModelTotals, SpotResult } from './types.gen';
export type { BatchAnswer, ModelAnswer, ModelEstimate, ModelGemm, ModelRequest, ModelTotals, SpotResult };
// The form's request, indexed by field name as the form edits it (the schema's SpotRequest is its wire form).
export interface SpotRequest {
  op: string;
  time_s: number;
  precision: string;
  hardware_key?: string;
  [size: string]: number | string | boolean | undefined;
}



export interface ModelConfigSummary {
  key: string;
  name: string;
  model_type: string;
  source: { url: string; revision: string };
  hidden: number;
  ffn: number;
  heads: number;
  kv_heads: number;
  head_dim: number;
  vocab: number;
  layers: number;
  weight_parameters: number;
  moe: { routed_experts: number; top_k: number; expert_ffn: number; shared_experts: number } | null;
  mla: Record<string, number> | null;
}

















export interface BatchHandlers {
  onQueued?(total: number, errors: BatchAnswer['errors']): void;
  onStarted?(index: number, total: number, label: string): void;
  onPoint?(point: Point): void;
}

/** Scheme names the model view offers (any the server accepts may be typed too). */
export const MODEL_SCHEMES = ['BF16', 'FP8', 'W8A8', 'W4A16', 'NVFP4'] as const;
export const SPOT_OPS = ['custom', 'gemm', 'elementwise', 'softmax', 'layernorm', 'rmsnorm', 'attention'] as const;
export const SPOT_SIZES: Record<string, string[]> = {
  custom: ['flops', 'bytes'],
  gemm: ['m', 'n', 'k'],
  elementwise: ['elements', 'inputs', 'flops_per_element'],
  softmax: ['rows', 'cols'],
  layernorm: ['rows', 'cols'],
  rmsnorm: ['rows', 'cols'],
  attention: ['batch', 'heads', 'kv_heads', 'q_len', 'kv_len', 'head_dim'],
};

type Fetch = typeof fetch;

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  let field: string | undefined;
  try {
    const body = (await res.json()) as ApiErrorBody;
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      field = body.error.field ?? undefined;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message, field);
}

export class WorkloadClient {
  constructor(
    readonly base = '.',
    private readonly fetchImpl: Fetch = (...a) => fetch(...a),
  ) {}

  private async post(path: string, body: unknown, signal?: AbortSignal, accept = 'application/json'): Promise<Response> {
    let res: Response;
    try {
      const init: RequestInit = {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: accept },
        body: JSON.stringify(body),
      };
      if (signal) init.signal = signal;
      res = await this.fetchImpl(this.base + path, init);
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new ApiUnreachable(`cannot reach the API: ${String(e)}`);
    }
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  async presets(): Promise<ModelConfigSummary[]> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}/api/presets`);
    } catch (e) {
      throw new ApiUnreachable(`cannot reach the API: ${String(e)}`);
    }
    if (!res.ok) throw await errorFrom(res);
    return ((await res.json()) as { presets: ModelConfigSummary[] }).presets;
  }

  async model(req: ModelRequest): Promise<ModelAnswer> {
    return (await (await this.post('/api/model', req)).json()) as ModelAnswer;
  }

  async spot(req: SpotRequest): Promise<{ hardware: HardwareRoofs; spot: SpotResult }> {
    return (await (await this.post('/api/spot', req)).json()) as { hardware: HardwareRoofs; spot: SpotResult };
  }

  /** POST /api/batch/stream; aborting the signal cancels the cases that have not started. */
  async batch(body: { text: string; hardware_key?: string }, handlers: BatchHandlers, signal?: AbortSignal): Promise<BatchAnswer> {
    const res = await this.post('/api/batch/stream', body, signal, 'text/event-stream');
    let done: BatchAnswer | null = null;
    const parser = new SseParser((e) => {
      const data: unknown = JSON.parse(e.data);
      if (e.event === 'queued') {
        const d = data as { total: number; errors: BatchAnswer['errors'] };
        handlers.onQueued?.(d.total, d.errors);
      } else if (e.event === 'started') {
        const d = data as { index: number; total: number; label: string };
        handlers.onStarted?.(d.index, d.total, d.label);
      } else if (e.event === 'point') {
        handlers.onPoint?.(data as Point);
      } else if (e.event === 'done') {
        done = data as BatchAnswer;
      }
    });
    const reader = res.body?.getReader();
    if (!reader) {
      parser.push(await res.text());
    } else {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        parser.push(decoder.decode(value, { stream: true }));
      }
    }
    parser.end();
    if (!done) throw new ApiUnreachable('the batch stream ended before its result (server stopped?)');
    return done;
  }
}

const asPrecision = (name: string): PrecisionName => (isPrecisionName(name) ? name : 'BF16');

/**
 * One chart point per GEMM of one scheme: the browser's model (the same numbers as the server's) places each
 * instance's shape; the label names the GEMM.
 */
export function modelPoints(estimate: ModelEstimate, hw: HardwareEntry, model: string): Point[] {
  return estimate.gemms.map((g) => {
    const a = asPrecision(g.a_precision);
    const p = predictPoint(hw, makeProblem(g.M, g.N, g.K, a, a, asPrecision(g.b_precision), asPrecision(g.out_precision)));
    return { ...p, label: `${model} ${estimate.scheme.name} ${g.name}${g.role === 'attention' ? ' (attention)' : ''}` };
  });
}

export interface BreakdownBar {
  name: string;
  seconds: number; // per forward pass: time per layer × layers holding it
  share: number; // of the forward's predicted time
  role: 'weight' | 'attention';
}

/** Time per GEMM over one forward pass, largest first (measured where present, else predicted). */
export function breakdown(estimate: ModelEstimate): BreakdownBar[] {
  const bars = estimate.gemms.map((g) => {
    const perLayer = g.measured?.time_s_per_layer ?? g.predicted.time_s_per_layer;
    return { name: g.name, seconds: perLayer * g.occurrences, share: 0, role: g.role };
  });
  const total = bars.reduce((s, b) => s + b.seconds, 0);
  for (const b of bars) b.share = total > 0 ? b.seconds / total : 0;
  return bars.sort((x, y) => y.seconds - x.seconds);
}

/**
 * The predicted forward time's interval: the sum over GEMMs of their [p10, p90] per layer times the layers that
 * hold them (a GEMM with no interval counts its predicted time at both ends); null when no GEMM has one.
 */
export function forwardInterval(estimate: ModelEstimate): { low: number; high: number; calibrated: boolean } | null {
  let low = 0;
  let high = 0;
  let any = false;
  let calibrated = true;
  for (const g of estimate.gemms) {
    const iv = g.predicted.interval;
    any ||= iv !== null;
    calibrated &&= iv?.calibrated ?? false;
    low += (iv?.low_s_per_layer ?? g.predicted.time_s_per_layer) * g.occurrences;
    high += (iv?.high_s_per_layer ?? g.predicted.time_s_per_layer) * g.occurrences;
  }
  return any ? { low, high, calibrated } : null;
}

/** A spot check as a chart point: a measured kernel at its AI and achieved rate. */
export function spotPoint(s: SpotResult, label: string): Point {
  const p = asPrecision(s.roof_precision);
  return {
    ai: s.ai,
    tflops: s.achieved_flops_per_s / 1e12,
    time_us: s.time_s * 1e6,
    precision: p,
    label,
    M: 0,
    N: 0,
    K: 0,
    a_precision: asPrecision(s.precision),
    b_precision: asPrecision(s.precision),
    out_precision: asPrecision(s.precision),
    beta: 0,
    compute_precision: p,
    colour: info(asPrecision(s.precision)).colour,
    source: 'measured',
    disposition: 'passed',
    message: s.message,
    hardware_key: s.hardware_key,
    flops: s.flops,
    bytes: s.bytes,
    a_bytes: 0,
    b_bytes: 0,
    c_bytes: 0,
    d_bytes: 0,
    time_s: s.time_s,
    bound: s.bound === 'compute' || s.bound === 'memory' ? s.bound : null,
    roof: null,
    measured: null,
  };
}

/** "12.5us", "1.2ms", "3e-5" -> seconds; NaN when not a positive time. */
export function parseDuration(text: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(ns|us|µs|ms|s)?\s*$/i.exec(text);
  if (!m) return Number.NaN;
  const scale: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1 };
  const v = Number(m[1]) * (scale[(m[2] ?? 's').toLowerCase()] ?? 1);
  return v > 0 ? v : Number.NaN;
}
