#include "roofline/telemetry/telemetry.hpp"

#include <algorithm>
#include <limits>
#include <map>

namespace roofline::telemetry {
namespace {

struct running {
    double sum = 0.0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    std::size_t n = 0;
    void add(const std::optional<double>& v) {
        if (v) {
            sum += *v;
            min = std::min(min, *v);
            max = std::max(max, *v);
            ++n;
        }
    }
    [[nodiscard]] std::optional<double> mean() const {
        return n > 0 ? std::optional(sum / static_cast<double>(n)) : std::nullopt;
    }
    [[nodiscard]] std::optional<double> lowest() const { return n > 0 ? std::optional(min) : std::nullopt; }
    [[nodiscard]] std::optional<double> highest() const { return n > 0 ? std::optional(max) : std::nullopt; }
};

} // namespace

telemetry_summary summarize(const std::vector<sample>& samples, const region& r, const device_info& device) {
    telemetry_summary t;
    t.available = true;
    t.samples = samples.size();
    t.region_s = r.seconds;
    t.sample_rate_hz = r.seconds > 0 ? static_cast<double>(samples.size()) / r.seconds : 0.0;
    t.sm_clock_max_mhz = device.max_sm_clock_mhz;
    t.power_limit_w = device.power_limit_w;

    running sm;
    running mem;
    running power;
    running temp;
    running util;
    std::map<std::uint64_t, std::size_t> bit_count; // samples in which each reason bit was set
    std::size_t with_reasons = 0;
    for (const auto& s : samples) {
        sm.add(s.sm_clock_mhz);
        mem.add(s.mem_clock_mhz);
        power.add(s.power_w);
        temp.add(s.temperature_c);
        util.add(s.utilization_pct);
        if (s.sm_clock_mhz && device.max_sm_clock_mhz && *s.sm_clock_mhz < 0.75 * *device.max_sm_clock_mhz) {
            ++t.low_clock_samples;
        }
        if (s.clock_event_bits) {
            ++with_reasons;
            for (int i = 0; i < 64; ++i) {
                const std::uint64_t bit = std::uint64_t{1} << i;
                if ((*s.clock_event_bits & bit) != 0) {
                    ++bit_count[bit];
                }
            }
        }
    }
    t.sm_clock_mean_mhz = sm.mean();
    t.sm_clock_min_mhz = sm.lowest();
    t.mem_clock_mean_mhz = mem.mean();
    t.power_mean_w = power.mean();
    t.temperature_max_c = temp.highest();
    t.utilization_mean_pct = util.mean();

    std::uint64_t seen = 0;
    for (const auto& [bit, n] : bit_count) {
        if (bit == 0x1 && 2 * n <= with_reasons) {
            continue; // idle in a minority of samples: host gaps between launches, not a starved GPU
        }
        seen |= bit;
    }
    t.throttle_reasons = clock_event_reasons(seen);

    const bool paced = r.rest_s > 0;
    if (r.energy_begin_j && r.energy_end_j && *r.energy_end_j > *r.energy_begin_j) {
        t.energy_j = *r.energy_end_j - *r.energy_begin_j;
        if (r.gemm_count > 0 && !paced) {
            const double share = r.seconds > 0 && r.timed_s > 0 ? std::min(1.0, r.timed_s / r.seconds) : 1.0;
            t.energy_per_gemm_j = *t.energy_j * share / static_cast<double>(r.gemm_count);
            t.energy_source = "energy counter";
        } else if (r.gemm_count > 0 && r.rest_power_w && r.timed_s > 0) {
            const double busy_j = *t.energy_j - *r.rest_power_w * r.rest_s;
            const double busy_s = r.seconds - r.rest_s;
            if (busy_j > 0 && busy_s > 0) {
                const double share = std::min(1.0, r.timed_s / busy_s);
                t.energy_per_gemm_j = busy_j * share / static_cast<double>(r.gemm_count);
                t.gemm_power_w = *t.energy_per_gemm_j * static_cast<double>(r.gemm_count) / r.timed_s;
                t.energy_source = "energy counter, rests subtracted at " +
                                  std::to_string(static_cast<int>(std::lround(*r.rest_power_w))) + " W";
            }
        }
    } else if (t.power_mean_w && r.gemm_count > 0 && r.timed_s > 0 && !paced) {
        // The counter did not move (it updates every few ms to tens of ms): a region that short gets its
        // energy from the sampled power instead, and says so, rather than reporting 0 J.
        t.energy_per_gemm_j = *t.power_mean_w * r.timed_s / static_cast<double>(r.gemm_count);
        t.energy_source = "mean power x time";
    }
    return t;
}

} // namespace roofline::telemetry
