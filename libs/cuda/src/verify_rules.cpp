#include "verify_rules.hpp"

#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace roofline::cuda {

sample_verdict judge_samples(const std::vector<double>& pairs, double tolerance, bool integer,
                             unsigned long long poisoned, std::int64_t total_outputs) {
    const std::size_t checked = pairs.size() / 2;
    double err2 = 0.0;
    double ref2 = 0.0;
    double max_abs = 0.0;
    std::size_t non_finite = 0;
    for (std::size_t i = 0; i < checked; ++i) {
        const double got = pairs[2 * i];
        const double ref = pairs[2 * i + 1];
        if (!std::isfinite(got)) {
            ++non_finite;
            continue;
        }
        err2 += (got - ref) * (got - ref);
        ref2 += ref * ref;
        max_abs = std::max(max_abs, std::abs(got - ref));
    }
    sample_verdict v;
    const double inf = std::numeric_limits<double>::infinity();
    v.error.relative_error =
        non_finite != 0 ? inf : (ref2 > 0 ? std::sqrt(err2 / ref2) : (err2 > 0 ? inf : 0.0));
    v.error.max_abs_error = non_finite != 0 ? inf : max_abs;
    v.error.tolerance = tolerance;
    v.error.checked_elements = checked;
    const bool values_ok = integer ? (non_finite == 0 && max_abs == 0.0)
                                   : (non_finite == 0 && v.error.relative_error <= tolerance);
    v.passed = values_ok && poisoned == 0;
    if (poisoned != 0) {
        v.why = std::to_string(poisoned) + " of " + std::to_string(total_outputs) +
                " outputs still hold the poison written before the run or are not finite (never written, or "
                "overflowed)";
    }
    if (!values_ok) {
        v.why += (v.why.empty() ? "" : "; ") + std::string("relative L2 error ") +
                 format_number(v.error.relative_error) + " over " + std::to_string(checked) +
                 " sampled elements (tolerance " + format_number(tolerance) + "), max abs error " +
                 format_number(v.error.max_abs_error) +
                 (non_finite != 0 ? ", " + std::to_string(non_finite) + " sampled elements not finite" : "");
    }
    return v;
}

} // namespace roofline::cuda
