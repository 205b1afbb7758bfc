// The comparison in figures: each shape on the chart for the primary GPU (measured where it was, else
// predicted) beside the same shape predicted for the second GPU, and their ratio.
import { formatNumber, formatShape } from '../../lib/format';
import type { ComparisonRow } from '../../lib/compare';
import { displayName, shortName } from '../../lib/plot/layout';

export function CompareTable({ rows, primary, other }: { rows: ComparisonRow[]; primary: string; other: string }) {
  const a = shortName(primary);
  const b = shortName(other);
  const hasMeasured = rows.some((r) => r.primary.source === 'measured');
  return (
    <section className="compare-table" aria-labelledby="compare-h">
      <h3 id="compare-h">
        {a} vs {b} <span className="hint">the same shapes; {b} predicted by the model</span>
      </h3>
      {rows.length === 0 ? (
        <p className="muted small">No point of {a} on the chart yet: analyze a shape and it is predicted for {b} here.</p>
      ) : (
        <div className="table-scroll">
          <table className="runs" data-testid="compare-table">
            <thead>
              <tr>
                <th scope="col">shape</th>
                <th scope="col">precision</th>
                <th scope="col">{a} TFLOP/s</th>
                {hasMeasured && <th scope="col">{a} predicted</th>}
                <th scope="col">{b} TFLOP/s (predicted)</th>
                <th scope="col" title={`${b} ÷ ${a}: above 1 the second GPU is faster`}>
                  ratio {b}/{a}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key} data-testid="compare-row" data-precision={r.primary.a_precision}>
                  <td>{formatShape(r.primary.M, r.primary.N, r.primary.K)}</td>
                  <td>{r.primary.a_precision === r.primary.b_precision ? displayName(r.primary.precision) : `${r.primary.a_precision} × ${r.primary.b_precision}`}</td>
                  <td>
                    {formatNumber(r.primary.tflops)} <span className="muted">{r.primary.source}</span>
                  </td>
                  {hasMeasured && <td>{r.primaryPredicted ? formatNumber(r.primaryPredicted.tflops) : '—'}</td>}
                  <td>{r.other.tflops === null ? r.other.message || '—' : formatNumber(r.other.tflops)}</td>
                  <td data-testid="compare-ratio">{r.ratio === null ? '—' : `${formatNumber(r.ratio, 3)}×`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
