// The tooltip gives what issue 12 asks every point to show: the pacing and clock it ran at (or the prediction
// assumes), % of roof at the datasheet clock and at that clock, the prediction with its interval, and on a
// measured point measured / predicted.
import { describe, expect, it } from 'vitest';
import { makeProblem, predictPoint } from '../../lib/model';
import { registry } from '../../lib/registry';
import { tooltipRows } from './Tooltip';

describe('tooltipRows', () => {
  const predicted = predictPoint(registry.at('h200'), makeProblem(8192, 8192, 8192, 'BF16'));

  it('a predicted point: pacing, clock, both % of roof and the interval', () => {
    const rows = new Map(tooltipRows(predicted));
    expect(rows.get('pacing, clock')).toBe('paced, 1980 MHz');
    expect(rows.get('% of roof')).toMatch(/%$/);
    expect(rows.get('% of roof at its clock')).toMatch(/% \(1980 MHz; datasheet 1830\)$/);
    expect(rows.get('predicted')).toMatch(/\[.+ – .+\], calibrated$/);
    expect(rows.has('measured / predicted')).toBe(false);
  });

  it('a measured point also: measured / predicted', () => {
    const measured = { ...predicted, source: 'measured' as const, prediction_error: 1.087 };
    expect(new Map(tooltipRows(measured)).get('measured / predicted')).toBe('1.09');
  });
});
