// The numbers the sampler decides with: median, relative spread and the stop rule. CUDA-free
// (roofline_cuda_host), so they are unit-tested in every build.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace roofline::cuda {

[[nodiscard]] double median_of(std::vector<double> v);
// Sample standard deviation over the mean; infinity for fewer than two samples.
[[nodiscard]] double relative_spread(const std::vector<double>& v);

// When the timed loop stops: `target` samples, or earlier once at least `floor` samples have a relative
// spread under `target_spread` (not while a telemetry window is still open), or at the `max_seconds` wall
// cap.
struct stop_rule {
    std::size_t target = 30;
    std::size_t floor = 10;
    double target_spread = 0.005;
    double max_seconds = 10.0;

    // The sentence for the notes when sampling stops before `target`; nullopt to go on (or at the target).
    [[nodiscard]] std::optional<std::string> early_stop(const std::vector<double>& samples, double wall_s,
                                                        bool telemetry_window_open) const;
};

} // namespace roofline::cuda
