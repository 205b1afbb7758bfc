// The HTTP client for `roofline serve` (docs/API.md). Two kinds of failure are kept apart because the app reacts
// differently: ApiUnreachable (no answer at all: show "API offline", fall back to the local model) and ApiError
// (the server answered with an error body: show its message next to the field it names).
import { SseParser } from './sse';
import type {
  AnalyzeAnswer,
  AnalyzeRequest,
  ApiErrorBody,
  Health,
  HardwareRoofs,
  Point,
  RunSummary,
  TelemetrySample,
} from './types';

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

  private async json<T>(path: string, init: RequestInit = {}, timeoutMs = 10000): Promise<T> {
    const res = await this.request(path, init, timeoutMs);
    return (await res.json()) as T;
  }

  health(signal?: AbortSignal): Promise<Health> {
    return this.json<Health>('/api/health', signal ? { signal } : {}, 4000);
  }

  hardware(): Promise<{ hardware: HardwareRoofs[] }> {
    return this.json('/api/hardware');
  }

  runs(params: { hardware_key?: string; precision?: string; limit?: number; offset?: number } = {}): Promise<{
    runs: RunSummary[];
    total: number;
  }> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return this.json(`/api/runs${qs ? `?${qs}` : ''}`);
  }

  run(id: number): Promise<AnalyzeAnswer & { id: number; created_at: string }> {
    return this.json(`/api/runs/${id}`);
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
            handlers.onQueued?.((data as { position: number }).position);
            break;
          case 'started': {
            const d = data as { precision: string; index: number; total: number };
            handlers.onStarted?.(d.precision, d.index, d.total);
            break;
          }
          case 'point':
            handlers.onPoint?.(data as Point);
            break;
          case 'error': {
            const d = data as { precision?: string; error: { code: string; message: string } };
            handlers.onError?.(d.precision ?? '', d.error.code, d.error.message);
            break;
          }
          case 'done':
            done = data as AnalyzeAnswer;
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
          onSample(JSON.parse(e.data) as TelemetrySample);
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
    const body = (await res.json()) as ApiErrorBody;
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      field = body.error.field;
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
