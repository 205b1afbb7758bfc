#include "roofline/core/gap.hpp"

#include "roofline/core/report.hpp"
#include "roofline/core/roofline_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <regex>
#include <string>

namespace roofline {
namespace {

std::string num(double v, int decimals = 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}
std::string pct(double fraction) {
    return num(100.0 * fraction, fraction < 0.995 && fraction > 0.9 ? 1 : 0) + "%";
}
std::string tflops(double flops_per_s) {
    return num(flops_per_s / 1e12, flops_per_s < 100e12 ? 1 : 0) + " TFLOP/s";
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// The integer after `key` in `text` ("split-k 2" → 2); nullopt when absent.
std::optional<std::int64_t> number_after(const std::string& text, std::string_view key, std::size_t& end) {
    const auto at = text.find(key);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    std::size_t i = at + key.size();
    while (i < text.size() && (text[i] == ' ' || text[i] == '=' || text[i] == ':' || text[i] == '_')) {
        ++i;
    }
    std::size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) != 0) {
        ++j;
    }
    if (j == i || j - i > 9) {
        return std::nullopt;
    }
    end = j;
    return std::stoll(text.substr(i, j - i));
}

bool has(const std::vector<std::string>& v, std::string_view s) {
    return std::ranges::find(v, s) != v.end();
}

} // namespace

std::string_view to_string(gap_kind k) noexcept {
    switch (k) {
    case gap_kind::clock:
        return "clock";
    case gap_kind::throttle:
        return "throttle";
    case gap_kind::low_clock_samples:
        return "low_clock_samples";
    case gap_kind::wave_quantization:
        return "wave_quantization";
    case gap_kind::memory_roof:
        return "memory_roof";
    case gap_kind::launch_overhead:
        return "launch_overhead";
    case gap_kind::remaining:
        return "remaining";
    }
    return "?";
}

std::optional<double> datasheet_roof_clock_mhz(const hardware_entry& hw) {
    const std::string& note = hw.boost_clock_hz.note;
    std::smatch m;
    static const std::regex ghz(R"(x\s*([0-9]+(?:\.[0-9]+)?)\s*GHz)");
    static const std::regex mhz(R"(correspond to ~?\s*([0-9]+(?:\.[0-9]+)?)\s*MHz)");
    if (std::regex_search(note, m, ghz)) {
        return std::stod(m[1].str()) * 1000.0;
    }
    if (std::regex_search(note, m, mhz)) {
        return std::stod(m[1].str());
    }
    if (hw.boost_clock_hz.value) {
        return *hw.boost_clock_hz.value / 1e6;
    }
    return std::nullopt;
}

std::optional<tile_shape> parse_tile(std::string_view algorithm) {
    const std::string text = lower(algorithm);
    std::size_t end = 0;
    const auto m = number_after(text, "tile", end);
    if (!m || end >= text.size() || text[end] != 'x') {
        return std::nullopt;
    }
    std::size_t end2 = 0;
    const auto n = number_after(text.substr(end + 1), "", end2);
    if (!n || *m <= 0 || *n <= 0) {
        return std::nullopt;
    }
    tile_shape t{*m, *n, 1};
    std::size_t e3 = 0;
    if (const auto s = number_after(text, "split-k", e3); s && *s > 0) {
        t.split_k = *s;
    }
    return t;
}

gap_analysis analyze_gap(const analysis_point& p, const hardware_entry& hw, const gap_options& o) {
    gap_analysis g;
    if (p.source != point_source::measured || !p.measured || p.time_s <= 0) {
        g.reasons.push_back({gap_kind::remaining, "no measured time: nothing to compare with the roof", {}});
        return g;
    }
    const roofline_estimate e = p.roof ? *p.roof : estimate(hw, p.problem, p.traffic);
    g.measured_flops_per_s = p.flops_per_s();
    g.roof_flops_per_s = e.attainable_flops_per_s;
    g.fraction_of_roof = fraction_of_roof(e, g.measured_flops_per_s);
    if (!g.fraction_of_roof) {
        g.reasons.push_back({gap_kind::remaining,
                             "no roof for " + p.problem.precision_label() + " on " + hw.name +
                                 (e.roof.reason.empty() ? "" : ": " + e.roof.reason),
                             {}});
        return g;
    }
    g.applicable = true;
    const auto& m = *p.measured;
    const telemetry_summary* t = m.telemetry && m.telemetry->available ? &*m.telemetry : nullptr;
    const bool compute_bound = e.bound == bound_kind::compute;
    double explained = 1.0; // product of the estimated shares the causes leave

    // Memory roof: below the ridge the tensor cores are not the limit, whatever the clock.
    if (e.bound == bound_kind::memory || e.bound == bound_kind::unknown) {
        const double bytes = to_double(p.traffic.bytes());
        const double achieved_bw = bytes / p.time_s;
        const double bw = e.roof.bandwidth_bytes_per_s;
        const std::int64_t small = std::min({p.problem.m, p.problem.n});
        std::string msg = "memory-bound: arithmetic intensity " + num(e.ai, e.ai < 10 ? 2 : 1) + " FLOP/B";
        if (e.roof.ridge_ai > 0) {
            msg += " is under the ridge at " + num(e.roof.ridge_ai, 0) + " FLOP/B";
        }
        if (small <= 256) {
            msg +=
                " (a dimension of " + std::to_string(small) + ": each weight byte is used for few outputs)";
        }
        msg += "; the memory roof is " + tflops(e.memory_roof_flops_per_s) + " (" + format_si(bw, "B/s") +
               " x AI); the compulsory " + format_si(bytes, "B") + " moved at " +
               format_si(achieved_bw, "B/s") +
               (bw > 0 ? " (" + pct(achieved_bw / bw) + " of it)" : std::string());
        g.reasons.push_back({gap_kind::memory_roof, msg, {}});
    }

    // SM clock against the clock the datasheet peak assumes: only the compute roof scales with it.
    // A plain double (0 = unknown): GCC 12 misreads an optional here as maybe-uninitialized.
    const double roof_clock = o.roof_clock_mhz.value_or(datasheet_roof_clock_mhz(hw).value_or(0.0));
    if (t != nullptr && t->sm_clock_mean_mhz && roof_clock > 0) {
        const double ratio = *t->sm_clock_mean_mhz / roof_clock;
        const double peak_at_clock = e.roof.peak_flops_per_s * ratio;
        g.roof_at_clock_flops_per_s = std::min(e.memory_roof_flops_per_s, peak_at_clock);
        if (*g.roof_at_clock_flops_per_s > 0) {
            g.fraction_of_roof_at_clock = g.measured_flops_per_s / *g.roof_at_clock_flops_per_s;
        }
        if (compute_bound && ratio < 0.97) {
            g.reasons.push_back(
                {gap_kind::clock,
                 "SM clock averaged " + num(*t->sm_clock_mean_mhz) + " MHz" +
                     (t->sm_clock_min_mhz ? " (min " + num(*t->sm_clock_min_mhz) + ")" : std::string()) +
                     ", " + pct(ratio) + " of the " + num(roof_clock) +
                     " MHz clock the datasheet roof assumes: at " + "that clock the compute roof is " +
                     tflops(peak_at_clock) + " (" + tflops(e.roof.peak_flops_per_s) + " at " +
                     num(roof_clock) + " MHz), and this GEMM reached " + pct(*g.fraction_of_roof_at_clock) +
                     " of it",
                 ratio});
            explained *= ratio;
        }
    }

    // Throttle reasons, with the figures that back each one.
    if (t != nullptr && !t->throttle_reasons.empty()) {
        std::string msg = "clock-event reasons during the run: ";
        for (std::size_t i = 0; i < t->throttle_reasons.size(); ++i) {
            msg += (i ? ", " : "") + t->throttle_reasons[i];
        }
        if (has(t->throttle_reasons, "power cap") && t->power_mean_w && t->power_limit_w) {
            msg +=
                "; mean power " + num(*t->power_mean_w) + " W of the " + num(*t->power_limit_w) + " W limit";
        }
        if ((has(t->throttle_reasons, "thermal slowdown (software)") ||
             has(t->throttle_reasons, "thermal slowdown (hardware)")) &&
            t->temperature_max_c) {
            msg += "; peak temperature " + num(*t->temperature_max_c) + " C";
        }
        if (has(t->throttle_reasons, "GPU idle")) {
            msg += "; the GPU sat idle in most samples: it waited on the host between launches";
        }
        g.reasons.push_back({gap_kind::throttle, msg, {}});
    }
    if (t != nullptr && t->low_clock_samples > 0) {
        g.reasons.push_back({gap_kind::low_clock_samples,
                             std::to_string(t->low_clock_samples) + " of " + std::to_string(t->samples) +
                                 " telemetry samples had the SM clock under 75% of its " +
                                 (t->sm_clock_max_mhz ? num(*t->sm_clock_max_mhz) + " MHz " : std::string()) +
                                 "maximum (nvbench's throttle rule): the timing includes throttled stretches",
                             {}});
    }

    // Wave quantization: output tiles over the SMs, one tile per SM at a time (persistent or stream-K kernels
    // spread the tail differently, hence "at best").
    const int sms = o.sm_count > 0          ? o.sm_count
                    : m.device.sm_count > 0 ? m.device.sm_count
                    : hw.sm_count.value     ? static_cast<int>(*hw.sm_count.value)
                                            : 0;
    const auto tile = o.tile ? o.tile : parse_tile(m.algorithm);
    if (compute_bound && tile && sms > 0) {
        const std::int64_t tiles = ((p.problem.m + tile->m - 1) / tile->m) *
                                   ((p.problem.n + tile->n - 1) / tile->n) *
                                   std::max<std::int64_t>(tile->split_k, 1);
        const std::int64_t waves = (tiles + sms - 1) / sms;
        const double efficiency = static_cast<double>(tiles) / static_cast<double>(waves * sms);
        if (efficiency < 0.95) {
            const std::int64_t last = tiles - (waves - 1) * sms;
            std::string msg = "wave quantization: the " + std::to_string(p.problem.m) + "x" +
                              std::to_string(p.problem.n) + " output in " + std::to_string(tile->m) + "x" +
                              std::to_string(tile->n) + " tiles" +
                              (tile->split_k > 1 ? " split " + std::to_string(tile->split_k) + " ways along K"
                                                 : std::string()) +
                              " makes " + std::to_string(tiles) + " tiles for " + std::to_string(sms) +
                              " SMs (" + num(static_cast<double>(tiles) / sms, 2) + " waves); ";
            msg += tiles < sms ? std::to_string(sms - tiles) + " SMs get no tile"
                               : "the last wave keeps " + std::to_string(last) + " of " +
                                     std::to_string(sms) + " SMs busy";
            msg += ", so at best " + pct(efficiency) + " of the SM time does work";
            g.reasons.push_back({gap_kind::wave_quantization, msg, efficiency});
            explained *= efficiency;
        }
    }

    if (p.time_s < o.launch_overhead_below_s) {
        g.reasons.push_back({gap_kind::launch_overhead,
                             "the GEMM took " + num(p.time_s * 1e6, 1) +
                                 " us: launching and setting up a kernel costs a few microseconds, a large "
                                 "share at this size "
                                 "(batch small GEMMs, fuse them, or capture them in a CUDA graph)",
                             {}});
    }

    if (compute_bound && g.fraction_of_roof) {
        const double rest = *g.fraction_of_roof / explained;
        std::string msg =
            "reached " + pct(*g.fraction_of_roof) + " of the " + tflops(g.roof_flops_per_s) + " roof";
        if (explained < 1.0) {
            msg += "; the clock and tiling above leave " + pct(explained) +
                   " reachable, of which it reached " + pct(std::min(rest, 9.99));
        }
        if (rest < 0.9) {
            msg += "; the rest is the kernel's own efficiency (pipeline fill, epilogue, memory stalls, the " +
                   std::string("datasheet peak assuming every tensor-core cycle busy)");
        }
        g.reasons.push_back({gap_kind::remaining, msg, rest});
    }
    return g;
}

std::string gap_lines(const gap_analysis& g) {
    std::string out;
    for (const auto& r : g.reasons) {
        out += "  below the roof (" + std::string(to_string(r.kind)) + "): " + r.message + "\n";
    }
    return out;
}

std::string telemetry_lines(const telemetry_summary& t, double flops_per_gemm, double time_per_gemm_s) {
    if (!t.available) {
        return "  telemetry: unavailable (" +
               (t.unavailable_reason.empty() ? "no probe" : t.unavailable_reason) + ")\n";
    }
    std::string line = "  telemetry:";
    if (t.sm_clock_mean_mhz) {
        line += " SM clock " + num(*t.sm_clock_mean_mhz) + " MHz mean";
        if (t.sm_clock_min_mhz) {
            line += " (min " + num(*t.sm_clock_min_mhz);
            line += t.sm_clock_max_mhz ? ", device max " + num(*t.sm_clock_max_mhz) + ")" : std::string(")");
        }
        line += ";";
    }
    if (t.mem_clock_mean_mhz) {
        line += " memory clock " + num(*t.mem_clock_mean_mhz) + " MHz;";
    }
    // NVML's power readings lag the load: over a region shorter than a second they are only a hint.
    const bool short_region = t.region_s > 0 && t.region_s < 1.0;
    if (t.power_mean_w && short_region) {
        line += " power reading " + num(*t.power_mean_w) + " W (lags the load over a " + num(t.region_s, 2) +
                " s region)" + (t.power_limit_w ? ", limit " + num(*t.power_limit_w) + " W" : std::string()) +
                ";";
    } else if (t.power_mean_w) {
        line += " power " + num(*t.power_mean_w) + " W mean" +
                (t.power_limit_w ? " of " + num(*t.power_limit_w) + " W limit" : std::string()) +
                (t.gemm_power_w ? " (rests included; " + num(*t.gemm_power_w) + " W while the GEMMs ran)"
                                : std::string()) +
                ";";
    }
    if (t.temperature_max_c) {
        line += " peak " + num(*t.temperature_max_c) + " C;";
    }
    line += " " + std::to_string(t.samples) + " samples at " + num(t.sample_rate_hz) + " Hz\n";

    std::string energy = "  energy:";
    bool any = false;
    if (t.energy_per_gemm_j) {
        energy += " " + format_si(*t.energy_per_gemm_j, "J") + " per GEMM";
        any = true;
        if (flops_per_gemm > 0 && *t.energy_per_gemm_j > 0) {
            energy += ", " + num(flops_per_gemm / *t.energy_per_gemm_j / 1e12, 2) + " TFLOP/s per W";
        }
        if (!t.energy_source.empty()) {
            energy += " [" + t.energy_source + "]";
        }
        if (t.energy_j) {
            energy += " (" + format_si(*t.energy_j, "J") + " over the timed region)";
        }
    } else if (!t.energy_source.empty()) {
        energy += " " + t.energy_source;
        any = true;
    } else if (!short_region && t.power_mean_w && *t.power_mean_w > 0 && time_per_gemm_s > 0 &&
               flops_per_gemm > 0) {
        energy += " " + num(flops_per_gemm / time_per_gemm_s / *t.power_mean_w / 1e12, 2) +
                  " TFLOP/s per W (rate / mean power; no energy counter)";
        any = true;
    }
    std::string out = line + (any ? energy + "\n" : std::string());
    std::string why = "  throttle:";
    if (t.throttle_reasons.empty()) {
        why += " none reported";
    } else {
        for (std::size_t i = 0; i < t.throttle_reasons.size(); ++i) {
            why += (i ? ", " : " ") + t.throttle_reasons[i];
        }
    }
    if (t.low_clock_samples > 0) {
        why += "; " + std::to_string(t.low_clock_samples) + " of " + std::to_string(t.samples) +
               " samples under 75% of the max SM clock (flagged)";
    }
    return out + why + "\n";
}

} // namespace roofline
