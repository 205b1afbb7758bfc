import { describe, expect, it } from 'vitest';
import { comparisonRows } from './compare';
import { makeProblem, predictPoint } from './model';
import { registry } from './registry';
import { makePlotPoint } from './state';

const h100 = registry.at('h100-sxm');
const b200 = registry.at('b200');

describe('comparisonRows', () => {
  it('predicts each shape of the primary GPU again on the second one, with the ratio', () => {
    const pts = [
      makePlotPoint(predictPoint(h100, makeProblem(4096, 4096, 4096, 'FP16')), 'server', 1, 1),
      makePlotPoint(predictPoint(h100, makeProblem(1, 4096, 4096, 'FP8_E4M3')), 'server', 1, 2),
      // Another GPU's point is not a row.
      makePlotPoint(predictPoint(b200, makeProblem(2048, 2048, 2048, 'FP16')), 'server', 2, 3),
    ];
    const rows = comparisonRows(pts, 'h100-sxm', b200);
    expect(rows).toHaveLength(2);
    const fp16 = rows.find((r) => r.primary.a_precision === 'FP16')!;
    const direct = predictPoint(b200, makeProblem(4096, 4096, 4096, 'FP16'));
    expect(fp16.other.tflops).toBe(direct.tflops);
    expect(fp16.other.hardware_key).toBe('b200');
    expect(fp16.ratio).toBeCloseTo((direct.tflops as number) / (fp16.primary.tflops as number), 12);
    expect(fp16.primaryPredicted).toBeNull();
  });

  it('uses a measurement as the primary figure and keeps its prediction beside it', () => {
    const pred = predictPoint(h100, makeProblem(4096, 4096, 4096, 'FP16'));
    const meas = { ...pred, source: 'measured' as const, tflops: (pred.tflops as number) * 0.7, label: pred.label.replace('predicted', 'measured') };
    const rows = comparisonRows([makePlotPoint(pred, 'server', 1, 1), makePlotPoint(meas, 'server', 1, 2)], 'h100-sxm', b200);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.primary.source).toBe('measured');
    expect(rows[0]!.primaryPredicted?.tflops).toBe(pred.tflops);
  });

  it('keeps mixed precisions (FP16 × INT4) as they were asked', () => {
    const p = predictPoint(h100, makeProblem(4096, 4096, 4096, 'FP16', 'FP16', 'INT4'));
    const [row] = comparisonRows([makePlotPoint(p, 'server', null, 1)], 'h100-sxm', b200);
    expect(row!.other.b_precision).toBe('INT4');
    expect(row!.other.ai).toBe(p.ai);
  });
});
