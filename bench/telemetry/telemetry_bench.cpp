// Telemetry bench (run on the GPU machine; see bench/telemetry/README.md):
// clang-format off
//   identity  NVML identity and the cost and rate of live readings (monitor::read_now)
//   energy    energy per region from the energy counter against mean sampled power x wall time, >= 1 s load
//   overhead  the measured median with and without the sampler running (alternating blocks, same process)
//   gemm      FP16 and FP8 measurements through the GPU engine with telemetry, printed as the CLI would
// clang-format on
// Each mode prints one JSON object per line ({"bench": "<mode>", ...}) and a human line starting with '#'.
#include "roofline/ceilings/bandwidth.hpp"
#include "roofline/core/gap.hpp"
#include "roofline/core/report.hpp"
#include "roofline/telemetry/telemetry.hpp"
#ifdef ROOFLINE_HAVE_CUDA
#include "roofline/cuda/backend.hpp"
#endif

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <numeric>
#include <thread>

using namespace roofline;
using json = nlohmann::json;

namespace {

double median(std::vector<double> v) {
    std::ranges::sort(v);
    const auto n = v.size();
    return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int identity() {
    telemetry::monitor mon;
    json j{{"bench", "identity"}, {"status", telemetry::to_json(mon.status())}};
    if (!mon.status().available) {
        std::cout << j.dump() << "\n# NVML unavailable: " << mon.status().reason << "\n";
        return 1;
    }
    j["device"] = telemetry::to_json(*mon.device());
    // Live readings at 200 Hz for one second of an idle GPU: what each read costs, what rate is reachable.
    std::vector<double> cost_us;
    json first;
    const auto start = std::chrono::steady_clock::now();
    auto next = start;
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto s = mon.read_now();
        cost_us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        if (first.is_null() && s) {
            first = telemetry::to_json(*s);
        }
        next += std::chrono::milliseconds(5);
        std::this_thread::sleep_until(next);
    }
    j["first_sample"] = first;
    j["reads"] = cost_us.size();
    j["read_cost_us_median"] = median(cost_us);
    j["read_cost_us_max"] = *std::ranges::max_element(cost_us);
    std::cout << j.dump() << "\n# " << mon.device()->name << ": " << cost_us.size()
              << " reads in 1 s, median " << median(cost_us) << " us each\n";
    return 0;
}

int energy(double seconds) {
    std::string why;
    auto probe = telemetry::make_probe(cuda::query_device(0), why);
    if (!probe->available()) {
        std::cout << json{{"bench", "energy"}, {"error", why}}.dump() << "\n";
        return 1;
    }
    const std::size_t bytes = std::size_t{1} << 30;
    const double one = ceilings::run_copy_load(0, bytes, 3) / 3; // calibrate: one launch
    const auto launches = static_cast<std::size_t>(seconds / one) + 1;
    probe->begin();
    const double gpu_s = ceilings::run_copy_load(0, bytes, launches);
    const auto t = probe->end(probe_counts::back_to_back(launches, gpu_s));
    const double region = probe->last_region_s();
    // Trapezoid integral of the sampled power: the second estimate, independent of the counter.
    const auto& s = probe->last_samples();
    double integral = 0.0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i].power_w && s[i - 1].power_w) {
            integral += 0.5 * (*s[i].power_w + *s[i - 1].power_w) * (s[i].time_s - s[i - 1].time_s);
        }
    }
    json j{{"bench", "energy"},
           {"load", "copy kernel, 1 GiB, " + std::to_string(launches) + " launches"},
           {"region_s", region},
           {"gpu_s", gpu_s},
           {"samples", t.samples},
           {"sample_rate_hz", t.sample_rate_hz},
           {"power_source",
            probe->device()->instant_power ? "NVML_FI_DEV_POWER_INSTANT" : "nvmlDeviceGetPowerUsage"},
           {"energy_counter_j", t.energy_j ? json(*t.energy_j) : json(nullptr)},
           {"power_mean_w", t.power_mean_w ? json(*t.power_mean_w) : json(nullptr)},
           {"mean_power_x_time_j", t.power_mean_w ? json(*t.power_mean_w * region) : json(nullptr)},
           {"power_integral_j", integral},
           {"telemetry", to_json(t)}};
    if (t.energy_j && t.power_mean_w) {
        j["ratio_counter_over_power_time"] = *t.energy_j / (*t.power_mean_w * region);
    }
    std::cout << j.dump() << "\n# energy over " << region << " s: counter " << (t.energy_j ? *t.energy_j : -1)
              << " J, mean power x time " << (t.power_mean_w ? *t.power_mean_w * region : -1) << " J, "
              << t.samples << " samples at " << t.sample_rate_hz << " Hz\n";
    return 0;
}

// Medians of `block` launches with and without the sampler, alternating, `rounds` times each.
int overhead_copy(int rounds) {
    std::string why;
    auto probe = telemetry::make_probe(cuda::query_device(0), why);
    const std::size_t bytes = std::size_t{256} << 20;
    std::vector<double> with;
    std::vector<double> without;
    (void)ceilings::run_copy_load(0, bytes, 20); // warm
    for (int r = 0; r < rounds; ++r) {
        for (int mode = 0; mode < 2; ++mode) {
            std::vector<double> per;
            if (mode == 1) {
                probe->begin();
            }
            (void)ceilings::run_copy_load(0, bytes, 200, &per);
            if (mode == 1) {
                (void)probe->end(probe_counts::back_to_back(200, 0.0));
            }
            (mode == 1 ? with : without).push_back(median(per));
        }
    }
    const double a = median(with);
    const double b = median(without);
    std::cout << json{{"bench", "overhead"},
                      {"load", "copy kernel 256 MiB, 200 launches per block"},
                      {"rounds", rounds},
                      {"median_with_s", a},
                      {"median_without_s", b},
                      {"relative_change", a / b - 1},
                      {"probe_available", probe->available()}}
                     .dump()
              << "\n# copy: median with sampler " << a * 1e6 << " us, without " << b * 1e6 << " us ("
              << 100 * (a / b - 1) << "%)\n";
    return 0;
}

#ifdef ROOFLINE_HAVE_CUDA
// The engine's median with and without the sampler, in ABBA order, each measurement after the same idle gap
// so every one starts from the same clock state (under the H100's power cap, back-to-back measurements drift
// by more than the effect looked for). The spread of the runs without the sampler is the noise floor.
int overhead_gemm(int pairs) {
    std::string why;
    auto backend = cuda::make_backend({}, why);
    if (!backend) {
        std::cout << json{{"bench", "overhead_gemm"}, {"error", why}}.dump() << "\n";
        return 1;
    }
    auto probe = telemetry::make_probe(backend->device(), why);
    for (const auto& p : {make_problem(4096, 4096, 4096, precision_id::bf16),
                          make_problem(1, 8192, 8192, precision_id::fp16)}) {
        measure_options o;
        o.mode = timing_mode::cold;
        o.samples = o.min_samples = o.max_samples = 200;
        o.target_relative_spread = 0.0;
        (void)backend->measure(p, o); // algorithm search out of the way
        std::vector<double> with;
        std::vector<double> without;
        for (int i = 0; i < 2 * pairs; ++i) {
            const bool sampled = (i % 4 == 1) || (i % 4 == 2); // A B B A ...
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            o.probe = sampled ? probe.get() : nullptr;
            (sampled ? with : without).push_back(backend->measure(p, o).time_s);
        }
        const double a = median(with);
        const double b = median(without);
        const auto [lo, hi] = std::ranges::minmax(without);
        std::cout << json{{"bench", "overhead_gemm"},
                          {"load", p.shape_label() + " " + p.precision_label() +
                                       " cold, 200 samples per run, ABBA, " + "0.3 s idle before each run"},
                          {"medians_with_s", with},
                          {"medians_without_s", without},
                          {"relative_change", a / b - 1},
                          {"noise_without", (hi - lo) / b}}
                         .dump()
                  << "\n# " << p.shape_label() << " " << p.precision_label() << ": median with sampler "
                  << a * 1e6 << " us, without " << b * 1e6 << " us (" << 100 * (a / b - 1)
                  << "%; runs without the sampler spread " << 100 * (hi - lo) / b << "%)\n";
    }
    return 0;
}

int gemm(double seconds) {
    std::string why;
    auto backend = cuda::make_backend({}, why);
    if (!backend) {
        std::cout << json{{"bench", "gemm"}, {"error", why}}.dump() << "\n";
        return 1;
    }
    auto probe = telemetry::make_probe(backend->device(), why);
    const auto reg = hardware_registry::builtin();
    const auto dev = backend->device();
    const auto* hw = reg.match_device(dev.name, dev.compute_capability);
    for (const auto prec : {precision_id::fp16, precision_id::fp8_e4m3}) {
        const auto p = make_problem(8192, 8192, 8192, prec);
        measure_options o;
        o.mode = timing_mode::hot;
        // >= `seconds` of GEMMs so the energy counter (which steps every few ms) and mean power agree.
        o.samples = o.min_samples = o.max_samples = static_cast<std::size_t>(seconds / 1.0e-3);
        o.target_relative_spread = 0.0;
        o.max_seconds = seconds * 3;
        o.probe = probe.get();
        auto pt = backend->measure(p, o);
        if (hw != nullptr) {
            pt.hardware_key = hw->key;
            pt.roof = estimate(*hw, pt.problem, pt.traffic);
        }
        json j{{"bench", "gemm"}, {"point", to_json(pt)}};
        if (pt.measured && pt.measured->telemetry && pt.measured->telemetry->available) {
            const auto& t = *pt.measured->telemetry;
            const double region = probe->last_region_s();
            j["region_s"] = region;
            if (t.energy_j && t.power_mean_w) {
                j["energy_counter_j"] = *t.energy_j;
                j["mean_power_x_time_j"] = *t.power_mean_w * region;
                j["ratio_counter_over_power_time"] = *t.energy_j / (*t.power_mean_w * region);
            }
        }
        std::cout << j.dump() << "\n# " << pt.label() << ": "
                  << (pt.time_s > 0 ? std::to_string(pt.flops_per_s() / 1e12) + " TFLOP/s" : pt.message)
                  << "\n";
        std::string text;
        if (pt.measured && pt.measured->telemetry) {
            text += telemetry_lines(*pt.measured->telemetry, to_double(pt.traffic.flops), pt.time_s);
        }
        if (hw != nullptr) {
            text += gap_lines(analyze_gap(pt, *hw));
        }
        // '#' before every line: the device script keeps only those for the terminal.
        for (std::size_t at = 0; at < text.size();) {
            const auto nl = text.find('\n', at);
            std::cout << "#" << text.substr(at, nl == std::string::npos ? std::string::npos : nl - at + 1);
            at = nl == std::string::npos ? text.size() : nl + 1;
        }
    }
    return 0;
}
#endif

} // namespace

int main(int argc, char** argv) {
    int rc = 0;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string mode = argv[i];
            if (mode == "identity") {
                rc |= identity();
            } else if (mode == "energy") {
                rc |= energy(2.0);
            } else if (mode == "overhead") {
                rc |= overhead_copy(5);
#ifdef ROOFLINE_HAVE_CUDA
            } else if (mode == "overhead_gemm") {
                rc |= overhead_gemm(6);
            } else if (mode == "gemm") {
                rc |= gemm(1.5);
#endif
            } else {
                std::cerr << "unknown mode '" << mode
                          << "' (identity, energy, overhead, overhead_gemm, gemm)\n";
                return 2;
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return rc;
}
