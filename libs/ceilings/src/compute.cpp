#include "roofline/ceilings/compute.hpp"

#include "roofline/core/roofline_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

namespace roofline::ceilings {

std::vector<shape> default_search_shapes() {
    return {{4096, 4096, 4096},
            {8192, 8192, 8192},
            {6144, 17920, 2816}, // mamf-finder's best BF16 shape on an H100 SXM
            {8192, 8192, 16384},
            {16384, 16384, 4096}};
}

namespace {

double flops_of(const shape& s) {
    return 2.0 * static_cast<double>(s[0]) * static_cast<double>(s[1]) * static_cast<double>(s[2]);
}

bool measured(disposition d) {
    return d == disposition::passed || d == disposition::not_verified;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

void rest(double seconds) {
    if (seconds > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    }
}

} // namespace

std::vector<compute_ceiling> search_compute(gemm_backend& backend, const compute_search_options& o) {
    auto shapes = o.shapes.empty() ? default_search_shapes() : o.shapes;
    const auto say = [&](const std::string& line) {
        if (o.progress) {
            o.progress(line);
        }
    };
    std::vector<compute_ceiling> out;
    for (const precision_id p : o.precisions) {
        compute_ceiling c;
        c.precision = p;
        const std::string name(info(p).name);
        // Cheapest first, so the smallest shape always runs and an unsupported precision fails fast. The rate
        // that predicts the others: the datasheet's until a shape has been measured, then the best measured.
        auto mine = shapes;
        std::ranges::sort(mine, [](const shape& a, const shape& b) { return flops_of(a) < flops_of(b); });
        double rate = 0.0;
        if (o.datasheet != nullptr) {
            const auto& pk = o.datasheet->peak(p);
            rate = pk.supported && pk.flops_per_s ? *pk.flops_per_s : 0.0;
        }
        std::size_t skipped = 0;
        for (std::size_t i = 0; i < mine.size(); ++i) {
            if (i > 0 && rate > 0 && flops_of(mine[i]) / rate > o.max_predicted_s) {
                ++skipped;
                continue;
            }
            measure_options mo;
            mo.mode = timing_mode::hot;       // a ceiling: operands in whatever cache helps, clocks warm
            mo.pacing = sample_pacing::paced; // burst: rests keep the boost clock, as for measured points
            mo.samples = 30;
            mo.min_samples = 10;
            mo.max_seconds = 2.0;
            mo.verify = true; // a fast wrong answer is no ceiling
            const auto problem = make_problem(mine[i][0], mine[i][1], mine[i][2], p);
            auto pt = backend.measure(problem, mo);
            if (measured(pt.status) && o.rest_seconds > 0) {
                rest(o.rest_seconds);
                auto again = backend.measure(problem, mo); // the algorithm now comes from the cache
                if (measured(again.status)) {
                    pt = std::move(again);
                }
            }
            shape_attempt a;
            a.problem = problem;
            a.status = pt.status;
            a.flops_per_s = measured(pt.status) ? pt.flops_per_s() : 0.0;
            a.algorithm = pt.measured ? pt.measured->algorithm : "";
            a.message = pt.message;
            say(name + " " + problem.shape_label() + ": " +
                (measured(pt.status) ? fixed(a.flops_per_s / 1e12, 1) + " TFLOP/s"
                                     : std::string(to_string(pt.status)) + ": " + pt.message));
            c.attempts.push_back(a);
            if (pt.status == disposition::not_supported || pt.status == disposition::invalid_problem) {
                break; // the precision itself is out, not this shape
            }
            if (measured(pt.status) && a.flops_per_s > c.burst_flops_per_s) {
                c.burst_flops_per_s = a.flops_per_s;
                c.best_problem = problem;
                c.algorithm = a.algorithm;
            }
            if (c.burst_flops_per_s > 0) {
                rate = c.burst_flops_per_s; // what it does, not the datasheet's promise, predicts the rest
            }
        }
        if (!c.best_problem) {
            c.status = c.attempts.empty() ? disposition::not_run : c.attempts.back().status;
            c.message = c.attempts.empty() ? "no shape to try" : c.attempts.back().message;
            out.push_back(std::move(c));
            continue;
        }
        c.status = disposition::passed;
        if (skipped > 0) {
            c.message = std::to_string(skipped) + " larger shapes skipped (predicted over " +
                        fixed(o.max_predicted_s * 1e3, 1) + " ms per GEMM)";
        }
        if (o.sustain_seconds > 0) {
            const double per = to_double(compute_traffic(*c.best_problem).flops) / c.burst_flops_per_s;
            const auto n =
                static_cast<std::size_t>(std::clamp(std::ceil(o.sustain_seconds / per), 10.0, 1e6));
            measure_options mo;
            mo.mode = timing_mode::hot;
            mo.pacing = sample_pacing::continuous; // sustained: what the clocks fall to under continuous load
            mo.samples = n;
            mo.min_samples = n;
            mo.max_samples = n;
            mo.target_relative_spread = 0.0; // run the whole stretch: the point is what the clocks fall to
            mo.max_seconds = o.sustain_seconds * 2 + 1;
            mo.verify = true;
            mo.probe = o.probe;
            rest(o.rest_seconds);
            const auto pt = backend.measure(*c.best_problem, mo);
            if (measured(pt.status) && pt.measured) {
                c.sustained_flops_per_s = pt.flops_per_s();
                c.sustained_samples = pt.measured->timing.samples;
                c.sustained_seconds = pt.measured->timing.mean_s * static_cast<double>(c.sustained_samples);
                c.sustained_telemetry = pt.measured->telemetry;
                say(name + " sustained " + c.best_problem->shape_label() + " for " +
                    fixed(c.sustained_seconds, 1) + " s: " + fixed(*c.sustained_flops_per_s / 1e12, 1) +
                    " TFLOP/s");
            } else {
                c.message += (c.message.empty() ? "" : "; ") + std::string("sustained run ") +
                             std::string(to_string(pt.status)) + ": " + pt.message;
            }
        }
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace roofline::ceilings
