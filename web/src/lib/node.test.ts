import { describe, expect, it } from 'vitest';
import { gpuColumns, spreadLine, verdict } from './node';
import type { NodeCheck, NodeGpu, NodePhase } from './types';
import { validateNodeCheck } from './validate.gen.js';

const phase = (tflops: number | null, clock = 1980): NodePhase => ({
  ran: tflops !== null,
  message: tflops === null ? 'the GPU worker died' : '',
  flops: 1e15,
  time_s: tflops === null ? 0 : 1e15 / (tflops * 1e12),
  tflops,
  sm_clock_mhz: clock,
  sm_clock_max_mhz: 1980,
  power_w: 600,
  power_limit_w: 700,
  temperature_c: 60,
  throttle_reasons: [],
});

const gpu = (index: number, alone: NodePhase, together: NodePhase): NodeGpu => ({
  index,
  name: 'NVIDIA H200',
  uuid: `GPU-${index}`,
  pci_bus_id: `00000000:${index}9:00.0`,
  serial: `13240000${index}`,
  link: { pcie_generation: 5, pcie_generation_max: 5, pcie_width: 16, pcie_width_max: 16 },
  alone,
  together,
});

// A planted node: GPU 2 is 5% slow at a lower clock; GPU 3 failed together.
const report: NodeCheck = {
  host: 'node-a',
  gpus: [gpu(1, phase(700), phase(690)), gpu(0, phase(702), phase(691)), gpu(2, phase(665, 1880), phase(655, 1880)), gpu(3, phase(701), phase(null))],
  spread: {
    alone: { gpus: 4, median_tflops: 700.5, min_tflops: 665, max_tflops: 702, spread_pct: 5.28 },
    together: { gpus: 3, median_tflops: 690, min_tflops: 655, max_tflops: 691, spread_pct: 5.2 },
  },
  outliers: [
    { index: 2, phase: 'alone', deficit_pct: 5, reasons: ['clock'], message: 'GPU 2 is 5.0% below ...' },
    { index: 2, phase: 'together', deficit_pct: 5, reasons: ['clock'], message: 'GPU 2 is 5.1% below ...' },
    { index: 3, phase: 'together', deficit_pct: null, reasons: ['failed'], message: 'GPU 3 gave no result together' },
  ],
  thresholds: { slow_pct: 3, clock_pct: 2, power_limit_pct: 2, power_near_limit: 0.97, temperature_c: 10, load_drop_pct: 3 },
};

/** Column i of the view (a test failure, not a crash, when it is missing). */
function col(i: number) {
  const c = gpuColumns(report)[i];
  if (!c) throw new Error(`no column ${i}`);
  return c;
}

describe('node check view', () => {
  it('is a valid NodeCheck document (the fixture follows the schema)', () => {
    expect(validateNodeCheck(report)).toBe(true);
  });

  it('puts the GPUs side by side in index order with their identity', () => {
    expect(gpuColumns(report).map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(col(2).identity).toEqual({ uuid: 'GPU-2', pci: '00000000:29:00.0', serial: '132400002', link: 'PCIe gen 5 x16 (of gen 5 x16)' });
  });

  it('scales the bars to the fastest GPU of each phase', () => {
    expect(col(0).alone.share).toBe(1);
    expect(col(2).alone.share).toBeCloseTo(665 / 702, 6);
    expect(col(3).together.share).toBe(0);
    expect(col(3).together.failed).toContain('worker died');
  });

  it('names each outlier GPU with its reasons once', () => {
    expect(col(2).reasons).toEqual(['clock']);
    expect(col(2).outliers).toHaveLength(2);
    expect(col(0).reasons).toEqual([]);
    expect(verdict(report)).toBe('GPU 2: clock; GPU 3: failed');
  });

  it('says when there are no outliers and describes the spread', () => {
    expect(verdict({ ...report, outliers: [] })).toMatch(/No outliers: every GPU within 3%/);
    expect(spreadLine(report, 'alone')).toBe('alone: 4 GPUs, median 700.5 TFLOP/s, spread 5.3%');
    expect(spreadLine({ ...report, spread: { ...report.spread, together: { gpus: 0, median_tflops: null, min_tflops: null, max_tflops: null, spread_pct: null } } }, 'together')).toBe(
      'together: no GPU gave a result',
    );
  });
});
