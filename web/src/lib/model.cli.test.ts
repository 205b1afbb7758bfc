// Whole-POINT parity with the real core: for every registry GPU, every GEMM input precision and a spread of
// shapes (square, decode, odd sizes that exercise block-scale padding, mixed and beta≠0), the offline model's
// JSON must equal `roofline analyze --predict-only --format json` field by field. Needs the C++ binary
// (ROOFLINE_BIN, or the newest build/*/apps/roofline/roofline); without one it is skipped, and says so.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProblem, predictPoint } from './model';
import { GEMM_INPUTS, info, parsePrecision } from './precision';
import { registry } from './registry';
import type { Point } from './types';

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
if (!bin) console.log('model.cli.test: SKIPPED, no roofline binary (set ROOFLINE_BIN or build into build/*)');

const SHAPES: { shape: string; extra: string[]; a?: string; b?: string; out?: string; beta?: number }[] = [
  // Square and decode shapes are in the golden cases; these add what those do not cover.
  { shape: '3x5x17', extra: [] },
  { shape: '16x4096x4096', extra: ['--b-precision', 'INT4'], b: 'INT4' },
  { shape: '777x1000x33', extra: ['--out-precision', 'FP32', '--beta', '1'], out: 'FP32', beta: 1 },
];

function closeTo(got: unknown, want: unknown, path: string): void {
  if (typeof want === 'number' && typeof got === 'number') {
    expect(Math.abs(got - want), `${path}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want));
  } else if (want !== null && typeof want === 'object' && got !== null && typeof got === 'object') {
    expect(Object.keys(got).sort(), `${path} keys`).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) closeTo((got as never)[k], (want as never)[k], `${path}.${k}`);
  } else {
    expect(got, path).toEqual(want);
  }
}

describe.skipIf(!bin)('offline model = C++ core, whole points', () => {
  for (const hw of registry.entries) {
    it(`${hw.key}: every precision, ${SHAPES.length} shapes`, () => {
      for (const s of SHAPES) {
        const r = spawnSync(
          bin as string,
          ['analyze', '--predict-only', '--shape', s.shape, '--precision', 'all', '--hardware', hw.key, '--format', 'json', ...s.extra],
          { encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(0);
        const doc = JSON.parse(r.stdout) as { points: Point[] };
        expect(doc.points).toHaveLength(GEMM_INPUTS.length);
        const [m, n, k] = s.shape.split('x').map(Number) as [number, number, number];
        for (const want of doc.points) {
          // A weight-only point (W4A16) is named by its weights, B; the others by A.
          const wb = parsePrecision(want.b_precision);
          const p = info(wb).weightOnly && !s.b ? wb : parsePrecision(want.a_precision);
          const got = predictPoint(
            hw,
            makeProblem(m, n, k, p, null, s.b ? parsePrecision(s.b) : null, s.out ? parsePrecision(s.out) : null, s.beta ?? 0),
          );
          closeTo(got, want, `${hw.key} ${s.shape} ${want.precision}`);
        }
      }
    });
  }
});
