import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvEscape, jsonNumber, parseCsv, pointsCsv } from './csv';
import { makeProblem, predictPoint } from './model';
import { registry } from './registry';

describe('jsonNumber (nlohmann::json spelling)', () => {
  it('matches how the core dumps doubles', () => {
    expect(jsonNumber(2048)).toBe('2048.0');
    expect(jsonNumber(1365.33333)).toBe('1365.33333');
    expect(jsonNumber(0.999511957)).toBe('0.999511957');
    expect(jsonNumber(6.41741071e-5)).toBe('6.41741071e-05');
    expect(jsonNumber(2.95627472e20)).toBe('2.95627472e+20');
    expect(jsonNumber(0.0005)).toBe('0.0005');
    expect(jsonNumber(9.895e14)).toBe('989500000000000.0');
    expect(jsonNumber(1e15)).toBe('1e+15');
    expect(jsonNumber(1e16)).toBe('1e+16');
    expect(jsonNumber(1.5e16)).toBe('1.5e+16');
    expect(jsonNumber(0)).toBe('0.0');
    expect(jsonNumber(null)).toBe('');
  });
});

describe('pointsCsv', () => {
  it('writes the CLI columns with exact counts and escaped text', () => {
    const hw = registry.at('h100-sxm');
    const points = [
      predictPoint(hw, makeProblem(4096, 4096, 4096, 'FP16')),
      predictPoint(hw, makeProblem(4096, 4096, 4096, 'NVFP4')),
      predictPoint(hw, makeProblem(2147483647, 2147483647, 2147483647, 'FP64')),
    ];
    const rows = parseCsv(pointsCsv(points));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(4);
    const col = (r: number, name: (typeof CSV_COLUMNS)[number]) => rows[r]?.[CSV_COLUMNS.indexOf(name)];
    expect(col(1, 'label')).toBe('4096x4096x4096 [FP16] (predicted)');
    expect(col(1, 'flops')).toBe('137438953472');
    expect(col(1, 'bound')).toBe('compute');
    expect(col(2, 'disposition')).toBe('not_supported');
    expect(col(2, 'tflops')).toBe('');
    expect(col(2, 'message')).toMatch(/has no NVFP4/); // contains commas and colons: quoted, read back whole
    expect(col(3, 'flops')).toBe((2n * 2147483647n ** 3n).toString());
  });

  it('writes the prediction columns the CLI writes: pacing, clock, roof at that clock, interval, error', () => {
    const hw = registry.at('h200');
    const predicted = predictPoint(hw, makeProblem(4096, 4096, 4096, 'BF16'));
    const measured = { ...predicted, source: 'measured' as const, label: 'm', prediction_error: 1.25 };
    const rows = parseCsv(pointsCsv([predicted, measured]));
    expect(rows[0]?.slice(20)).toEqual([
      'pacing', 'clock_mhz', 'roof_clock_mhz', 'fraction_of_roof_at_run_clock', 'predicted_time_us',
      'interval_low_us', 'interval_high_us', 'calibrated', 'prediction_error',
    ]);
    const col = (r: number, name: (typeof CSV_COLUMNS)[number]) => rows[r]?.[CSV_COLUMNS.indexOf(name)] ?? '';
    expect(col(1, 'pacing')).toBe('paced');
    expect(Number(col(1, 'clock_mhz'))).toBeGreaterThan(Number(col(1, 'roof_clock_mhz'))); // 1980 vs 1830 MHz
    expect(col(1, 'calibrated')).toBe('true'); // the shipped H200 profile
    const [t, lo, hi] = ['predicted_time_us', 'interval_low_us', 'interval_high_us'].map((c) =>
      Number(col(1, c as (typeof CSV_COLUMNS)[number])),
    );
    expect(t).toBeCloseTo((predicted.prediction?.time_s ?? 0) * 1e6, 3);
    expect(lo).toBeLessThan(t as number);
    expect(hi).toBeGreaterThan(t as number);
    expect(col(1, 'prediction_error')).toBe(''); // a predicted point has none
    expect(col(2, 'prediction_error')).toBe('1.25');
  });

  it('round-trips quotes and newlines', () => {
    expect(csvEscape('plain')).toBe('plain');
    expect(parseCsv(`${csvEscape('a "b", c\nd')},x\n`)).toEqual([['a "b", c\nd', 'x']]);
  });
});
