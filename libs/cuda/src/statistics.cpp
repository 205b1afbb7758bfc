#include "statistics.hpp"

#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace roofline::cuda {

double median_of(std::vector<double> v) {
    if (v.empty()) {
        return 0.0;
    }
    std::ranges::sort(v);
    const auto n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double relative_spread(const std::vector<double>& v) {
    if (v.size() < 2) {
        return std::numeric_limits<double>::infinity();
    }
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    double ss = 0.0;
    for (const double x : v) {
        ss += (x - mean) * (x - mean);
    }
    return mean > 0 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) / mean : 0.0;
}

std::optional<std::string> stop_rule::early_stop(const std::vector<double>& samples, double wall_s,
                                                 bool telemetry_window_open) const {
    if (samples.size() >= target) {
        return std::nullopt;
    }
    const double spread = relative_spread(samples);
    if (samples.size() >= floor && spread < target_spread && !telemetry_window_open) {
        return "stopped early after " + std::to_string(samples.size()) + " samples: relative spread " +
               format_number(100 * spread, 2) + "% < " + format_number(100 * target_spread, 2) + "%";
    }
    if (wall_s > max_seconds) {
        return "stopped after " + std::to_string(samples.size()) + " samples at the " +
               format_number(max_seconds) + " s cap";
    }
    return std::nullopt;
}

} // namespace roofline::cuda
