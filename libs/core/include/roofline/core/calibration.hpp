// Calibration: fit the performance model's parameters to measured points of one GPU, and the shape sets
// used to measure (fit) and to judge (held out) it. `roofline calibrate` and bench/prediction use these.
#pragma once

#include "roofline/core/perf_model.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace roofline {

struct shape_case {
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::string family; // "square", "decode", "layer", "odd", "k_sweep"
};

// The shapes bench/prediction and `roofline calibrate` use: decode M=1..16, transformer layer shapes, odd
// shapes, squares 256..16384, K from 64 to 65536.
[[nodiscard]] std::vector<shape_case> benchmark_shapes();

// Deterministic split: a shape is held out (never fitted) when the FNV-1a hash of "MxNxK" falls in the
// held-out third. The split depends on the shape only, so one shape is fitted or held out for every precision
// alike.
[[nodiscard]] bool is_held_out(std::int64_t m, std::int64_t n, std::int64_t k);

// The precisions the model is calibrated for (the tensor-core formats cuBLASLt runs on Hopper).
[[nodiscard]] std::vector<precision_id> calibration_precisions();

// One measured point, reduced to what the fit needs.
struct calibration_sample {
    gemm_problem problem;
    gemm_traffic traffic;
    double measured_s = 0.0;
    sample_pacing pacing = sample_pacing::paced;
    std::optional<double> clock_mhz; // telemetry's mean SM clock, when measured
};

// Measured, passed points of `points` as samples (others are skipped: they carry no time).
[[nodiscard]] std::vector<calibration_sample> samples_from_points(const std::vector<analysis_point>& points);

// Every point of every CLI/API JSON answer in a JSON-lines file (one analysis document per line), plus the
// device and hardware key of the first; throws std::invalid_argument naming the line.
struct replayed_run {
    std::vector<analysis_point> points;
    device_identity device;
    std::string hardware_key;
};
[[nodiscard]] replayed_run read_answers_jsonl(const std::filesystem::path& file);

// A fit on fewer points keeps at least its starting interval (13 H100 points say little about the 90th
// percentile).
inline constexpr std::size_t min_points_for_own_interval = 40;

struct fit_options {
    std::size_t max_evaluations = 4000; // Nelder-Mead evaluations per restart
    std::size_t restarts = 6;
    // Independent Nelder-Mead chains (the first from `start`, the others from it moved in log space); the
    // lowest objective wins. 1 = the start only; 3 finds the same minimum on the H200 grid from a start of
    // misaligned_efficiency 0.3 or 0.65, where one chain from 0.3 stops in a worse one (bench/prediction).
    std::size_t starts = 3;
    // Fit only the per-precision compute efficiencies, the rest kept from the start (few points, e.g. squares
    // only, cannot pin the floor, split-K or alignment terms).
    bool efficiencies_only = false;
    // Called after each restart with (restart, restarts): the CLI draws its progress from it.
    std::function<void(std::size_t, std::size_t)> progress;
};

// Fits the parameters (floor, bandwidth efficiency, per-SM bandwidth, tile overhead, tile intensity, one
// compute efficiency per precision present) by minimising a smoothed sum of |log(measured / predicted)| with
// Nelder-Mead from `start`; the interval is the fitted residuals' 10th-90th percentile.
[[nodiscard]] calibration_profile fit_profile(const hardware_entry& hw,
                                              const std::vector<calibration_sample>& samples,
                                              const perf_params& start, const fit_options& options = {});

// log(measured / predicted) of each sample under `params` (the model as perf_model::predict evaluates it).
[[nodiscard]] std::vector<double> log_residuals(const hardware_entry& hw,
                                                const std::vector<calibration_sample>& samples,
                                                const perf_params& params);

// Log residuals grouped by precision, for the held-out tables of bench/prediction and `calibrate --evaluate`.
using residuals_by_precision = std::map<precision_id, std::vector<double>>;
[[nodiscard]] residuals_by_precision group_by_precision(const std::vector<calibration_sample>& samples,
                                                        const std::vector<double>& log_ratios);

// Per precision (and all together) the median and 90th percentile of |log(measured / predicted)| and the
// share predicted faster than measured, for a calibrated and an uncalibrated model side by side.
[[nodiscard]] std::string residual_table(const std::string& title, const residuals_by_precision& calibrated,
                                         const residuals_by_precision& uncalibrated);

// The built-in model plus every *.json profile in `dir` (a missing directory adds none; a bad file throws
// std::invalid_argument naming it).
[[nodiscard]] perf_model model_with_profiles(const std::filesystem::path& dir);

} // namespace roofline
