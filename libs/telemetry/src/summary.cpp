#include "roofline/telemetry/telemetry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>

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

// Below this the energy counter's coarse steps and the power readings' lag dominate; see summarize().
constexpr double counter_min_region_s = 1.0;

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f s", s);
    return buf;
}
// A paced per-GEMM power estimate above this multiple of the power limit is withheld. Bursts between rests do
// exceed the limit, which is enforced on average: on an H200 (700 W) paced BF16 and FP8 8192^3 at 1980 MHz
// came out at 834 and 875 W while running, where back to back at 700 W the clock falls to ~1400 MHz. Half as
// much again is past what the board's power stages deliver.
constexpr double max_over_limit = 1.5; // the message below says 1.5

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

    // Energy over the region, only when the region lasted counter_min_region_s or more. The counter advances
    // in coarse steps (tens of ms on Hopper) and NVML's power readings lag the load, so over the 0.1 s region
    // of a default measurement neither means much: on an H200, one 0.10 s FP8 region read 93 J on the counter
    // (917 W under a 700 W limit) while the sampled power read 430 W, and three runs of the same FP16 GEMM
    // read 236, 354 and 478 W. Such a region gets no energy and says how to get one.
    if (r.seconds < counter_min_region_s) {
        if (r.seconds > 0) {
            t.energy_source = "not measured: the timed region lasted " + seconds_text(r.seconds) +
                              "; energy needs 1 s or more (--telemetry-seconds 1)";
        }
        return t;
    }
    const bool counter_moved = r.energy_begin_j && r.energy_end_j && *r.energy_end_j > *r.energy_begin_j;
    if (counter_moved) {
        t.energy_j = *r.energy_end_j - *r.energy_begin_j;
        t.energy_source = "energy counter";
    } else if (t.power_mean_w) {
        t.energy_j = *t.power_mean_w * r.seconds;
        t.energy_source = "mean power x time";
    }
    if (!t.energy_j || r.gemm_count == 0) {
        return t;
    }
    const auto gemms = static_cast<double>(r.gemm_count);
    if (r.rest_s <= 0) {
        // Back to back: the region also holds L2 flushes and host gaps; the GEMMs get their share by time.
        const double share = r.seconds > 0 && r.timed_s > 0 ? std::min(1.0, r.timed_s / r.seconds) : 1.0;
        t.energy_per_gemm_j = *t.energy_j * share / gemms;
        return t;
    }
    // Paced: take the rests' energy out first; without a rest power, no per-GEMM figure (a diluted one would
    // mislead).
    if (!r.rest_power_w || r.timed_s <= 0) {
        return t;
    }
    const double busy_j = *t.energy_j - *r.rest_power_w * r.rest_s;
    const double busy_s = r.seconds - r.rest_s;
    t.energy_source +=
        ", rests subtracted at " + std::to_string(static_cast<int>(std::lround(*r.rest_power_w))) + " W";
    if (busy_j <= 0 || busy_s <= 0) {
        t.energy_source += "; no per-GEMM energy: the rests account for all of it (rest power overestimated)";
        return t;
    }
    const double per_gemm = busy_j * std::min(1.0, r.timed_s / busy_s) / gemms;
    const double gemm_power = per_gemm * gemms / r.timed_s;
    if (device.power_limit_w && gemm_power > max_over_limit * *device.power_limit_w) {
        // An estimate above what the board can draw says the inputs are off, not the GPU: withhold it.
        t.energy_source += "; no per-GEMM energy: the estimate (" + std::to_string(std::lround(gemm_power)) +
                           " W while the GEMMs ran) is over 1.5 x the " +
                           std::to_string(std::lround(*device.power_limit_w)) + " W limit";
        return t;
    }
    t.energy_per_gemm_j = per_gemm;
    t.gemm_power_w = gemm_power;
    return t;
}

} // namespace roofline::telemetry
