// The workload documents the real binary prints (`roofline model/spot/batch/doctor --format json`) conform to
// schemas/ (model, spot, batch, doctor). Needs the C++ binary (ROOFLINE_BIN, or the newest build/*); without one
// it is skipped, and says so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';

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

const bin = findBinary();
if (!bin) console.log('workloads.cli.test: SKIPPED, no roofline binary (set ROOFLINE_BIN or build into build/*)');

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const dir = join(repo, 'schemas');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')) as object);
  }
  return (id: string, doc: unknown) => {
    const v = ajv.getSchema(id);
    if (!v) throw new Error(`no schema ${id}`);
    const ok = v(doc);
    return ok ? '' : JSON.stringify(v.errors?.slice(0, 3));
  };
}

function run(args: string[], input?: string): unknown {
  const r = spawnSync(bin as string, args, { encoding: 'utf8', input });
  return JSON.parse(r.stdout) as unknown;
}

describe.skipIf(!bin)('workload documents match schemas/', () => {
  const check = validator();
  it('roofline model', () => {
    for (const model of ['llama-3.1-8b', 'mixtral-8x7b', 'deepseek-v3', 'gpt-oss-20b']) {
      const doc = run(['model', model, '--tokens', '512', '--phase', 'decode', '--batch', '4', '--predict-only', '--hardware', 'h200', '--precision', 'BF16,W4A16', '--format', 'json']);
      expect(check('model.schema.json', doc), model).toBe('');
    }
  });
  it('roofline spot', () => {
    const doc = run(['spot', '--op', 'attention', '--heads', '32', '--q-len', '1024', '--kv-len', '1024', '--head-dim', '128', '--time', '1ms', '--hardware', 'h200', '--format', 'json']);
    expect(check('spot.schema.json', doc)).toBe('');
  });
  it('roofline batch', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-schema-'));
    const file = join(dir, 'cases.csv');
    writeFileSync(file, '64,64,64,FP16\n64,64,x,FP16\n');
    const doc = run(['batch', file, '--predict-only', '--hardware', 'h200', '--db', join(dir, 'runs.db'), '--format', 'json']);
    expect(check('batch.schema.json', doc)).toBe('');
  });
  it('roofline doctor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-doctor-'));
    const doc = run(['doctor', '--port', '0', '--db', join(dir, 'd.db'), '--format', 'json']);
    expect(check('doctor.schema.json', doc)).toBe('');
  });
});
