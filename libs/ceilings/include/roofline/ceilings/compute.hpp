// The compute roof per precision, found by searching GEMM shapes through the GPU engine (as mamf-finder
// does): the best rate over the shapes ("burst"), then that shape run back to back for several seconds
// ("sustained"), with the clocks and power it settled at.
//
// Engine-agnostic: it drives any roofline::gemm_backend, so it needs no CUDA header.
#pragma once

#include "roofline/core/backend.hpp"
#include "roofline/core/hardware.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace roofline::ceilings {

using shape = std::array<std::int64_t, 3>; // M, N, K

// Large, tile-friendly shapes, among them the ones mamf-finder reported best on an H100 (6144x17920x2816).
[[nodiscard]] std::vector<shape> default_search_shapes();

struct compute_search_options {
    std::vector<precision_id> precisions;
    std::vector<shape> shapes;      // empty: default_search_shapes()
    double max_predicted_s = 0.005; // skip shapes predicted slower than this (FP64 at 16384³ ...); the
                                    // smallest shape always runs
    double sustain_seconds = 3.0;   // 0: no sustained run
    // Burst is timed from a rested GPU: after the run that searches the algorithm (its candidate timing heats
    // the GPU toward its power cap), the GPU idles this long and the shape is timed again with the cached
    // algorithm, so every shape starts from the same clock state. 0: keep the searching run's figure.
    double rest_seconds = 0.25;
    const hardware_entry* datasheet = nullptr;        // for the shape filter; null: assume 100 TFLOP/s
    measurement_probe* probe = nullptr;               // watches the sustained run (clocks it fell to)
    std::function<void(const std::string&)> progress; // one line per step, for the terminal
};

struct shape_attempt {
    gemm_problem problem;
    disposition status = disposition::not_run;
    double flops_per_s = 0.0; // from the median sample
    std::string algorithm;
    std::string message;
};

struct compute_ceiling {
    precision_id precision{};
    disposition status = disposition::not_run; // passed when at least one shape measured
    std::string message;                       // why not, when not passed
    std::vector<shape_attempt> attempts;
    // Burst: the best shape's median rate.
    std::optional<gemm_problem> best_problem;
    double burst_flops_per_s = 0.0;
    std::string algorithm;
    // Sustained: the best shape for sustain_seconds, back to back.
    std::optional<double> sustained_flops_per_s;
    double sustained_seconds = 0.0; // GPU time of the sustained samples
    std::size_t sustained_samples = 0;
    std::optional<telemetry_summary> sustained_telemetry;
};

// Measures every precision in `o.precisions`. A precision the GPU or library lacks comes back not_supported
// with the engine's reason; nothing throws for one precision's failure.
[[nodiscard]] std::vector<compute_ceiling> search_compute(gemm_backend& backend,
                                                          const compute_search_options& o);

} // namespace roofline::ceilings
