// The seam between the CUDA-free core and a measuring backend (roofline::cuda implements it).
//
// The CLI and the server program against this interface only; a build without CUDA simply has no backend
// and answers from the model.
#pragma once

#include "roofline/core/result.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace roofline {

// What ran in a probed region, as the backend counts it.
struct probe_counts {
    std::size_t gemm_count = 0; // GEMMs launched in the region
    double timed_s = 0.0;       // GPU time they took (sum of samples)
    double rest_s = 0.0;        // GPU time spent resting between paced samples
    std::optional<double>
        rest_power_w; // the GPU's draw while resting, measured once per backend; null: unknown

    // GEMMs run back to back: no rests.
    [[nodiscard]] static probe_counts back_to_back(std::size_t gemms, double timed) {
        probe_counts c;
        c.gemm_count = gemms;
        c.timed_s = timed;
        return c;
    }
};

// Watches the timed region of a measurement (NVML telemetry implements it). The backend calls begin() right
// before the first timed sample and end() right after the last, from the thread that runs the GPU work.
class measurement_probe {
  public:
    measurement_probe() = default;
    measurement_probe(const measurement_probe&) = delete;
    measurement_probe& operator=(const measurement_probe&) = delete;
    virtual ~measurement_probe() = default;
    virtual void begin() = 0;
    [[nodiscard]] virtual telemetry_summary end(const probe_counts& counts) = 0;
};

struct measure_options {
    timing_mode mode = timing_mode::cold;
    sample_pacing pacing = sample_pacing::paced;
    double idle_ratio = 1.0;        // paced: GPU idle after each sample, as a multiple of the sample's time
    std::size_t min_samples = 10;   // never fewer (nvbench's floor)
    std::size_t samples = 30;       // the default count (the seed's 30 iterations)
    std::size_t max_samples = 1000; // upper cap when the spread stays high
    double target_relative_spread = 0.005; // stop early, after min_samples, once stdev/mean is under this
    double max_seconds = 10.0;             // wall cap for one precision's timing loop
    bool keep_samples = false;
    bool verify = true;
    std::size_t max_candidates = 16; // cuBLASLt heuristic results to time
    bool use_algorithm_cache = true;
    std::filesystem::path cache_dir;      // empty: $XDG_CACHE_HOME/roofline or ~/.cache/roofline
    bool corrupt_result_for_test = false; // test hook: flip an output element to prove verification bites
    measurement_probe* probe = nullptr;   // not owned; null: no telemetry
    // With a probe, sampling goes on past `samples` until the timed region lasts this long, so the sampler
    // (200 Hz) and the energy counter see the GEMM running rather than the idle moment before it.
    double telemetry_window_s = 0.1;
};

class gemm_backend {
  public:
    gemm_backend() = default;
    gemm_backend(const gemm_backend&) = delete;
    gemm_backend& operator=(const gemm_backend&) = delete;
    virtual ~gemm_backend() = default;

    [[nodiscard]] virtual device_identity device() const = 0;
    // Measures one problem. Failures of one precision come back as a point with a disposition
    // (not_supported, failed, incorrect, invalid_problem), never as an exception.
    [[nodiscard]] virtual analysis_point measure(const gemm_problem& problem,
                                                 const measure_options& options) = 0;
};

// The local GPU backend when this build has one and a device is present; otherwise nullptr and `why` says
// why ("built without CUDA", "no CUDA device: ...").
using backend_factory = std::function<std::unique_ptr<gemm_backend>(std::string& why)>;

} // namespace roofline
