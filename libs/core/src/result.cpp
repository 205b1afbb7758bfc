#include "roofline/core/result.hpp"

#include "roofline/core/perf_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace roofline {
namespace {

constexpr std::array<std::string_view, 7> disposition_names{
    "passed", "failed", "not_run", "incorrect", "not_verified", "invalid_problem", "not_supported"};

} // namespace

std::string_view to_string(disposition d) noexcept {
    return disposition_names[static_cast<std::size_t>(d)];
}

disposition parse_disposition(std::string_view s) {
    for (std::size_t i = 0; i < disposition_names.size(); ++i) {
        if (disposition_names[i] == s) {
            return static_cast<disposition>(i);
        }
    }
    throw std::invalid_argument("unknown disposition '" + std::string(s) + "'");
}

std::string_view to_string(point_source s) noexcept {
    return s == point_source::predicted ? "predicted" : "measured";
}

std::string_view to_string(timing_mode m) noexcept {
    return m == timing_mode::cold ? "cold" : "hot";
}

timing_mode parse_timing_mode(std::string_view s) {
    if (s == "cold") {
        return timing_mode::cold;
    }
    if (s == "hot") {
        return timing_mode::hot;
    }
    throw std::invalid_argument("mode must be 'cold' or 'hot' (got '" + std::string(s) + "')");
}

std::string_view to_string(sample_pacing p) noexcept {
    return p == sample_pacing::paced ? "paced" : "continuous";
}

sample_pacing parse_sample_pacing(std::string_view s) {
    if (s == "paced") {
        return sample_pacing::paced;
    }
    if (s == "continuous") {
        return sample_pacing::continuous;
    }
    throw std::invalid_argument("pacing must be 'paced' or 'continuous' (got '" + std::string(s) + "')");
}

timing_stats summarize(std::vector<double> samples, timing_mode mode, bool keep_samples) {
    timing_stats t;
    t.mode = mode;
    t.samples = samples.size();
    if (samples.empty()) {
        return t;
    }
    if (keep_samples) {
        t.sample_s = samples;
    }
    std::ranges::sort(samples);
    const auto n = samples.size();
    t.min_s = samples.front();
    t.max_s = samples.back();
    t.median_s = n % 2 == 1 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
    t.mean_s = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(n);
    if (n > 1) {
        double ss = 0.0;
        for (const double s : samples) {
            ss += (s - t.mean_s) * (s - t.mean_s);
        }
        t.stdev_s = std::sqrt(ss / static_cast<double>(n - 1));
    }
    return t;
}

std::string analysis_point::label() const {
    return problem.shape_label() + " [" + problem.precision_label() + "] (" + std::string(to_string(source)) +
           ")";
}

analysis_point predict(const hardware_entry& hw, const gemm_problem& p) {
    return predict(hw, p, sample_pacing::paced, perf_model::builtin());
}

analysis_point predict(const hardware_entry& hw, const gemm_problem& p, sample_pacing pacing,
                       const perf_model& model) {
    analysis_point pt;
    pt.problem = p;
    pt.traffic = compute_traffic(p);
    pt.source = point_source::predicted;
    pt.hardware_key = hw.key;
    pt.roof = estimate(hw, p, pt.traffic);
    switch (pt.roof->bound) {
    case bound_kind::unsupported:
        pt.status = disposition::not_supported;
        pt.message = pt.roof->roof.reason;
        pt.time_s = 0.0;
        return pt;
    case bound_kind::unknown: {
        const double fastest = fastest_roof(hw);
        pt.message = pt.roof->roof.reason +
                     "; no compute roof, so no attainable rate: the prediction uses the "
                     "memory roof and the launch floor";
        if (fastest > 0) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.1f", fastest / 1e12);
            pt.message += std::string(", capped at the GPU's fastest roof (") + buf + " TFLOP/s)";
        }
        break;
    }
    default:
        break;
    }
    pt.prediction = model.predict(hw, p, pt.traffic, pacing);
    pt.time_s = pt.prediction->time_s;
    return pt;
}

void complete_point(analysis_point& pt, const hardware_entry& hw, const perf_model& model) {
    pt.hardware_key = hw.key;
    pt.roof = estimate(hw, pt.problem, pt.traffic);
    if (pt.roof->bound == bound_kind::unsupported) {
        pt.prediction.reset();
        return;
    }
    const auto pacing = pt.measured ? pt.measured->timing.pacing : sample_pacing::paced;
    pt.prediction = model.predict(hw, pt.problem, pt.traffic, pacing);
}

std::optional<double> analysis_point::prediction_error() const {
    if (source != point_source::measured || !(time_s > 0) || !prediction || !(prediction->time_s > 0)) {
        return std::nullopt;
    }
    return time_s / prediction->time_s;
}

std::optional<double> analysis_point::clock_mhz() const {
    if (measured) {
        if (measured->telemetry && measured->telemetry->sm_clock_mean_mhz) {
            return measured->telemetry->sm_clock_mean_mhz;
        }
        return std::nullopt;
    }
    return prediction ? prediction->clock_mhz : std::nullopt;
}

std::optional<sample_pacing> analysis_point::pacing() const {
    if (measured) {
        return measured->timing.pacing;
    }
    if (prediction) {
        return prediction->pacing;
    }
    return std::nullopt;
}

} // namespace roofline
