// What one analysis of one precision produces: a point on the roofline, predicted or measured.
//
// Raw counts and SI units only (flops, bytes, seconds); rates and intensities are derived when shown.
#pragma once

#include "roofline/core/gemm.hpp"
#include "roofline/core/roofline_model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roofline {

// CUTLASS profiler's vocabulary: every result says how it ended.
enum class disposition : std::uint8_t {
    passed,          // measured (or predicted) and, when measured, verified
    failed,          // the library or driver reported an error
    not_run,         // cancelled or skipped before it started
    incorrect,       // ran, but the result did not match the reference: no speed is reported
    not_verified,    // ran, verification was switched off
    invalid_problem, // the shape or precision combination is not valid
    not_supported,   // the GPU or library cannot run this precision
};

[[nodiscard]] std::string_view to_string(disposition d) noexcept;
[[nodiscard]] disposition parse_disposition(std::string_view s);

enum class point_source : std::uint8_t { predicted, measured };
[[nodiscard]] std::string_view to_string(point_source s) noexcept;

enum class timing_mode : std::uint8_t {
    cold, // L2 flushed before each sample: compulsory traffic really comes from device memory
    hot,  // back to back: operands may stay in L2
};
[[nodiscard]] std::string_view to_string(timing_mode m) noexcept;
[[nodiscard]] timing_mode parse_timing_mode(std::string_view s); // throws std::invalid_argument

// How samples follow each other. A large GEMM run back to back draws more than an H100/H200 SXM's 700 W
// limit, and the power controller pulls the SM clock from 1980 down to 1100-1600 MHz within a fraction of a
// second, so back-to-back medians depend on how long the GPU has been busy (repeats 4-15% apart on an H100).
// Paced sampling lets the GPU idle after each sample for as long as the sample took: the average power stays
// under the limit, the clock stays at boost, and three repeats fall within 0.4%
// (bench/gpu_engine/RESULTS.md).
enum class sample_pacing : std::uint8_t {
    paced,      // after each sample the GPU idles idle_ratio × that sample's time (the default)
    continuous, // back to back: the clocks the GPU sustains under continuous load (after a longer warm-up)
};
[[nodiscard]] std::string_view to_string(sample_pacing p) noexcept;
[[nodiscard]] sample_pacing parse_sample_pacing(std::string_view s); // throws std::invalid_argument

struct timing_stats {
    timing_mode mode = timing_mode::cold;
    sample_pacing pacing = sample_pacing::paced;
    double idle_ratio = 0.0; // idle after each sample, as a multiple of its time (0 when continuous)
    std::size_t samples = 0;
    double median_s = 0.0;
    double min_s = 0.0;
    double max_s = 0.0;
    double mean_s = 0.0;
    double stdev_s = 0.0;
    std::vector<double> sample_s; // every sample, kept when asked for (--samples)

    [[nodiscard]] double relative_spread() const noexcept { return mean_s > 0 ? stdev_s / mean_s : 0.0; }
};

// Median, min, max, mean and stdev of `samples` (seconds); keeps them when keep_samples.
[[nodiscard]] timing_stats summarize(std::vector<double> samples, timing_mode mode, bool keep_samples);

struct accuracy {
    double relative_error = 0.0; // ‖D − ref‖₂ / ‖ref‖₂ over the checked elements
    double max_abs_error = 0.0;
    double tolerance = 0.0; // the relative error allowed for this precision
    std::size_t checked_elements = 0;
    std::string reference; // how the reference was computed
};

struct device_identity {
    std::string name;
    std::string compute_capability;
    int sm_count = 0;
    std::string driver_version;
    std::string cuda_runtime_version;
    std::string cublaslt_version;
    std::string uuid;
    std::string pci_bus_id;
    std::string serial;                // NVML's board serial; empty where the board reports none
    std::optional<std::int64_t> index; // the device ordinal on its node, set by a multi-GPU supervisor
    double l2_bytes = 0.0;
    double memory_bytes = 0.0;
};

// Filled by the telemetry library (NVML) while a measurement runs; absent fields stay empty.
struct telemetry_summary {
    bool available = false;
    std::string unavailable_reason;
    std::size_t samples = 0;
    double sample_rate_hz = 0.0;
    std::optional<double> sm_clock_mean_mhz;
    std::optional<double> sm_clock_min_mhz;
    std::optional<double> sm_clock_max_mhz; // the device's max SM clock
    std::optional<double> mem_clock_mean_mhz;
    std::optional<double> power_mean_w;
    std::optional<double> power_limit_w;
    std::optional<double> energy_j; // over the timed region (energy_source says from what)
    std::optional<double> energy_per_gemm_j;
    // Paced sampling: the energy per GEMM over its time (the rests' share taken out); continuous: null.
    std::optional<double> gemm_power_w;
    double region_s = 0.0; // wall time the probe watched
    // "energy counter" or "mean power x time" (regions of 1 s or more), then for paced points ", rests
    // subtracted at N W" and, when no per-GEMM figure could be given, why; or "not measured: ..." for a
    // shorter region.
    std::string energy_source;
    std::optional<double> temperature_max_c;
    std::optional<double> utilization_mean_pct;
    std::vector<std::string> throttle_reasons; // in words: "power cap", "thermal", ...
    std::size_t low_clock_samples = 0;         // SM clock under 75% of max (nvbench's rule)
};

struct measurement {
    timing_stats timing;
    std::string algorithm;   // cuBLASLt algo id, tile, stages, ... in words
    std::string layout;      // "TN" (A transposed, B not), "NN", ...
    std::string kernel_path; // "cuBLASLt", "own kernel: ..."
    std::size_t candidates_timed = 0;
    bool algorithm_from_cache = false;
    std::optional<accuracy> error;
    device_identity device;
    std::optional<telemetry_summary> telemetry;
    std::vector<std::string> notes; // facts about how it ran ("E5M2 measured as E5M2 x E4M3", ...)
};

// What the performance model (perf_model.hpp) predicts for a point, and how it got there.
// How the prediction was made, term by term (for the tooltip, the table and the THEORY figures).
struct perf_terms {
    double floor_s = 0.0;
    double compute_s = 0.0;
    double memory_s = 0.0;
    double roofline_s = 0.0; // the roofline's lower bound
    std::int64_t tile_m = 0;
    std::int64_t tile_n = 0;
    std::int64_t split_k = 1;
    std::int64_t tiles = 0;
    std::int64_t waves = 0;
    double wave_efficiency = 1.0; // tiles / (waves × SMs)
    double tile_efficiency = 1.0;
    std::string limiter; // "compute", "memory", "floor" or "roofline"
};

struct performance_prediction {
    double time_s = 0.0;
    double low_s = 0.0; // interval: 10th-90th percentile of the calibration residuals
    double high_s = 0.0;
    bool calibrated = false;
    std::string basis; // "calibration h200 (2026-12-01, ...)" or "uncalibrated Hopper defaults"
    sample_pacing pacing = sample_pacing::paced;
    std::optional<double> clock_mhz;      // the SM clock the prediction assumes
    std::optional<double> roof_clock_mhz; // the clock the datasheet peak assumes
    perf_terms terms;
};

struct analysis_point {
    gemm_problem problem;
    gemm_traffic traffic;
    point_source source = point_source::predicted;
    disposition status = disposition::passed;
    std::string message; // a sentence a user can act on when status != passed
    std::string hardware_key;
    std::optional<roofline_estimate> roof; // against the chosen hardware
    std::optional<measurement> measured;
    // The performance model's prediction for this problem (on predicted points it is the point's time; on
    // measured points it gives prediction_error = measured / predicted).
    std::optional<performance_prediction> prediction;
    // The time this point stands for: the measured median, or the predicted time. 0 when none.
    double time_s = 0.0;

    [[nodiscard]] double flops_per_s() const noexcept {
        return time_s > 0 ? to_double(traffic.flops) / time_s : 0.0;
    }
    [[nodiscard]] std::string label() const; // "4096x4096x4096 [FP16] (predicted)"
    // measured / predicted time, for a measured point with a prediction.
    [[nodiscard]] std::optional<double> prediction_error() const;
    // The SM clock the point ran at (telemetry's mean) or, predicted, the clock the model assumed.
    [[nodiscard]] std::optional<double> clock_mhz() const;
    [[nodiscard]] std::optional<sample_pacing> pacing() const;
};

// A predicted point for `p` on `hw` (disposition passed, or not_supported with the reason).
[[nodiscard]] analysis_point predict(const hardware_entry& hw, const gemm_problem& p);

} // namespace roofline
