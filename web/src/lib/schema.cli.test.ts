// Every document the C++ side emits validates against schemas/ (the one definition of the data), with no property
// the schema does not name: `roofline analyze --format json` (predicted), `roofline hardware show/list`, the data
// files it reads, and the answers of a real `roofline serve` (health, precisions, hardware, analyze, the stream's
// events, runs, errors), measured points included through the server's fake GPU worker when it is built.
// Needs the binary (ROOFLINE_BIN, or the newest build/*/apps/roofline/roofline); without one it is skipped, and
// says so.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '../../..');

function findBinary(): string | null {
  if (process.env.ROOFLINE_BIN) return existsSync(process.env.ROOFLINE_BIN) ? resolve(process.env.ROOFLINE_BIN) : null;
  const dir = join(repo, 'build');
  if (!existsSync(dir)) return null;
  const found = readdirSync(dir)
    .map((d) => join(dir, d, 'apps/roofline/roofline'))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found[0] ?? null;
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
for (const f of readdirSync(join(repo, 'schemas')).filter((n) => n.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(repo, 'schemas', f), 'utf8')));
}

/** Asserts `doc` is a valid `ref` ("point.schema.json", "run.schema.json#/$defs/RunsPage", ...). */
export function expectValid(ref: string, doc: unknown, what: string): void {
  const validate = ajv.getSchema(ref);
  if (!validate) throw new Error(`no schema ${ref}`);
  const ok = validate(doc);
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  // soft: one run lists every document that departs from the schemas, not just the first
  expect.soft(errors, `${what} against ${ref}`).toEqual([]);
  expect.soft(ok, `${what} against ${ref}`).toBe(true);
}

describe('schemas', () => {
  it('data/precisions.json is a PrecisionCatalogue', () => {
    expectValid('precisions.schema.json', JSON.parse(readFileSync(join(repo, 'data/precisions.json'), 'utf8')), 'data/precisions.json');
  });

  it('every data/hardware file is a HardwareFile', () => {
    const dir = join(repo, 'data/hardware');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      expectValid('hardware-file.schema.json', JSON.parse(readFileSync(join(dir, f), 'utf8')), f);
    }
  });

});

const bin = findBinary();
if (!bin) console.log('schema.cli.test: SKIPPED, no roofline binary (set ROOFLINE_BIN or build into build/*)');

function cli(args: string[]): unknown {
  const r = spawnSync(bin!, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`roofline ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.runIf(bin)('the CLI', () => {
  it('the check can fail: a point with a property the schema does not name, or without a required one', () => {
    const doc = cli(['analyze', '--predict-only', '--format', 'json', '--shape', '64x64x64']) as { points: Record<string, unknown>[] };
    const validate = ajv.getSchema('point.schema.json')!;
    const point = doc.points[0]!;
    expect(validate(point)).toBe(true);
    expect(validate({ ...point, not_in_the_schema: 1 })).toBe(false);
    const { flops: _, ...without } = point;
    expect(validate(without)).toBe(false);
  });

  it('analyze --format json is an AnalysisDocument (every precision, mixed and beta)', () => {
    for (const args of [
      ['--shape', '4096x4096x4096', '--precision', 'all', '--hardware', 'h100-sxm'],
      ['--shape', '16x4096x4096', '--b-precision', 'INT4', '--hardware', 'b200'],
      ['--shape', '777x1000x33', '--out-precision', 'FP32', '--beta', '1', '--all-precisions'],
    ]) {
      expectValid('answer.schema.json#/$defs/AnalysisDocument', cli(['analyze', '--predict-only', '--format', 'json', ...args]), args.join(' '));
    }
  });

  it('hardware show KEY and hardware list print HardwareEntry documents', () => {
    expectValid('hardware.schema.json', cli(['hardware', 'show', 'h200', '--format', 'json']), 'hardware show h200');
    const list = cli(['hardware', 'list', '--format', 'json']);
    const entries = Array.isArray(list) ? list : (list as { hardware: unknown[] }).hardware;
    expect(entries.length).toBeGreaterThan(10);
    for (const e of entries) expectValid('hardware.schema.json', e, 'hardware list entry');
  });
});

interface Server {
  url: string;
  proc: ChildProcess;
  dir: string;
}

async function startServer(extra: string[]): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'roofline-schema-'));
  const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'runs.db'), '--web-root', dir, ...extra];
  const proc = spawn(bin!, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ROOFLINE_PROFILE_DIR: join(dir, 'profiles') } });
  let log = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 15 s:\n${log}`)), 15000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!.replace(/\/$/, ''));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => fail(new Error(`server exited (${code}) before listening:\n${log}`)));
  });
  return { url, proc, dir };
}

async function stopServer(s: Server | undefined): Promise<void> {
  if (!s) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await exited;
  rmSync(s.dir, { recursive: true, force: true });
}

async function getJson(s: Server, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(s.url + path, init);
  return { status: res.status, body: await res.json() };
}

const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** The events of an SSE answer, data parsed. */
async function events(s: Server, path: string, body: unknown): Promise<{ event: string; data: unknown }[]> {
  const res = await fetch(s.url + path, post(body));
  const text = await res.text();
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return event ? { event, data: JSON.parse(data) as unknown } : null;
    })
    .filter((e): e is { event: string; data: unknown } => e !== null);
}

const EVENT_SCHEMA: Record<string, string> = {
  queued: 'stream-events.schema.json#/$defs/QueuedEvent',
  started: 'stream-events.schema.json#/$defs/StartedEvent',
  error: 'stream-events.schema.json#/$defs/ErrorEvent',
  point: 'point.schema.json',
  done: 'answer.schema.json',
};

// The fake worker crashes on INT8, reports a fatal CUDA error on INT4, a failed point on FP8_E5M2 and hangs on
// NVFP4 (fake_worker.cpp): the GPU server is asked for the first three and a passing one.
async function checkServer(s: Server, label: string, precisions: string[] | null): Promise<void> {
  const health = await getJson(s, '/api/health');
  expectValid('health.schema.json', health.body, `${label} /api/health`);
  expectValid('precisions.schema.json#/$defs/PrecisionList', (await getJson(s, '/api/precisions')).body, '/api/precisions');
  expectValid('hardware.schema.json#/$defs/HardwareList', (await getJson(s, '/api/hardware')).body, '/api/hardware');
  expectValid('hardware.schema.json', (await getJson(s, '/api/hardware/gb10')).body, '/api/hardware/gb10');

  const answer = await getJson(
    s,
    `/api/analyze?run_all_precisions=${precisions === null}`,
    post({ M: 4096, N: 4096, K: 4096, ...(precisions ? { precisions } : {}) }),
  );
  expect(answer.status).toBe(200);
  expectValid('answer.schema.json', answer.body, `${label} POST /api/analyze`);
  // Like the CLI's, the API's measured points with a time say why they sit below their roof.
  for (const p of (answer.body as { measured: { time_s: number | null; gap?: unknown }[] }).measured) {
    expect(p.gap !== undefined, `${label}: a measured point with a time carries gap`).toBe(p.time_s !== null);
  }
  const mixed = await getJson(s, '/api/analyze?hardware_key=h100-sxm', post({ M: 16, N: 4096, K: 4096, precisions: ['FP16', 'INT8'], b_precision: 'INT4', beta: 1, mode: 'hot' }));
  expectValid('answer.schema.json', mixed.body, `${label} POST /api/analyze (mixed)`);

  const stream = await events(s, '/api/analyze/stream', { M: 1024, N: 1024, K: 1024, precisions: precisions ?? ['FP16', 'INT8', 'NVFP4'] });
  expect(stream.map((e) => e.event)).toContain('done');
  for (const e of stream) expectValid(EVENT_SCHEMA[e.event]!, e.data, `${label} stream event ${e.event}`);

  const runs = await getJson(s, '/api/runs');
  expectValid('run.schema.json#/$defs/RunsPage', runs.body, `${label} /api/runs`);
  const id = (answer.body as { run_id: number }).run_id;
  expectValid('run.schema.json', (await getJson(s, `/api/runs/${id}`)).body, `${label} /api/runs/${id}`);

  for (const [path, init] of [
    ['/api/analyze', post({ M: 0, N: 1, K: 1 })],
    ['/api/analyze', post({ M: 1, N: 1, K: 1, misspelt: 1 })],
    ['/api/runs/999999', {}],
    ['/api/hardware/nope', {}],
    ['/api/nothing', {}],
  ] as [string, RequestInit][]) {
    const r = await getJson(s, path, init);
    expect(r.status, path).toBeGreaterThanOrEqual(400);
    expectValid('error.schema.json', r.body, `${label} error from ${path}`);
  }
}

describe.runIf(bin)('the server', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer(['--predict-only']);
  });
  afterAll(() => stopServer(server));

  it('answers prediction-only documents that match the schemas', async () => {
    await checkServer(server!, 'prediction-only', null);
  });
});

const fakeWorker = bin ? join(dirname(bin), '../../libs/server/fake_worker') : '';
describe.runIf(bin && existsSync(fakeWorker))('the server with a (fake) GPU worker', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer(['--worker-command', fakeWorker, '--precision-timeout', '5']);
  });
  afterAll(() => stopServer(server));

  it('answers measured points, failures and the stream events that match the schemas', async () => {
    await checkServer(server!, 'gpu (fake worker)', ['FP16', 'INT8', 'INT4', 'FP8_E5M2']);
  }, 60000);
});
