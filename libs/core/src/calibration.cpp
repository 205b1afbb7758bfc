#include "roofline/core/calibration.hpp"

#include "roofline/core/gap.hpp"
#include "roofline/core/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>

namespace roofline {
namespace {

using json = nlohmann::json;

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

// The clock ratio perf_model::predict uses for a sample: the assumed clock of its pacing, never the measured
// one (a prediction for a shape nobody measured cannot know it), so fit and prediction see the same model.
double clock_ratio_for(const hardware_entry& hw, const perf_params& params, sample_pacing pacing) {
    const auto roof_clock = datasheet_roof_clock_mhz(hw);
    const auto clock = run_clock_mhz(hw, params, pacing);
    if (roof_clock && clock && *roof_clock > 0) {
        return *clock / *roof_clock;
    }
    return pacing == sample_pacing::continuous ? params.continuous_clock_ratio : 1.0;
}

// The fitted parameters as a vector of logarithms (every parameter is positive), and back.
struct parameter_map {
    std::vector<precision_id> precisions;
    bool efficiencies_only = false;

    [[nodiscard]] std::vector<double> to_vector(const perf_params& p) const {
        if (efficiencies_only) {
            std::vector<double> x;
            for (const auto id : precisions) {
                x.push_back(std::log(p.efficiency(id)));
            }
            return x;
        }
        std::vector<double> x{std::log(std::max(p.floor_s, 1e-7)),
                              std::log(p.bandwidth_efficiency),
                              std::log(std::max(p.sm_bandwidth_bytes_per_s, 1e9)),
                              std::log(std::max(p.tile_overhead_s, 1e-8)),
                              std::log(p.tile_intensity_ref),
                              std::log(p.misaligned_efficiency),
                              std::log(p.misaligned_bandwidth_efficiency),
                              std::log(std::max(p.split_k_overhead_s, 1e-8)),
                              std::log(std::max(p.misaligned_loads_per_clock, 0.5))};
        for (const auto id : precisions) {
            x.push_back(std::log(p.efficiency(id)));
        }
        return x;
    }

    [[nodiscard]] perf_params from_vector(const std::vector<double>& x, perf_params base) const {
        const auto clamp_exp = [](double v, double lo, double hi) { return std::clamp(std::exp(v), lo, hi); };
        if (efficiencies_only) {
            for (std::size_t i = 0; i < precisions.size(); ++i) {
                base.compute_efficiency[precisions[i]] = clamp_exp(x[i], 0.05, 1.0);
            }
            return base;
        }
        base.floor_s = clamp_exp(x[0], 1e-7, 50e-6);
        base.bandwidth_efficiency = clamp_exp(x[1], 0.05, 1.0);
        base.sm_bandwidth_bytes_per_s = clamp_exp(x[2], 1e9, 1e12);
        base.tile_overhead_s = clamp_exp(x[3], 1e-8, 20e-6);
        base.tile_intensity_ref = clamp_exp(x[4], 2.0, 512.0);
        base.misaligned_efficiency = clamp_exp(x[5], 0.02, 1.0);
        base.misaligned_bandwidth_efficiency = clamp_exp(x[6], 0.05, 1.0);
        base.split_k_overhead_s = clamp_exp(x[7], 1e-8, 50e-6);
        // Between half a load and 256 loads per SM and clock (far past what 32 LD/ST units issue).
        base.misaligned_loads_per_clock = clamp_exp(x[8], 0.5, 256.0);
        for (std::size_t i = 0; i < precisions.size(); ++i) {
            base.compute_efficiency[precisions[i]] = clamp_exp(x[9 + i], 0.05, 1.0);
        }
        return base;
    }
};

// Nelder-Mead on f from x0 (standard coefficients), at most max_evals evaluations.
std::vector<double> nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                                const std::vector<double>& x0, double step, std::size_t max_evals) {
    const std::size_t n = x0.size();
    std::vector<std::vector<double>> simplex{x0};
    for (std::size_t i = 0; i < n; ++i) {
        auto x = x0;
        x[i] += step;
        simplex.push_back(std::move(x));
    }
    std::vector<double> values;
    values.reserve(n + 1);
    for (const auto& x : simplex) {
        values.push_back(f(x));
    }
    std::size_t evals = n + 1;
    std::vector<std::size_t> order(n + 1);
    while (evals < max_evals) {
        std::iota(order.begin(), order.end(), 0);
        std::ranges::sort(order, [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
        const auto best = order.front();
        const auto worst = order.back();
        const auto second = order[n - 1];
        if (std::fabs(values[worst] - values[best]) < 1e-10 * (1.0 + std::fabs(values[best]))) {
            break;
        }
        std::vector<double> centroid(n, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t d = 0; d < n; ++d) {
                centroid[d] += simplex[order[i]][d] / static_cast<double>(n);
            }
        }
        const auto along = [&](double t) {
            std::vector<double> x(n);
            for (std::size_t d = 0; d < n; ++d) {
                x[d] = centroid[d] + t * (simplex[worst][d] - centroid[d]);
            }
            return x;
        };
        auto reflected = along(-1.0);
        const double fr = f(reflected);
        ++evals;
        if (fr < values[best]) {
            auto expanded = along(-2.0);
            const double fe = f(expanded);
            ++evals;
            if (fe < fr) {
                simplex[worst] = std::move(expanded);
                values[worst] = fe;
            } else {
                simplex[worst] = std::move(reflected);
                values[worst] = fr;
            }
            continue;
        }
        if (fr < values[second]) {
            simplex[worst] = std::move(reflected);
            values[worst] = fr;
            continue;
        }
        auto contracted = fr < values[worst] ? along(-0.5) : along(0.5);
        const double fc = f(contracted);
        ++evals;
        if (fc < std::min(fr, values[worst])) {
            simplex[worst] = std::move(contracted);
            values[worst] = fc;
            continue;
        }
        for (std::size_t i = 1; i <= n; ++i) {
            auto& x = simplex[order[i]];
            for (std::size_t d = 0; d < n; ++d) {
                x[d] = simplex[best][d] + 0.5 * (x[d] - simplex[best][d]);
            }
            values[order[i]] = f(x);
            ++evals;
        }
    }
    const auto it = std::ranges::min_element(values);
    return simplex[static_cast<std::size_t>(it - values.begin())];
}

} // namespace

std::vector<shape_case> benchmark_shapes() {
    std::vector<shape_case> out;
    for (const std::int64_t s : {256, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384}) {
        out.push_back({s, s, s, "square"});
    }
    for (const std::int64_t m : {1, 2, 4, 8, 16}) {
        for (const auto& [n, k] : std::vector<std::pair<std::int64_t, std::int64_t>>{
                 {4096, 4096}, {8192, 8192}, {14336, 4096}, {4096, 14336}, {28672, 8192}}) {
            out.push_back({m, n, k, "decode"});
        }
    }
    // Llama-style layers: attention projections and MLPs at 7B and 70B widths, prefill batches of tokens.
    for (const std::int64_t m : {128, 512, 2048, 8192}) {
        for (const auto& [n, k] : std::vector<std::pair<std::int64_t, std::int64_t>>{
                 {4096, 4096}, {12288, 4096}, {11008, 4096}, {4096, 11008}, {28672, 8192}, {8192, 28672}}) {
            out.push_back({m, n, k, "layer"});
        }
    }
    for (const auto& [m, n, k] :
         std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>>{{1000, 1000, 1000},
                                                                           {1024, 1000, 1024},
                                                                           {4000, 4000, 4000},
                                                                           {4096, 4096, 4000},
                                                                           {3000, 5000, 7000},
                                                                           {768, 1280, 4352},
                                                                           {12288, 320, 2048},
                                                                           {96, 10240, 1024},
                                                                           {5120, 5120, 640},
                                                                           {2000, 8000, 1600}}) {
        out.push_back({m, n, k, "odd"});
    }
    for (std::int64_t k = 64; k <= 65536; k *= 2) {
        out.push_back({4096, 4096, k, "k_sweep"});
        out.push_back({1024, 1024, k, "k_sweep"});
    }
    return out;
}

bool is_held_out(std::int64_t m, std::int64_t n, std::int64_t k) {
    const auto label = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
    return fnv1a(label) % 3 == 0;
}

std::vector<precision_id> calibration_precisions() {
    return {precision_id::fp16, precision_id::bf16, precision_id::fp8_e4m3, precision_id::int8,
            precision_id::tf32};
}

std::vector<calibration_sample> samples_from_points(const std::vector<analysis_point>& points) {
    std::vector<calibration_sample> out;
    for (const auto& p : points) {
        if (p.source != point_source::measured || p.status != disposition::passed || !p.measured ||
            !(p.time_s > 0)) {
            continue;
        }
        calibration_sample s;
        s.problem = p.problem;
        s.traffic = p.traffic;
        s.measured_s = p.time_s;
        s.pacing = p.measured->timing.pacing;
        if (p.measured->telemetry && p.measured->telemetry->sm_clock_mean_mhz) {
            s.clock_mhz = p.measured->telemetry->sm_clock_mean_mhz;
        }
        out.push_back(s);
    }
    return out;
}

replayed_run read_answers_jsonl(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw std::invalid_argument("--replay: cannot read '" + file.string() + "'");
    }
    replayed_run run;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        const auto where = file.string() + " line " + std::to_string(number);
        json doc;
        try {
            doc = json::parse(line);
        } catch (const json::parse_error& e) {
            throw std::invalid_argument(where + ": not valid JSON: " + e.what());
        }
        // The CLI's answer has "points"; the API's has "measured" (and "predicted", which is not data).
        const char* list = doc.is_object() && doc.contains("points") ? "points" : "measured";
        if (!doc.is_object() || !doc.contains(list) || !doc[list].is_array()) {
            throw std::invalid_argument(where + ": not an analysis answer (no 'points' or 'measured' array)");
        }
        if (run.hardware_key.empty() && doc.contains("hardware") && doc["hardware"].is_object()) {
            run.hardware_key = doc["hardware"].value("key", "");
        }
        if (run.device.name.empty() && doc.contains("device") && doc["device"].is_object()) {
            run.device = device_from_json(doc["device"]);
        }
        for (const auto& pj : doc[list]) {
            try {
                auto p = point_from_json(pj);
                if (run.device.name.empty() && p.measured) {
                    run.device = p.measured->device;
                }
                run.points.push_back(std::move(p));
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument(where + ": " + e.what());
            }
        }
    }
    return run;
}

std::vector<double> log_residuals(const hardware_entry& hw, const std::vector<calibration_sample>& samples,
                                  const perf_params& params) {
    std::vector<double> out;
    out.reserve(samples.size());
    for (const auto& s : samples) {
        const auto pred =
            evaluate_model(params, hw, s.problem, s.traffic, clock_ratio_for(hw, params, s.pacing));
        out.push_back(std::log(s.measured_s / pred.time_s));
    }
    return out;
}

calibration_profile fit_profile(const hardware_entry& hw, const std::vector<calibration_sample>& samples,
                                const perf_params& start, const fit_options& options) {
    if (samples.empty()) {
        throw std::invalid_argument("calibration: no measured, passed points to fit");
    }
    parameter_map map;
    std::set<precision_id> seen;
    for (const auto& s : samples) {
        seen.insert(compute_precision(s.problem));
    }
    map.precisions.assign(seen.begin(), seen.end());
    map.efficiencies_only = options.efficiencies_only;
    // Smoothed |r| (pseudo-Huber with a 1% knee): the median error is what matters, a few odd shapes should
    // not pull every parameter towards them as a squared loss would.
    const auto objective = [&](const std::vector<double>& x) {
        const auto params = map.from_vector(x, start);
        double sum = 0.0;
        for (const double r : log_residuals(hw, samples, params)) {
            sum += std::sqrt(r * r + 1e-4);
        }
        return sum;
    };
    // The objective is piecewise (a minimum over tile shapes), so Nelder-Mead can stop in a local minimum
    // that depends on where it starts: with starts > 1 the later chains start from the defaults moved by
    // +-0.4 in log space, alternating by parameter, and the lowest objective wins.
    const auto x0 = map.to_vector(start);
    const std::size_t starts = std::max<std::size_t>(options.starts, 1);
    const std::size_t restarts = std::max<std::size_t>(options.restarts, 1);
    std::vector<double> x;
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < starts; ++k) {
        auto y = x0;
        for (std::size_t d = 0; k > 0 && d < y.size(); ++d) {
            y[d] += ((d + k) % 2 == 0 ? 0.4 : -0.4);
        }
        for (std::size_t r = 0; r < restarts; ++r) {
            y = nelder_mead(objective, y, r == 0 ? 0.5 : 0.2, options.max_evaluations);
            if (options.progress) {
                options.progress(k * restarts + r + 1, starts * restarts);
            }
        }
        if (const double v = objective(y); v < best) {
            best = v;
            x = std::move(y);
        }
    }
    calibration_profile c;
    c.hardware_key = hw.key;
    c.params = map.from_vector(x, start);
    c.pacing = samples.front().pacing;
    const auto residuals = log_residuals(hw, samples, c.params);
    c.residuals = summarize_residuals(residuals);
    c.params.interval_log_p10 = c.residuals.p10;
    c.params.interval_log_p90 = c.residuals.p90;
    if (samples.size() < min_points_for_own_interval) {
        // Too few points for their percentiles to mean much: keep at least the starting (uncalibrated)
        // interval.
        c.params.interval_log_p10 = std::min(c.params.interval_log_p10, start.interval_log_p10);
        c.params.interval_log_p90 = std::max(c.params.interval_log_p90, start.interval_log_p90);
    }
    std::map<precision_id, std::vector<double>> by_precision;
    std::set<std::string> shapes;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        by_precision[compute_precision(samples[i].problem)].push_back(residuals[i]);
        shapes.insert(samples[i].problem.shape_label());
    }
    for (auto& [id, v] : by_precision) {
        c.per_precision[id] = summarize_residuals(std::move(v));
    }
    c.fitted_shapes.assign(shapes.begin(), shapes.end());
    return c;
}

residuals_by_precision group_by_precision(const std::vector<calibration_sample>& samples,
                                          const std::vector<double>& log_ratios) {
    residuals_by_precision out;
    for (std::size_t i = 0; i < samples.size() && i < log_ratios.size(); ++i) {
        out[compute_precision(samples[i].problem)].push_back(log_ratios[i]);
    }
    return out;
}

std::string residual_table(const std::string& title, const residuals_by_precision& calibrated,
                           const residuals_by_precision& uncalibrated) {
    std::string out = "\n" + title + "\n";
    char line[160];
    std::snprintf(line, sizeof line, "%-10s %6s | %-30s | %-30s\n", "", "", "calibrated",
                  "uncalibrated (defaults)");
    out += line;
    std::snprintf(line, sizeof line, "%-10s %6s | %9s %9s %10s | %9s %9s %10s\n", "precision", "points",
                  "median", "p90", "pred<meas", "median", "p90", "pred<meas");
    out += line;
    std::vector<double> all_c;
    std::vector<double> all_u;
    const auto row = [&](const std::string& name, const std::vector<double>& c_values,
                         const std::vector<double>& u_values) {
        const auto c = summarize_residuals(c_values);
        const auto u = summarize_residuals(u_values);
        std::snprintf(line, sizeof line, "%-10s %6zu | %9.3f %9.3f %9.0f%% | %9.3f %9.3f %9.0f%%\n",
                      name.c_str(), c.count, c.median_abs, c.p90_abs, 100 * c.share_predicted_faster,
                      u.median_abs, u.p90_abs, 100 * u.share_predicted_faster);
        out += line;
    };
    for (const auto& [id, v] : calibrated) {
        const auto it = uncalibrated.find(id);
        const auto& u = it == uncalibrated.end() ? std::vector<double>{} : it->second;
        all_c.insert(all_c.end(), v.begin(), v.end());
        all_u.insert(all_u.end(), u.begin(), u.end());
        row(std::string(to_string(id)), v, u);
    }
    row("all", all_c, all_u);
    return out;
}

perf_model model_with_profiles(const std::filesystem::path& dir) {
    perf_model model = perf_model::builtin();
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec)) {
        return model;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") {
            files.push_back(e.path());
        }
    }
    std::ranges::sort(files);
    for (const auto& f : files) {
        std::ifstream in(f);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        model.add_profile(parse_calibration_profile(text, f.string()));
    }
    return model;
}

} // namespace roofline
