#include "roofline/core/roofline_model.hpp"

#include <algorithm>

namespace roofline {

std::string_view to_string(bound_kind b) noexcept {
    switch (b) {
    case bound_kind::memory:
        return "memory";
    case bound_kind::compute:
        return "compute";
    case bound_kind::unsupported:
        return "unsupported";
    case bound_kind::unknown:
        return "unknown";
    }
    return "unknown";
}

precision_id compute_precision(const gemm_problem& p) noexcept {
    return info(p.a).bits_per_element() >= info(p.b).bits_per_element() ? p.a : p.b;
}

precision_roof roof_for(const hardware_entry& hw, precision_id p) {
    precision_roof r;
    r.precision = p;
    r.bandwidth_bytes_per_s = hw.memory_bandwidth_bytes_per_s.value.value_or(0.0);
    const auto& pk = hw.peak(p);
    if (!pk.supported) {
        r.reason = hw.name + " has no " + std::string(info(p).name) + ": " + pk.reason;
        return r;
    }
    if (!pk.flops_per_s) {
        r.reason = hw.name + ": no published " + std::string(info(p).name) + " peak (" + pk.note +
                   "); run `roofline ceilings` on the GPU to measure one";
        return r;
    }
    r.available = true;
    r.peak_flops_per_s = *pk.flops_per_s;
    r.ridge_ai = r.bandwidth_bytes_per_s > 0 ? r.peak_flops_per_s / r.bandwidth_bytes_per_s : 0.0;
    return r;
}

roofline_estimate estimate(const hardware_entry& hw, const gemm_problem& p, const gemm_traffic& t) {
    roofline_estimate e;
    e.roof = roof_for(hw, compute_precision(p));
    e.ai = t.arithmetic_intensity();
    const double bw = e.roof.bandwidth_bytes_per_s;
    e.memory_roof_flops_per_s = e.ai * bw;
    const double memory_time = bw > 0 ? to_double(t.bytes()) / bw : 0.0;
    if (e.roof.available) {
        e.attainable_flops_per_s = std::min(e.memory_roof_flops_per_s, e.roof.peak_flops_per_s);
        e.bound = e.ai < e.roof.ridge_ai ? bound_kind::memory : bound_kind::compute;
        e.predicted_time_s = std::max(to_double(t.flops) / e.roof.peak_flops_per_s, memory_time);
        return e;
    }
    const auto& pk = hw.peak(e.roof.precision);
    if (pk.supported) {
        // Peak unknown: no attainable rate (issue 12: a pair with no roof never gets one); the memory roof
        // still bounds the time from below.
        e.bound = bound_kind::unknown;
        e.predicted_time_s = memory_time;
    }
    return e;
}

std::optional<double> fraction_of_roof(const roofline_estimate& e, double measured_flops_per_s) {
    if (e.bound == bound_kind::unsupported || !(e.attainable_flops_per_s > 0.0)) {
        return std::nullopt;
    }
    return measured_flops_per_s / e.attainable_flops_per_s;
}

} // namespace roofline
