import { describe, expect, it } from 'vitest';
import { registry } from './registry';
import { breakdown, forwardInterval, modelPoints, parseDuration, spotPoint, type ModelEstimate, type ModelGemm, type SpotResult } from './workloads';

const gemm = (name: string, role: 'weight' | 'attention', perLayer: number, occurrences: number, measured: number | null = null): ModelGemm => ({
  name,
  block: 'attention',
  role,
  layers: 'all',
  occurrences,
  count: 1,
  rows: 16,
  M: 16,
  N: 4096,
  K: 4096,
  a_precision: 'BF16',
  b_precision: 'BF16',
  out_precision: 'BF16',
  flops: 2 * 16 * 4096 * 4096,
  bytes: 1,
  ai: 1,
  bound: 'memory',
  roof_flops_per_s: 1,
  predicted: { time_s: perLayer, time_s_per_layer: perLayer, interval: null, status: 'passed', message: '' },
  measured: measured === null ? null : { time_s: measured, time_s_per_layer: measured, status: 'passed', message: '', flops_per_s: 1, prediction_error: null },
});

const estimate = (gemms: ModelGemm[]): ModelEstimate => ({
  scheme: { name: 'BF16', weights: 'BF16', activations: 'BF16', attention: 'BF16' },
  hardware_key: 'h200',
  gemms,
  totals: {} as ModelEstimate['totals'],
  dominant: { name: '', share: 0 },
  memory: { weight_bytes: 0, kv_cache_bytes: 0, gpu_memory_bytes: null, fits: null },
  measured_note: '',
});

describe('breakdown', () => {
  it('weights each GEMM by the layers that hold it and sorts largest first', () => {
    const bars = breakdown(estimate([gemm('q', 'weight', 1e-6, 32), gemm('lm_head', 'weight', 10e-6, 1), gemm('score', 'attention', 0.5e-6, 32)]));
    expect(bars.map((b) => b.name)).toEqual(['q', 'score', 'lm_head']);
    expect(bars[0]?.seconds).toBeCloseTo(32e-6, 12);
    expect(bars.reduce((s, b) => s + b.share, 0)).toBeCloseTo(1, 12);
  });
  it('prefers the measured time', () => {
    const bars = breakdown(estimate([gemm('q', 'weight', 1e-6, 2, 3e-6)]));
    expect(bars[0]?.seconds).toBeCloseTo(6e-6, 12);
  });
});

describe('forwardInterval', () => {
  it('sums the GEMMs\' intervals over the layers holding them', () => {
    const q = gemm('q', 'weight', 1e-6, 32);
    q.predicted.interval = { low_s: 0.9e-6, high_s: 1.2e-6, low_s_per_layer: 0.9e-6, high_s_per_layer: 1.2e-6, calibrated: true, basis: 'calibration h200' };
    const head = gemm('lm_head', 'weight', 10e-6, 1); // no interval: its time at both ends
    const iv = forwardInterval(estimate([q, head]));
    expect(iv?.low).toBeCloseTo(32 * 0.9e-6 + 10e-6, 12);
    expect(iv?.high).toBeCloseTo(32 * 1.2e-6 + 10e-6, 12);
    expect(iv?.calibrated).toBe(false); // not every GEMM is calibrated
  });
  it('is null when no GEMM has an interval', () => {
    expect(forwardInterval(estimate([gemm('q', 'weight', 1e-6, 32)]))).toBeNull();
  });
});

describe('modelPoints', () => {
  it('places each GEMM with the browser model and names it', () => {
    const pts = modelPoints(estimate([gemm('attn.q_proj', 'weight', 1e-6, 32)]), registry.at('h200'), 'Llama-3.1-8B');
    expect(pts).toHaveLength(1);
    expect(pts[0]?.label).toBe('Llama-3.1-8B BF16 attn.q_proj');
    expect(pts[0]?.M).toBe(16);
    expect(pts[0]?.flops).toBe(2 * 16 * 4096 * 4096);
    expect(pts[0]?.source).toBe('predicted');
  });
});

describe('spot helpers', () => {
  it('parses durations', () => {
    expect(parseDuration('12.5us')).toBeCloseTo(12.5e-6, 15);
    expect(parseDuration('1.2ms')).toBeCloseTo(1.2e-3, 15);
    expect(parseDuration('3e-5')).toBeCloseTo(3e-5, 15);
    expect(parseDuration('-1ms')).toBeNaN();
    expect(parseDuration('soon')).toBeNaN();
  });
  it('turns a spot result into a measured point at its AI and rate', () => {
    const s = { ai: 100, achieved_flops_per_s: 5e14, time_s: 1e-3, roof_precision: 'BF16', precision: 'BF16', flops: 5e11, bytes: 5e9, bound: 'memory', message: '', hardware_key: 'h200' } as SpotResult;
    const p = spotPoint(s, 'spot gemm');
    expect(p.ai).toBe(100);
    expect(p.tflops).toBe(500);
    expect(p.source).toBe('measured');
    expect(p.bound).toBe('memory');
  });
});
