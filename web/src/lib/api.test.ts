// The client against a fake fetch: real Response objects with streamed bodies, so the SSE path, the error body
// mapping and the unreachable case are exercised as the browser would see them.
import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, ApiUnreachable } from './api';
import { makeProblem, predictPoint } from './model';
import { registry } from './registry';
import { roofsOf } from './hardware';
import type { AnalyzeAnswer } from './types';

const streamed = (chunks: string[], status = 200) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(c) {
        const enc = new TextEncoder();
        chunks.forEach((s) => c.enqueue(enc.encode(s)));
        c.close();
      },
    }),
    { status, headers: { 'Content-Type': 'text/event-stream' } },
  );

const point = predictPoint(registry.at('h100-sxm'), makeProblem(64, 64, 64, 'FP16'));
const answer: AnalyzeAnswer = {
  run_id: 3, schema_version: 1, tool_version: '0.1.0', backend: 'prediction-only',
  request: { M: 64, N: 64, K: 64, precisions: ['FP16'], a_precision: null, b_precision: null, out_precision: null,
    beta: 0, iterations: 30, mode: 'cold', pacing: 'paced', telemetry_seconds: 0.1, roof: 'datasheet',
    predict_only: false, run_all_precisions: true, hardware_key: 'h100-sxm' },
  hardware: roofsOf(registry.at('h100-sxm')), measured: [], predicted: [point], telemetry: null, device: null,
};

describe('ApiClient.analyzeStream', () => {
  it('reports each event and resolves with the done answer', async () => {
    let seen: RequestInfo | URL = '';
    const api = new ApiClient('', async (url) => {
      seen = url;
      const body = [
        'event: queued\ndata: {"position":0}\n\n',
        'event: started\ndata: {"precision":"FP16","index":0,"total":1}\n\n',
        `event: point\ndata: ${JSON.stringify(point)}\n\n`,
        `event: done\ndata: ${JSON.stringify(answer)}\n\n`,
      ].join('');
      return streamed([body.slice(0, 37), body.slice(37, 200), body.slice(200)]);
    });
    const log: string[] = [];
    const done = await api.analyzeStream(
      { hardware_key: 'h100-sxm', run_all_precisions: true },
      { M: 64, N: 64, K: 64, precision: 'FP16' },
      {
        onQueued: (p) => log.push(`queued ${p}`),
        onStarted: (p, i, n) => log.push(`started ${p} ${i}/${n}`),
        onPoint: (p) => log.push(`point ${p.precision}`),
      },
    );
    expect(String(seen)).toBe('/api/analyze/stream?run_all_precisions=true&hardware_key=h100-sxm');
    expect(log).toEqual(['queued 0', 'started FP16 0/1', 'point FP16']);
    expect(done.run_id).toBe(3);
  });

  it('maps an error body to ApiError with its field', async () => {
    const api = new ApiClient('', async () =>
      new Response(JSON.stringify({ error: { code: 'invalid_value', message: 'M must be ≥ 1', field: 'M' } }), {
        status: 422,
      }),
    );
    const err = await api
      .analyzeStream({ run_all_precisions: false }, { M: 0, N: 1, K: 1, precision: 'FP16' }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).field).toBe('M');
    expect((err as ApiError).status).toBe(422);
  });

  it('refuses a done answer that does not match the schema, saying where', async () => {
    const { hardware: _, ...withoutHardware } = answer;
    const api = new ApiClient('', async () =>
      streamed([`event: done\ndata: ${JSON.stringify({ ...withoutHardware, run_id: 'three' })}\n\n`]));
    const err = await api
      .analyzeStream({ run_all_precisions: false }, { M: 64, N: 64, K: 64, precision: 'FP16' }, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(/'done' event does not match the schema/);
  });

  it('calls a stream that ends without done unreachable (server died)', async () => {
    const api = new ApiClient('', async () => streamed(['event: queued\ndata: {"position":0}\n\n']));
    await expect(
      api.analyzeStream({ run_all_precisions: false }, { M: 1, N: 1, K: 1, precision: 'FP16' }, {}),
    ).rejects.toBeInstanceOf(ApiUnreachable);
  });

  it('calls a refused connection unreachable', async () => {
    const api = new ApiClient('', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.health()).rejects.toBeInstanceOf(ApiUnreachable);
  });
});

describe('ApiClient.telemetryStream', () => {
  it('delivers samples until aborted, skipping malformed ones', async () => {
    const sample = { time_s: 1, sm_clock_mhz: 1980, mem_clock_mhz: 2619, power_w: 612, temperature_c: 61,
      utilization_pct: 100, memory_utilization_pct: 40, throttle_reasons: [] };
    let seen = '';
    const api = new ApiClient('http://gpu-box:8000', async (url) => {
      seen = String(url);
      return streamed([`event: sample\ndata: ${JSON.stringify(sample)}\n\n`, 'event: sample\ndata: {oops\n\n',
        `event: sample\ndata: ${JSON.stringify({ ...sample, time_s: 2 })}\n\n`]);
    });
    const got: number[] = [];
    await api.telemetryStream((s) => got.push(s.time_s), new AbortController().signal);
    expect(seen).toBe('http://gpu-box:8000/api/telemetry/stream');
    expect(got).toEqual([1, 2]);
  });

  it('reports a server without NVML as ApiError 503', async () => {
    const api = new ApiClient('', async () =>
      new Response(JSON.stringify({ error: { code: 'nvml_unavailable', message: 'NVML not available', field: null } }), { status: 503 }));
    const err = await api.telemetryStream(() => undefined, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
  });
});

describe('ApiClient fleet and node routes', () => {
  it('filters the history by host and GPU', async () => {
    let seen: RequestInfo | URL = '';
    const api = new ApiClient('', async (url) => {
      seen = url;
      return new Response(JSON.stringify({ runs: [], total: 0, limit: 20, offset: 0 }), { status: 200 });
    });
    await api.runs({ host: 'node-a', gpu: 'GPU-1234', limit: 20, precision: '' });
    expect(String(seen)).toBe('/api/runs?host=node-a&gpu=GPU-1234&limit=20');
  });

  it('posts the node check and validates its answer', async () => {
    let body = '';
    const api = new ApiClient('', async (_url, init) => {
      body = String(init?.body);
      return new Response(
        JSON.stringify({
          gpus: [],
          spread: {
            alone: { gpus: 0, median_tflops: null, min_tflops: null, max_tflops: null, spread_pct: null },
            together: { gpus: 0, median_tflops: null, min_tflops: null, max_tflops: null, spread_pct: null },
          },
          outliers: [],
          thresholds: { slow_pct: 3, clock_pct: 2, power_limit_pct: 2, power_near_limit: 0.97, temperature_c: 10, load_drop_pct: 3 },
        }),
        { status: 200 },
      );
    });
    const r = await api.nodeCheck({ M: 8192, N: 8192, K: 8192, precisions: ['BF16'] });
    expect(JSON.parse(body)).toMatchObject({ M: 8192, precisions: ['BF16'] });
    expect(r.outliers).toEqual([]);
    const bad = new ApiClient('', async () => new Response(JSON.stringify({ gpus: 'x' }), { status: 200 }));
    await expect(bad.nodeCheck({ M: 1, N: 1, K: 1 })).rejects.toThrow(/does not match the schema/);
  });
});
