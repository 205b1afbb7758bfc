// The HTTP client for `roofline serve` (docs/API.md). Two kinds of failure are kept apart because the app reacts
// differently: ApiUnreachable (no answer at all: show "API offline", fall back to the local model) and ApiError
// (the server answered with an error body: show its message next to the field it names).
//
// Every answer is checked against schemas/ (precompiled validators, validate.gen.js) before the app sees it: a
// server that answers something else (another version, a proxy's page) is an ApiError naming what did not fit,
// not a crash deep inside a component.
import { SseParser } from './sse';
import type { AnalyzeAnswer, AnalyzeRequest, GpuList, HardwareList, Health, NodeCheck, Point, RunsPage, StoredRun, TelemetrySample } from './types';
import {
  type Validator,
  validateAnalyzeAnswer,
  validateApiErrorBody,
  validateErrorEvent,
  validateGpuList,
  validateHardwareList,
  validateHealth,
  validateNodeCheck,
  validatePoint,
  validateQueuedEvent,
  validateRunsPage,
  validateStartedEvent,
  validateStoredRun,
  validateTelemetrySample,
} from './validate.gen.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class ApiUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiUnreachable';
  }
}

export interface StreamHandlers {
  onQueued?(position: number): void;
  onStarted?(precision: string, index: number, total: number): void;
  onPoint?(point: Point): void;
  onError?(precision: string, code: string, message: string): void;
}

export interface AnalyzeQuery {
  hardware_key?: string;
  run_all_precisions: boolean;
}

type Fetch = typeof fetch;

/** `data` as a V when it validates; otherwise an ApiError saying where it departs from the schema. */
export function checked<V>(validate: Validator<V>, data: unknown, what: string): V {
  if (validate(data)) return data;
  const e = validate.errors?.[0];
  const where = e ? `${e.instancePath || '/'} ${e.message ?? ''}`.trim() : 'does not match';
  throw new ApiError(200, 'invalid_answer', `the server's ${what} does not match the schema: ${where}`);
}

const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

export class ApiClient {
  constructor(
    readonly base = '',
    private readonly fetchImpl: Fetch = (...a) => fetch(...a),
  ) {}

  private async request(path: string, init: RequestInit = {}, timeoutMs = 0): Promise<Response> {
    const ctrl = new AbortController();
    const outer = init.signal;
    const onAbort = () => ctrl.abort();
    outer?.addEventListener('abort', onAbort);
    const timer = timeoutMs > 0 ? setTimeout(() => ctrl.abort(), timeoutMs) : undefined;
    try {
      const res = await this.fetchImpl(this.base + path, { ...init, signal: ctrl.signal });
      if (!res.ok) throw await errorFrom(res);
      return res;
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (isAbort(e) && outer?.aborted) throw e; // the caller cancelled: not an outage
      throw new ApiUnreachable(
        isAbort(e)
          ? `no answer from ${this.base && this.base !== '.' ? this.base : 'the server'} within ${timeoutMs} ms`
          : `cannot reach the API: ${String(e)}`,
      );
    } finally {
      if (timer) clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  private async json<V>(validate: Validator<V>, path: string, init: RequestInit = {}, timeoutMs = 10000): Promise<V> {
    const res = await this.request(path, init, timeoutMs);
    return checked(validate, await res.json(), `answer to ${path.split('?')[0]}`);
  }

  health(signal?: AbortSignal): Promise<Health> {
    return this.json(validateHealth, '/api/health', signal ? { signal } : {}, 4000);
  }

  hardware(): Promise<HardwareList> {
    return this.json(validateHardwareList, '/api/hardware');
  }

  runs(
    params: { hardware_key?: string; precision?: string; host?: string; gpu?: string; job?: string; limit?: number; offset?: number } = {},
  ): Promise<RunsPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return this.json(validateRunsPage, `/api/runs${qs ? `?${qs}` : ''}`);
  }

  /** The server's GPUs (serve --gpus), one lane each. */
  gpus(): Promise<GpuList> {
    return this.json(validateGpuList, '/api/gpus');
  }

  /** The node check: the GEMMs on every GPU alone, then together. Minutes on a big node: no timeout. */
  nodeCheck(body: AnalyzeRequest, signal?: AbortSignal): Promise<NodeCheck> {
    return this.json(
      validateNodeCheck,
      '/api/node/check',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) },
      0,
    );
  }

  run(id: number): Promise<StoredRun> {
    return this.json(validateStoredRun, `/api/runs/${id}`);
  }

  async deleteRun(id: number): Promise<void> {
    await this.request(`/api/runs/${id}`, { method: 'DELETE' }, 10000);
  }

  /**
   * POST /api/analyze/stream: reports each event as it lands and resolves with the `done` answer. Aborting the
   * signal closes the connection, which the server takes as "cancel what has not started".
   */
  async analyzeStream(
    query: AnalyzeQuery,
    body: AnalyzeRequest,
    handlers: StreamHandlers,
    signal?: AbortSignal,
  ): Promise<AnalyzeAnswer> {
    const q = new URLSearchParams({ run_all_precisions: String(query.run_all_precisions) });
    if (query.hardware_key) q.set('hardware_key', query.hardware_key);
    const init: RequestInit = {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(body),
    };
    if (signal) init.signal = signal;
    const res = await this.request(`/api/analyze/stream?${q.toString()}`, init);
    let done: AnalyzeAnswer | null = null;
    let failure: Error | null = null;
    const parser = new SseParser((e) => {
      try {
        const data: unknown = JSON.parse(e.data);
        switch (e.event) {
          case 'queued':
            handlers.onQueued?.(checked(validateQueuedEvent, data, "'queued' event").position);
            break;
          case 'started': {
            const d = checked(validateStartedEvent, data, "'started' event");
            handlers.onStarted?.(d.precision, d.index, d.total);
            break;
          }
          case 'point':
            handlers.onPoint?.(checked(validatePoint, data, "'point' event"));
            break;
          case 'error': {
            const d = checked(validateErrorEvent, data, "'error' event");
            handlers.onError?.(d.precision ?? '', d.error.code, d.error.message);
            break;
          }
          case 'done':
            done = checked(validateAnalyzeAnswer, data, "'done' event");
            break;
          default:
            break; // unknown events are for newer clients
        }
      } catch (err) {
        failure = new Error(`bad '${e.event}' event from the server: ${String(err)}`);
      }
    });
    await readText(res, (t) => parser.push(t), signal).catch((e: unknown) => {
      if (isAbort(e) || signal?.aborted) throw e;
      throw new ApiUnreachable(`the connection to the API broke during the analysis: ${String(e)}`);
    });
    parser.end();
    if (failure) throw failure;
    if (!done) throw new ApiUnreachable('the analysis stream ended before its result (server stopped?)');
    return done;
  }

  /** GET /api/telemetry/stream until the signal aborts; 503 (no NVML) surfaces as ApiError. */
  async telemetryStream(onSample: (s: TelemetrySample) => void, signal: AbortSignal): Promise<void> {
    const res = await this.request('/api/telemetry/stream', { signal, headers: { Accept: 'text/event-stream' } });
    const parser = new SseParser((e) => {
      if (e.event === 'sample' || e.event === 'message') {
        try {
          onSample(checked(validateTelemetrySample, JSON.parse(e.data), "'sample' event"));
        } catch {
          // a malformed sample is skipped; the next one follows within a second
        }
      }
    });
    await readText(res, (t) => parser.push(t), signal);
  }
}

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  let field: string | undefined;
  try {
    const body: unknown = await res.json();
    if (validateApiErrorBody(body)) {
      code = body.error.code;
      message = body.error.message;
      field = body.error.field ?? undefined;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message, field);
}

async function readText(res: Response, onText: (t: string) => void, signal?: AbortSignal): Promise<void> {
  if (!res.body) {
    onText(await res.text());
    return;
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onText(decoder.decode(value, { stream: true }));
    }
    onText(decoder.decode());
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
  if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
}
