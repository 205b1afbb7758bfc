// bench/prediction: how well the performance model predicts measured GEMM times on shapes it was not fitted
// on. Reads measured answers (JSON lines, one `analyze --format json` / /api/analyze answer per line), splits
// the shapes deterministically (calibration.cpp is_held_out: FNV-1a of "MxNxK", one third held out), fits the
// model on the other two thirds, and prints per precision the median and 90th percentile of
// |log(measured / predicted)| and the share predicted faster than measured, for the calibrated and the
// uncalibrated (family defaults) model, on the held-out shapes.
//
// Usage: prediction_bench ANSWERS.jsonl [--hardware KEY] [--profile-out FILE] [--provenance TEXT]
#include "roofline/core/calibration.hpp"
#include "roofline/core/device_match.hpp"
#include "roofline/core/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>

using namespace roofline;

namespace {

void print_table(const char* title, const std::map<precision_id, std::vector<double>>& cal,
                 const std::map<precision_id, std::vector<double>>& uncal) {
    std::printf("\n%s\n", title);
    std::printf("%-10s %6s | %-30s | %-30s\n", "", "", "calibrated", "uncalibrated (defaults)");
    std::printf("%-10s %6s | %9s %9s %10s | %9s %9s %10s\n", "precision", "points", "median", "p90",
                "pred<meas", "median", "p90", "pred<meas");
    std::vector<double> all_c;
    std::vector<double> all_u;
    for (const auto& [id, v] : cal) {
        const auto c = summarize_residuals(v);
        const auto u = summarize_residuals(uncal.at(id));
        all_c.insert(all_c.end(), v.begin(), v.end());
        all_u.insert(all_u.end(), uncal.at(id).begin(), uncal.at(id).end());
        std::printf("%-10s %6zu | %9.3f %9.3f %9.0f%% | %9.3f %9.3f %9.0f%%\n",
                    std::string(to_string(id)).c_str(), c.count, c.median_abs, c.p90_abs,
                    100 * c.share_predicted_faster, u.median_abs, u.p90_abs, 100 * u.share_predicted_faster);
    }
    const auto c = summarize_residuals(all_c);
    const auto u = summarize_residuals(all_u);
    std::printf("%-10s %6zu | %9.3f %9.3f %9.0f%% | %9.3f %9.3f %9.0f%%\n", "all", c.count, c.median_abs,
                c.p90_abs, 100 * c.share_predicted_faster, u.median_abs, u.p90_abs,
                100 * u.share_predicted_faster);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: prediction_bench ANSWERS.jsonl [--hardware KEY] [--profile-out FILE] "
                     "[--provenance TEXT]"
                     " [--worst N]\n";
        return 2;
    }
    std::string hardware_key;
    std::string profile_out;
    std::string provenance = "bench/prediction/prediction_bench";
    std::size_t worst = 12;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--hardware") {
            hardware_key = argv[i + 1];
        } else if (flag == "--profile-out") {
            profile_out = argv[i + 1];
        } else if (flag == "--provenance") {
            provenance = argv[i + 1];
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
        const auto profile = fit_profile(hw, fit, defaults, fo);

        std::map<precision_id, std::vector<double>> cal_held, unc_held, cal_fit, unc_fit;
        const auto rc = log_residuals(hw, held, profile.params);
        const auto ru = log_residuals(hw, held, defaults);
        for (std::size_t i = 0; i < held.size(); ++i) {
            cal_held[compute_precision(held[i].problem)].push_back(rc[i]);
            unc_held[compute_precision(held[i].problem)].push_back(ru[i]);
        }
        const auto fc = log_residuals(hw, fit, profile.params);
        const auto fu = log_residuals(hw, fit, defaults);
        for (std::size_t i = 0; i < fit.size(); ++i) {
            cal_fit[compute_precision(fit[i].problem)].push_back(fc[i]);
            unc_fit[compute_precision(fit[i].problem)].push_back(fu[i]);
        }
        std::printf("\nfitted parameters: %s\n", to_json(profile.params).dump().c_str());
        print_table("HELD-OUT shapes (never fitted): |log(measured/predicted)|", cal_held, unc_held);
        print_table("fitted shapes (for reference)", cal_fit, unc_fit);

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
