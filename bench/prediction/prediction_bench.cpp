// bench/prediction: how well the performance model predicts measured GEMM times on shapes it was not fitted
// on. Reads measured answers (JSON lines, one `analyze --format json` / /api/analyze answer per line), splits
// the shapes deterministically (calibration.cpp is_held_out: FNV-1a of "MxNxK", one third held out), fits the
// model on the other two thirds, and prints per precision the median and 90th percentile of
// |log(measured / predicted)| and the share predicted faster than measured, for the calibrated and the
// uncalibrated (family defaults) model, on the held-out shapes.
//
// Usage: prediction_bench ANSWERS.jsonl [--hardware KEY] [--profile-out FILE] [--provenance TEXT] [--worst N]
//                         [--residuals FILE] [--starts N]
// --residuals writes one tab-separated line per point (set, shape, precision, alignment, measured and
// predicted times, log ratios, the model's tile and limiter), to look at the error by shape class.
#include "roofline/core/calibration.hpp"
#include "roofline/core/device_match.hpp"
#include "roofline/core/gap.hpp"
#include "roofline/core/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

using namespace roofline;

namespace {

void write_residual_lines(std::ofstream& f, const char* set, const hardware_entry& hw,
                          const std::vector<calibration_sample>& samples, const perf_params& cal,
                          const perf_params& uncal) {
    const auto rc = log_residuals(hw, samples, cal);
    const auto ru = log_residuals(hw, samples, uncal);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const auto& s = samples[i];
        const auto roof_clock = datasheet_roof_clock_mhz(hw);
        const auto clock = run_clock_mhz(hw, cal, s.pacing);
        const double clock_ratio = roof_clock && clock && *roof_clock > 0 ? *clock / *roof_clock : 1.0;
        const auto terms = evaluate_model(cal, hw, s.problem, s.traffic, clock_ratio).terms;
        f << set << '\t' << s.problem.shape_label() << '\t' << to_string(s.problem.a) << '\t'
          << (misaligned(s.problem) ? "misaligned" : "aligned") << '\t' << s.measured_s * 1e6 << '\t'
          << s.measured_s / std::exp(rc[i]) * 1e6 << '\t' << rc[i] << '\t'
          << s.measured_s / std::exp(ru[i]) * 1e6 << '\t' << ru[i] << '\t' << terms.limiter << '\t'
          << terms.tile_m << 'x' << terms.tile_n << '\t' << terms.split_k << '\t' << terms.waves << '\n';
    }
}

void write_residuals(const std::string& file, const hardware_entry& hw,
                     const std::vector<calibration_sample>& fit, const std::vector<calibration_sample>& held,
                     const perf_params& cal, const perf_params& uncal) {
    std::ofstream f(file);
    if (!f) {
        throw std::runtime_error("--residuals: cannot write '" + file + "'");
    }
    f << "set\tshape\tprecision\talignment\tmeasured_us\tpredicted_us\tlog_ratio\tuncalibrated_us\t"
         "uncalibrated_log_ratio\tlimiter\ttile\tsplit_k\twaves\n";
    write_residual_lines(f, "fit", hw, fit, cal, uncal);
    write_residual_lines(f, "held_out", hw, held, cal, uncal);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: prediction_bench ANSWERS.jsonl [--hardware KEY] [--profile-out FILE] "
                     "[--provenance TEXT]"
                     " [--worst N] [--residuals FILE] [--starts N]\n";
        return 2;
    }
    std::string hardware_key;
    std::string profile_out;
    std::string provenance = "bench/prediction/prediction_bench";
    std::size_t worst = 12;
    std::string residuals_out;
    std::size_t starts = fit_options{}.starts;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--hardware") {
            hardware_key = argv[i + 1];
        } else if (flag == "--profile-out") {
            profile_out = argv[i + 1];
        } else if (flag == "--provenance") {
            provenance = argv[i + 1];
        } else if (flag == "--residuals") {
            residuals_out = argv[i + 1];
        } else if (flag == "--starts") {
            starts = std::stoul(argv[i + 1]);
        } else if (flag == "--worst") {
            worst = std::stoul(argv[i + 1]);
        } else {
            std::cerr << "unknown option " << flag << '\n';
            return 2;
        }
    }
    try {
        const auto registry = hardware_registry::builtin();
        auto run = read_answers_jsonl(argv[1]);
        if (hardware_key.empty()) {
            hardware_key = run.hardware_key;
        }
        const auto& hw = registry.at(hardware_key, "--hardware");
        std::vector<analysis_point> fit_points;
        std::vector<analysis_point> held_points;
        for (auto& p : run.points) {
            (is_held_out(p.problem.m, p.problem.n, p.problem.k) ? held_points : fit_points).push_back(p);
        }
        const auto fit = samples_from_points(fit_points);
        const auto held = samples_from_points(held_points);
        std::printf("device: %s (%s), driver %s, cuBLASLt %s; hardware %s\n", run.device.name.c_str(),
                    run.device.compute_capability.c_str(), run.device.driver_version.c_str(),
                    run.device.cublaslt_version.c_str(), hw.key.c_str());
        std::printf("points read: %zu; passed and measured: %zu fit (shapes the split keeps), %zu held out\n",
                    run.points.size(), fit.size(), held.size());
        const auto& defaults = perf_model::builtin().family_defaults(hw.architecture);
        fit_options fo;
        fo.starts = starts;
        const auto profile = fit_profile(hw, fit, defaults, fo);

        const auto rc = log_residuals(hw, held, profile.params);
        const auto ru = log_residuals(hw, held, defaults);
        const auto fc = log_residuals(hw, fit, profile.params);
        const auto fu = log_residuals(hw, fit, defaults);
        std::printf("\nfitted parameters: %s\n", to_json(profile.params).dump().c_str());
        std::fputs(residual_table("HELD-OUT shapes (never fitted): |log(measured/predicted)|",
                                  group_by_precision(held, rc), group_by_precision(held, ru))
                       .c_str(),
                   stdout);
        std::fputs(residual_table("fitted shapes (for reference)", group_by_precision(fit, fc),
                                  group_by_precision(fit, fu))
                       .c_str(),
                   stdout);

        // The worst held-out points, to say where the model is weakest.
        std::vector<std::pair<double, std::size_t>> order;
        for (std::size_t i = 0; i < held.size(); ++i) {
            order.emplace_back(std::fabs(rc[i]), i);
        }
        std::ranges::sort(order, std::greater{});
        std::printf("\nworst held-out points (calibrated):\n");
        for (std::size_t j = 0; j < std::min(worst, order.size()); ++j) {
            const auto& s = held[order[j].second];
            std::printf("  %-22s %-9s measured %10.2f us, predicted %10.2f us, log ratio %+.3f\n",
                        s.problem.shape_label().c_str(), std::string(to_string(s.problem.a)).c_str(),
                        s.measured_s * 1e6, s.measured_s / std::exp(rc[order[j].second]) * 1e6,
                        rc[order[j].second]);
        }
        if (!residuals_out.empty()) {
            write_residuals(residuals_out, hw, fit, held, profile.params, defaults);
        }
        if (!profile_out.empty()) {
            auto p = profile;
            p.device = run.device;
            p.date = "2026-12-01";
            p.provenance = provenance + "; fitted on " + std::to_string(fit.size()) +
                           " passed points of the shapes calibration.cpp's split keeps for fitting; " +
                           std::to_string(held.size()) +
                           " held-out points judged in bench/prediction/RESULTS.md";
            std::ofstream f(profile_out);
            f << to_json(p).dump(2) << '\n';
            std::printf("\nprofile written to %s\n", profile_out.c_str());
        }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
