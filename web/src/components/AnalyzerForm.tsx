// The analyzer: shape, precisions (any subset, or the seed's sweep), hardware, timing, and the advanced mixed /
// output precision. Every control has a visible label; errors are tied to their field for screen readers.
import { useId } from 'react';
import { peakOf, type HardwareEntry } from '../lib/hardware';
import { DEFAULT_SWEEP, GEMM_INPUTS, info, type PrecisionName } from '../lib/precision';
import { MEASURED_HARDWARE, type FormState } from '../lib/state';
import type { HardwareRoofs } from '../lib/types';

export type FieldErrors = Partial<Record<'M' | 'N' | 'K' | 'precisions' | 'beta' | 'iterations' | string, string>>;

interface Props {
  form: FormState;
  errors: FieldErrors;
  running: boolean;
  hardwareOptions: readonly HardwareEntry[];
  measuredProfile: HardwareRoofs | null;
  backend: 'gpu' | 'prediction-only' | null;
  onChange(patch: Partial<FormState>): void;
  onAnalyze(): void;
  onCancel(): void;
}

const PRESETS: { label: string; m: string; n: string; k: string }[] = [
  { label: '4096³', m: '4096', n: '4096', k: '4096' },
  { label: '8192³', m: '8192', n: '8192', k: '8192' },
  { label: '1×4096²', m: '1', n: '4096', k: '4096' },
  { label: '16×4096²', m: '16', n: '4096', k: '4096' },
];

export const SWEEP_LABEL = 'Run all precisions (FP16, FP8, NVFP4, INT8, INT4)';

export function AnalyzerForm(props: Props) {
  const { form, errors, running, hardwareOptions, measuredProfile, backend, onChange } = props;
  const id = useId();
  const hw = hardwareOptions.find((h) => h.key === form.hardware);

  const dim = (field: 'm' | 'n' | 'k', label: 'M' | 'N' | 'K', hint: string) => (
    <div className="field dim">
      <label htmlFor={`${id}-${field}`} title={hint}>
        {label} <span className="hint">{hint}</span>
      </label>
      <input
        id={`${id}-${field}`}
        name={label}
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        value={form[field]}
        aria-invalid={errors[label] ? true : undefined}
        aria-describedby={errors[label] ? `${id}-${field}-err` : undefined}
        onChange={(e) => onChange({ [field]: e.target.value })}
      />
      {errors[label] && (
        <span className="error" id={`${id}-${field}-err`}>
          {errors[label]}
        </span>
      )}
    </div>
  );

  const support = (p: PrecisionName): string | null => {
    if (!hw) return null;
    const pk = peakOf(hw, p);
    if (!pk.supported) return 'not supported';
    if (pk.flopsPerS === null) return 'peak unknown';
    return null;
  };

  const toggle = (p: PrecisionName) => {
    const has = form.precisions.includes(p);
    const next = has ? form.precisions.filter((x) => x !== p) : [...form.precisions, p];
    // Keep the catalogue's order so results and the sweep read the same way.
    onChange({ precisions: GEMM_INPUTS.map((x) => x.name).filter((x) => next.includes(x)) });
  };

  return (
    <form
      className="card analyzer"
      aria-label="GEMM analyzer"
      onSubmit={(e) => {
        e.preventDefault();
        if (!running) props.onAnalyze();
      }}
    >
      <h2>Analyze a GEMM</h2>
      <p className="muted small">D = α·A·B + β·C; A is M×K, B is K×N, D is M×N.</p>
      <div className="dims">
        {dim('m', 'M', 'rows')}
        {dim('n', 'N', 'cols')}
        {dim('k', 'K', 'depth')}
      </div>
      <div className="presets" role="group" aria-label="Shape presets">
        {PRESETS.map((p) => (
          <button key={p.label} type="button" className="chip" onClick={() => onChange({ m: p.m, n: p.n, k: p.k })}>
            {p.label}
          </button>
        ))}
      </div>

      <label className="check sweep">
        <input type="checkbox" checked={form.runAll} onChange={(e) => onChange({ runAll: e.target.checked })} />
        {SWEEP_LABEL}
      </label>

      <fieldset className="precisions" disabled={form.runAll} aria-describedby={errors.precisions ? `${id}-p-err` : undefined}>
        <legend>Precisions {form.runAll ? <span className="hint">(the sweep’s five)</span> : <span className="hint">(any subset)</span>}</legend>
        <div className="precision-grid">
          {GEMM_INPUTS.map((p) => {
            const checked = form.runAll ? DEFAULT_SWEEP.includes(p.name) : form.precisions.includes(p.name);
            const s = support(p.name);
            return (
              <label
                key={p.name}
                className={`check precision${s === 'not supported' ? ' unsupported' : s ? ' unknown' : ''}`}
                title={`${p.summary}${s ? ` — ${s} on ${hw?.name}` : ''}`}
              >
                <input type="checkbox" checked={checked} onChange={() => toggle(p.name)} />
                <span className="swatch" style={{ background: p.colour }} aria-hidden="true" />
                <span className="pname">{p.displayName}</span>
                {s && <span className="sr-only"> ({s} on the chosen hardware)</span>}
              </label>
            );
          })}
        </div>
        {hw && GEMM_INPUTS.some((p) => support(p.name)) && (
          <p className="precision-key" aria-hidden="true">
            On this GPU: <span className="unsupported-key">struck</span> = not supported,{' '}
            <span className="unknown-key">dotted</span> = no published peak (memory roof only)
          </p>
        )}
        {errors.precisions && (
          <span className="error" id={`${id}-p-err`}>
            {errors.precisions}
          </span>
        )}
      </fieldset>

      <div className="field">
        <label htmlFor={`${id}-hw`}>Hardware (roofs)</label>
        <select id={`${id}-hw`} value={form.hardware} onChange={(e) => onChange({ hardware: e.target.value })}>
          {measuredProfile && (
            <optgroup label="Measured">
              <option value={MEASURED_HARDWARE}>this machine — measured ({measuredProfile.name})</option>
            </optgroup>
          )}
          <optgroup label="Datasheet registry">
            {hardwareOptions.map((h) => (
              <option key={h.key} value={h.key}>
                {h.name} [{h.key}]
              </option>
            ))}
          </optgroup>
        </select>
      </div>

      <div className="row2">
        <div className="field">
          <label htmlFor={`${id}-it`}>Iterations</label>
          <input
            id={`${id}-it`}
            inputMode="numeric"
            value={form.iterations}
            aria-invalid={errors.iterations ? true : undefined}
            aria-describedby={errors.iterations ? `${id}-it-err` : undefined}
            onChange={(e) => onChange({ iterations: e.target.value })}
          />
          {errors.iterations && (
            <span className="error" id={`${id}-it-err`}>
              {errors.iterations}
            </span>
          )}
        </div>
        <fieldset className="field radios">
          <legend>Timing</legend>
          <label className="check" title="L2 flushed before each sample: the operands come from HBM">
            <input type="radio" name={`${id}-mode`} checked={form.mode === 'cold'} onChange={() => onChange({ mode: 'cold' })} />
            cold
          </label>
          <label className="check" title="back-to-back runs: operands may stay in L2">
            <input type="radio" name={`${id}-mode`} checked={form.mode === 'hot'} onChange={() => onChange({ mode: 'hot' })} />
            hot
          </label>
        </fieldset>
      </div>

      <details className="advanced">
        <summary>Advanced: mixed and output precision</summary>
        <div className="row2">
          <PrecisionSelect id={`${id}-a`} label="A precision" value={form.aPrecision} empty="same as precision" onChange={(v) => onChange({ aPrecision: v })} />
          <PrecisionSelect id={`${id}-b`} label="B precision" value={form.bPrecision} empty="same as precision" onChange={(v) => onChange({ bPrecision: v })} />
        </div>
        <div className="row2">
          <PrecisionSelect id={`${id}-o`} label="Output (D) precision" value={form.outPrecision} empty="input’s default" outputs onChange={(v) => onChange({ outPrecision: v })} />
          <div className="field">
            <label htmlFor={`${id}-beta`}>β <span className="hint">≠ 0 reads C</span></label>
            <input id={`${id}-beta`} inputMode="decimal" value={form.beta}
              aria-invalid={errors.beta ? true : undefined} onChange={(e) => onChange({ beta: e.target.value })} />
            {errors.beta && <span className="error">{errors.beta}</span>}
          </div>
        </div>
        {measuredProfile && form.hardware !== MEASURED_HARDWARE && (
          <fieldset className="field radios">
            <legend>Roof</legend>
            <label className="check">
              <input type="radio" name={`${id}-roof`} checked={form.roof === 'datasheet'} onChange={() => onChange({ roof: 'datasheet' })} />
              datasheet
            </label>
            <label className="check">
              <input type="radio" name={`${id}-roof`} checked={form.roof === 'measured'} onChange={() => onChange({ roof: 'measured' })} />
              measured
            </label>
          </fieldset>
        )}
      </details>

      <div className="actions">
        {running ? (
          <button type="button" className="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit" className="primary" disabled={running}>
          Analyze GEMM
        </button>
      </div>
      <p className="muted small backend-note">
        {backend === 'gpu' && 'The server has a GPU: each precision is measured, and predicted beside it.'}
        {backend === 'prediction-only' && 'The server has no GPU: results are predictions from the roofline model.'}
        {backend === null && 'No server: results are predictions from the built-in model.'}
      </p>
    </form>
  );
}

function PrecisionSelect(props: {
  id: string;
  label: string;
  value: string;
  empty: string;
  outputs?: boolean;
  onChange(v: string): void;
}) {
  const options = props.outputs ? ['FP32', 'BF16', 'FP16', 'FP8_E4M3', 'INT32', 'INT8', 'FP64'] : GEMM_INPUTS.map((p) => p.name);
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{props.empty}</option>
        {options.map((p) => (
          <option key={p} value={p}>
            {info(p as PrecisionName).displayName}
          </option>
        ))}
      </select>
    </div>
  );
}
