// "Compare": the shapes on the chart for the primary GPU, predicted again for a second GPU by the model (the
// same numbers as the server's, lib/model.ts), one row per shape and precision with the ratio of the two.
import type { HardwareEntry } from './hardware';
import { makeProblem, predictPoint } from './model';
import { isPrecisionName, type PrecisionName } from './precision';
import type { PlotPoint } from './state';
import type { Point } from './types';

export interface ComparisonRow {
  key: string;
  /** The primary GPU's figure: its measurement when there is one, else its prediction. */
  primary: Point;
  /** The primary GPU's prediction, when the primary figure is a measurement (measured vs predicted). */
  primaryPredicted: Point | null;
  /** The same shape and precisions predicted for the second GPU. */
  other: Point;
  /** other ÷ primary, in TFLOP/s (> 1: the second GPU is faster); null when either has no figure. */
  ratio: number | null;
}

const shapeKey = (p: Point) => `${p.M}x${p.N}x${p.K}|${p.a_precision}|${p.b_precision}|${p.out_precision}|${p.beta}`;

const asPrecision = (s: string): PrecisionName | null => (isPrecisionName(s) ? s : null);

export function comparisonRows(points: PlotPoint[], primaryKey: string, other: HardwareEntry): ComparisonRow[] {
  const byShape = new Map<string, { measured?: Point; predicted?: Point }>();
  for (const pp of points) {
    const p = pp.point;
    if (p.hardware_key !== primaryKey || !asPrecision(p.a_precision) || !asPrecision(p.b_precision)) continue;
    const k = shapeKey(p);
    const slot = byShape.get(k) ?? {};
    // The newest measurement of a shape stands for it (points are in the order they were added).
    if (p.source === 'measured') slot.measured = p;
    else slot.predicted = p;
    byShape.set(k, slot);
  }
  const rows: ComparisonRow[] = [];
  for (const [key, slot] of byShape) {
    const primary = (slot.measured ?? slot.predicted)!;
    const problem = makeProblem(
      primary.M,
      primary.N,
      primary.K,
      primary.a_precision as PrecisionName,
      primary.a_precision as PrecisionName,
      primary.b_precision as PrecisionName,
      asPrecision(primary.out_precision),
      primary.beta,
    );
    const o = predictPoint(other, problem);
    const ratio = o.tflops && primary.tflops ? o.tflops / primary.tflops : null;
    rows.push({ key, primary, primaryPredicted: slot.measured ? (slot.predicted ?? null) : null, other: o, ratio });
  }
  return rows;
}
