// The data the server and the app exchange, written once (docs/API.md is the contract).
// A POINT here is exactly what `roofline analyze --format json` prints; the offline model builds the same shape.

export type Disposition =
  | 'passed'
  | 'failed'
  | 'not_run'
  | 'incorrect'
  | 'not_verified'
  | 'invalid_problem'
  | 'not_supported';

export type Bound = 'memory' | 'compute' | 'unsupported' | 'unknown';
export type Source = 'measured' | 'predicted';

export interface PointRoof {
  bound: Bound;
  memory_roof_tflops: number;
  compute_roof_tflops: number | null;
  attainable_tflops: number | null;
  ridge_ai: number | null;
  predicted_time_s: number | null;
  fraction_of_roof: number | null;
  /** The clock the datasheet peak assumes, the clock the point ran at, and the roof and fraction at the latter. */
  roof_clock_mhz?: number | null;
  run_clock_mhz?: number | null;
  attainable_at_run_clock_tflops?: number | null;
  fraction_of_roof_at_run_clock?: number | null;
  reason?: string;
}

export interface TimingStats {
  mode: 'cold' | 'hot';
  pacing?: 'paced' | 'continuous'; // absent in runs stored before pacing existed (they were back to back)
  idle_ratio?: number;
  samples: number;
  median_s: number;
  min_s: number;
  max_s: number;
  mean_s: number;
  stdev_s: number;
  relative_spread: number;
  sample_s?: number[];
}

export interface TelemetrySummary {
  available: boolean;
  gemm_power_w?: number | null; // paced sampling: the draw while the GEMMs ran, the rests taken out
  region_s?: number;
  unavailable_reason?: string;
  samples?: number;
  sm_clock_mean_mhz?: number | null;
  sm_clock_min_mhz?: number | null;
  sm_clock_max_mhz?: number | null;
  mem_clock_mean_mhz?: number | null;
  power_mean_w?: number | null;
  power_limit_w?: number | null;
  energy_j?: number | null;
  energy_per_gemm_j?: number | null;
  /** Where the energy came from, or why there is none ("not measured: ..." for a region under 1 s). */
  energy_source?: string;
  temperature_max_c?: number | null;
  utilization_mean_pct?: number | null;
  throttle_reasons?: string[];
}

export interface Measurement {
  timing: TimingStats;
  algorithm: string;
  layout: string;
  kernel_path: string;
  candidates_timed: number;
  algorithm_from_cache: boolean;
  error: {
    relative_error: number;
    max_abs_error: number;
    tolerance: number;
    checked_elements: number;
    reference: string;
  } | null;
  device: Record<string, unknown>;
  telemetry: TelemetrySummary | null;
  notes: string[];
}

export interface Point {
  ai: number;
  tflops: number | null;
  time_us: number | null;
  precision: string;
  label: string;
  M: number;
  N: number;
  K: number;
  a_precision: string;
  b_precision: string;
  out_precision: string;
  beta: number;
  compute_precision: string;
  colour: string;
  source: Source;
  disposition: Disposition;
  message: string;
  hardware_key: string;
  flops: number;
  bytes: number;
  a_bytes: number;
  b_bytes: number;
  c_bytes: number;
  d_bytes: number;
  time_s: number | null;
  bound: Bound | null;
  roof: PointRoof | null;
  measured: Measurement | null;
  group_size?: number;
  /** The performance model's prediction (perf_model.hpp); absent in answers from before it existed. */
  prediction?: Prediction | null;
  /** measured / predicted time, on measured points. */
  prediction_error?: number | null;
  pacing?: 'paced' | 'continuous' | null;
  clock_mhz?: number | null;
}

export interface Prediction {
  time_s: number;
  interval_low_s: number;
  interval_high_s: number;
  calibrated: boolean;
  basis: string;
  pacing: 'paced' | 'continuous';
  clock_mhz: number | null;
  roof_clock_mhz: number | null;
  terms: {
    floor_s: number;
    compute_s: number;
    memory_s: number;
    roofline_s: number;
    limiter: string;
    tile?: string;
    split_k?: number;
    tiles?: number;
    waves?: number;
    wave_efficiency?: number;
    tile_efficiency?: number;
  };
}

export interface Roof {
  precision: string;
  colour: string;
  available: boolean;
  bandwidth_bytes_per_s: number;
  peak_flops_per_s?: number;
  peak_tflops?: number;
  ridge_ai?: number;
  reason?: string;
}

export interface HardwareRoofs {
  key: string;
  name: string;
  memory_bandwidth_bytes_per_s: number | null;
  roofs: Roof[];
}

export interface AnalyzeAnswer {
  schema_version: number;
  tool_version: string;
  run_id: number | null;
  backend: 'gpu' | 'prediction-only';
  hardware: HardwareRoofs;
  measured: Point[];
  predicted: Point[];
  telemetry: Record<string, unknown> | null;
  device: Record<string, unknown> | null;
}

export interface AnalyzeRequest {
  M: number;
  N: number;
  K: number;
  precision: string;
  precisions?: string[];
  a_precision?: string | null;
  b_precision?: string | null;
  out_precision?: string | null;
  beta?: number;
  iterations?: number;
  mode?: 'cold' | 'hot';
  pacing?: 'paced' | 'continuous';
  roof?: 'datasheet' | 'measured';
  predict_only?: boolean;
}

export interface Health {
  status: string;
  version: string;
  backend: 'gpu' | 'prediction-only';
  device: Record<string, unknown> | null;
  nvml: { available: boolean; reason?: string };
  queue_length: number;
  queue_capacity: number;
  /** The registry entry the server uses when none is named: the local GPU's, else b10. */
  default_hardware_key?: string;
  /** Not in docs/API.md yet: the local measured profile's roofs, when `roofline ceilings` has run. */
  measured_profile?: HardwareRoofs | null;
}

export interface RunSummary {
  id: number;
  created_at: string;
  M: number;
  N: number;
  K: number;
  precisions: string[];
  hardware_key: string;
  backend: string;
  device_name: string | null;
  points: number;
}

export interface TelemetrySample {
  time_s: number;
  sm_clock_mhz: number | null;
  mem_clock_mhz: number | null;
  power_w: number | null;
  temperature_c: number | null;
  utilization_pct: number | null;
  throttle_reasons: string[];
}

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}
