// The shared golden cases: libs/core/tests/golden_test.cpp computes the same inputs with the C++ core. Both must
// give these numbers, so the offline model can stand in for the server without the plot changing.
import { describe, expect, it } from 'vitest';
import golden from '../../../data/golden/predictions.json';
import { registry } from './registry';
import {
  computeTraffic,
  makeProblem,
  operandBytes,
  predictPoint,
  roundSig,
  trafficBytes,
  validateProblem,
} from './model';
import { parsePrecision, type PrecisionName } from './precision';

interface GoldenCase {
  name: string;
  input: {
    M: number;
    N: number;
    K: number;
    precision: string;
    a_precision?: string;
    b_precision?: string;
    out_precision?: string;
    beta?: number;
    hardware: string;
  };
  expected: {
    flops: number;
    bytes: number;
    ai: number;
    tflops: number | null;
    time_us: number | null;
    bound: string;
    disposition: string;
  };
}

const cases = (golden as { cases: GoldenCase[] }).cases;
const opt = (s?: string): PrecisionName | undefined => (s === undefined ? undefined : parsePrecision(s));

// The expected figures are the core's output rounded to 9 significant digits (report.cpp's round_sig); ours go
// through the same rounding, so they must agree to the last digit: 1e-12 leaves room only for a last-bit
// difference between V8's and glibc's pow().
const close = (got: number | null, want: number | null) => {
  if (want === null) {
    expect(got).toBeNull();
    return;
  }
  expect(got).not.toBeNull();
  expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));
};

describe('golden predictions (shared with the C++ core)', () => {
  it('has enough cases to mean something', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const i = c.input;
    const problem = makeProblem(
      i.M, i.N, i.K, parsePrecision(i.precision),
      opt(i.a_precision), opt(i.b_precision), opt(i.out_precision), i.beta ?? 0,
    );
    expect(validateProblem(problem)).toEqual([]);
    const p = predictPoint(registry.at(i.hardware), problem);
    // Counts beyond 2^64 are doubles in the core's JSON; Number(BigInt) rounds the same way.
    expect(p.flops).toBe(c.expected.flops);
    expect(p.bytes).toBe(c.expected.bytes);
    close(p.ai, c.expected.ai);
    close(p.tflops, c.expected.tflops);
    close(p.time_us, c.expected.time_us);
    expect(p.bound).toBe(c.expected.bound);
    expect(p.disposition).toBe(c.expected.disposition);
    if (c.expected.disposition !== 'passed') expect(p.message).not.toBe('');
  });
});

describe('traffic model', () => {
  it('pads NVFP4 block scales per started block of 16 along K', () => {
    // K=17: 17 elements × 4 bits = 68 bits + 2 scale blocks × 8 bits = 84 bits per row → 3 rows = 252 bits = 32 B.
    expect(operandBytes('NVFP4', 3, 17)).toBe(32n);
    // MXFP8: one UE8M0 per 32 → K=32 is exactly one block.
    expect(operandBytes('MXFP8', 1, 32)).toBe(33n);
  });

  it('counts C only when beta is non-zero', () => {
    const noC = computeTraffic(makeProblem(64, 64, 64, 'FP16'));
    const withC = computeTraffic(makeProblem(64, 64, 64, 'FP16', null, null, null, 1));
    expect(noC.cBytes).toBe(0n);
    expect(withC.cBytes).toBe(withC.dBytes);
    expect(trafficBytes(withC) - trafficBytes(noC)).toBe(64n * 64n * 2n);
  });

  it('keeps exact counts past 2^53', () => {
    const t = computeTraffic(makeProblem(2147483647, 2147483647, 2147483647, 'FP64'));
    expect(t.flops).toBe(2n * 2147483647n ** 3n);
  });

  it('lets the wider input of a mixed GEMM choose the output', () => {
    const p = makeProblem(16, 4096, 4096, 'FP16', null, 'INT4');
    expect(p.out).toBe('FP16');
    const q = makeProblem(16, 4096, 4096, 'INT8');
    expect(q.out).toBe('INT32');
  });

  it('rejects out-of-range dimensions and accumulator inputs', () => {
    expect(validateProblem(makeProblem(0, 1, 1, 'FP16')).map((e) => e.field)).toEqual(['M']);
    expect(validateProblem(makeProblem(1, 1, 2147483648, 'FP16')).map((e) => e.field)).toEqual(['K']);
    expect(validateProblem(makeProblem(1, 1, 1.5, 'FP16')).map((e) => e.field)).toEqual(['K']);
    expect(validateProblem(makeProblem(1, 1, 1, 'INT32')).map((e) => e.field)).toEqual(['a_precision', 'b_precision']);
  });
});

describe('roundSig', () => {
  it('keeps nine significant digits like report.cpp', () => {
    expect(roundSig(1365.333333333)).toBe(1365.33333);
    expect(roundSig(0.0009995119571)).toBe(0.000999511957);
    expect(roundSig(0)).toBe(0);
    expect(roundSig(-2.5, 1)).toBe(-3); // halves away from zero, as std::round
    expect(roundSig(2.5, 1)).toBe(3);
  });
});

describe('predicted points', () => {
  it('label unsupported precisions with the reason and no time', () => {
    const p = predictPoint(registry.at('h100-sxm'), makeProblem(4096, 4096, 4096, 'NVFP4'));
    expect(p.disposition).toBe('not_supported');
    expect(p.tflops).toBeNull();
    expect(p.message).toMatch(/has no NVFP4/);
    expect(p.colour).toBe('#a855f7');
  });

  it('give a pair with no roof no attainable rate, and keep it under the GPU\'s fastest roof', () => {
    // H20: no FP64 rate is reported (issue 12: such pairs never get an attainable rate).
    const p = predictPoint(registry.at('h20'), makeProblem(8192, 8192, 8192, 'FP64'));
    expect(p.bound).toBe('unknown');
    expect(p.message).toMatch(/no compute roof/);
    expect(p.roof?.attainable_tflops).toBeNull();
    expect(p.tflops as number).toBeLessThanOrEqual(296);
  });

  it('derive the GB10 FP8 roof from NVFP4 and predict under it (was 559 TFLOP/s above the 500 roof)', () => {
    const p = predictPoint(registry.at('b10'), makeProblem(4096, 4096, 4096, 'FP8_E4M3'));
    expect(p.roof?.compute_roof_tflops).toBe(250);
    expect(p.tflops as number).toBeLessThanOrEqual(250);
  });

  it('carry an interval, the calibrated flag, the pacing and the clock (1x1x1 is not 0 us)', () => {
    const p = predictPoint(registry.at('h200'), makeProblem(1, 1, 1, 'FP16'));
    expect(p.time_us as number).toBeGreaterThan(1);
    expect(p.prediction?.calibrated).toBe(true);
    expect(p.pacing).toBe('paced');
    expect(p.clock_mhz).toBe(1980);
    const q = predictPoint(registry.at('l4'), makeProblem(4096, 4096, 4096, 'FP16'));
    expect(q.prediction?.calibrated).toBe(false);
    expect((q.prediction?.interval_high_s as number) / (q.prediction?.interval_low_s as number)).toBeGreaterThan(1.5);
  });

  it('count W4A16 group scales and a BF16 C under an FP8 D', () => {
    const w = computeTraffic(makeProblem(16, 4096, 4096, 'FP16', null, 'INT4'));
    expect(w.bBytes).toBe(8n * 1024n * 1024n + 256n * 1024n);
    const f = computeTraffic(makeProblem(4096, 4096, 4096, 'FP8_E4M3', null, null, 'FP8_E4M3', 1));
    expect(trafficBytes(f)).toBe(80n * 1024n * 1024n);
  });

  it('name mixed precisions as the core does', () => {
    const p = predictPoint(registry.at('h100-sxm'), makeProblem(16, 4096, 4096, 'FP16', null, 'INT4'));
    expect(p.precision).toBe('FP16xINT4->FP16');
    expect(p.label).toBe('16x4096x4096 [FP16xINT4->FP16] (predicted)');
  });
});
