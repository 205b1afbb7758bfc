// The chart's tools: view (fit, reset), the comparison GPU, exports, and clearing points with an undo.
import type { HardwareEntry } from '../../lib/hardware';

interface Props {
  canFit: boolean;
  onFit(): void;
  viewSet: boolean;
  onReset(): void;
  compareKey: string | null;
  compareOptions: readonly HardwareEntry[];
  onCompare(key: string | null): void;
  points: number;
  onCsv(): void;
  onPng(): void;
  onSvg(): void;
  hasMeasured: boolean;
  onClearMeasured(): void;
  onClearAll(): void;
  /** After a clear: what it removed, and how to put it back. */
  undo: { text: string; onUndo(): void } | null;
}

export function Toolbar(props: Props) {
  return (
    <>
      <div className="toolbar" role="toolbar" aria-label="Chart tools">
        <button type="button" onClick={props.onFit} disabled={!props.canFit}>
          Zoom to fit
        </button>
        <button type="button" onClick={props.onReset} disabled={!props.viewSet}>
          Reset view
        </button>
        <label className="compare">
          Compare
          <select
            value={props.compareKey ?? ''}
            onChange={(e) => props.onCompare(e.target.value || null)}
            aria-label="Compare with a second GPU's roofs"
          >
            <option value="">— no second GPU —</option>
            {props.compareOptions.map((h) => (
              <option key={h.key} value={h.key}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <span className="group" role="group" aria-label="Export">
          <button type="button" onClick={props.onCsv} disabled={props.points === 0}>
            Export CSV
          </button>
          <button type="button" onClick={props.onPng}>
            PNG
          </button>
          <button type="button" onClick={props.onSvg}>
            SVG
          </button>
        </span>
        <button type="button" onClick={props.onClearMeasured} disabled={!props.hasMeasured}>
          Clear measured
        </button>
        <button type="button" className="danger" onClick={props.onClearAll} disabled={props.points === 0}>
          Clear all
        </button>
      </div>
      {props.undo && (
        <p className="undo" role="status" data-testid="undo">
          {props.undo.text}{' '}
          <button type="button" className="link" onClick={props.undo.onUndo}>
            Undo
          </button>
        </p>
      )}
    </>
  );
}
