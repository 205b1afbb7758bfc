// roofline calibrate: measure a set of shapes on the local GPU through the engine (or replay measurements
// from a JSON-lines file), fit the performance model's parameters, and store a calibration profile.
#include "cli_common.hpp"
#include "commands.hpp"
#include "local_backend.hpp"
#include "paths.hpp"
#include "roofline/core/calibration.hpp"
#include "roofline/core/device_match.hpp"
#include "roofline/core/report.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace roofline::cli {
namespace {

struct calibrate_options {
    std::string hardware;
    std::string replay;
    std::string output;
    std::string raw_output;
    std::string start;
    std::string evaluate;
    std::string precision = "FP16,BF16,FP8_E4M3,INT8,TF32";
    std::string pacing = "paced";
    std::size_t iterations = 30;
    bool quick = false;
    bool all_shapes = false;
    bool efficiencies_only = false;
};

// A one-line progress bar on a terminal; plain lines (one per 10%) when stderr is not one.
class progress_bar {
  public:
    explicit progress_bar(std::size_t total) : m_total(total), m_tty(isatty(STDERR_FILENO) != 0) {}

    void step(const std::string& what) {
        ++m_done;
        const double f = m_total ? static_cast<double>(m_done) / static_cast<double>(m_total) : 1.0;
        if (m_tty) {
            constexpr int width = 30;
            const int filled = static_cast<int>(f * width);
            std::fprintf(stderr, "\r[%s%s] %3zu/%zu %-40.40s", std::string(filled, '#').c_str(),
                         std::string(width - filled, ' ').c_str(), m_done, m_total, what.c_str());
            if (m_done == m_total) {
                std::fputc('\n', stderr);
            }
        } else if (static_cast<int>(f * 10) != m_last_decile || m_done == m_total) {
            m_last_decile = static_cast<int>(f * 10);
            std::fprintf(stderr, "calibrate: %zu/%zu measured (%s)\n", m_done, m_total, what.c_str());
        }
        std::fflush(stderr);
    }

  private:
    std::size_t m_total;
    std::size_t m_done = 0;
    bool m_tty;
    int m_last_decile = -1;
};

std::string utc_now() {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// --evaluate PROFILE --replay FILE: judge a profile (no fit) on the replayed points: the shapes the split
// holds out (never fitted by any profile made with the default split) and, for reference, the others; the
// family defaults beside it. bench/prediction/device_calibrate.sh judges a fresh GPU profile this way.
void run_evaluate(const calibrate_options& o, const hardware_registry& registry) {
    if (o.replay.empty()) {
        throw usage_error(
            "--evaluate needs --replay FILE.jsonl (the measured points to judge the profile on)");
    }
    std::ifstream in(o.evaluate);
    if (!in) {
        throw usage_error("--evaluate: cannot read '" + o.evaluate + "'");
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto profile = parse_calibration_profile(text, o.evaluate);
    auto run = read_answers_jsonl(o.replay);
    const auto& hw = registry.at(o.hardware.empty() ? profile.hardware_key : o.hardware, "--hardware");
    std::vector<analysis_point> fit_points;
    std::vector<analysis_point> held_points;
    for (auto& p : run.points) {
        (is_held_out(p.problem.m, p.problem.n, p.problem.k) ? held_points : fit_points)
            .push_back(std::move(p));
    }
    const auto held = samples_from_points(held_points);
    const auto fit = samples_from_points(fit_points);
    if (held.empty() && fit.empty()) {
        throw usage_error("--evaluate: no measured, passed points in '" + o.replay + "'");
    }
    const auto& defaults = perf_model::builtin().family_defaults(hw.architecture);
    std::printf("profile %s (%s, %s, %s) judged on %s: %zu held-out and %zu fit-split points on %s\n",
                o.evaluate.c_str(), profile.hardware_key.c_str(), profile.device.name.c_str(),
                profile.date.c_str(), o.replay.c_str(), held.size(), fit.size(), hw.key.c_str());
    const auto table = [&](const char* title, const std::vector<calibration_sample>& s) {
        std::fputs(residual_table(title, group_by_precision(s, log_residuals(hw, s, profile.params)),
                                  group_by_precision(s, log_residuals(hw, s, defaults)))
                       .c_str(),
                   stdout);
    };
    table("HELD-OUT shapes (never fitted): |log(measured/predicted)|", held);
    table("fit-split shapes (the profile may have been fitted on these)", fit);
}

void run_calibrate(const calibrate_options& o, const global_options& global) {
    const auto registry = load_registry(global.data_dir);
    if (!o.evaluate.empty()) {
        run_evaluate(o, registry);
        return;
    }
    std::vector<precision_id> precisions;
    try {
        precisions = parse_precision_list(o.precision);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--precision: ") + e.what());
    }
    measure_options mopt;
    try {
        mopt.pacing = parse_sample_pacing(o.pacing);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--pacing: ") + e.what());
    }
    if (o.iterations < 10 || o.iterations > 1000) {
        throw usage_error("--iterations must be an integer in [10, 1000]");
    }
    mopt.samples = o.iterations;

    std::vector<analysis_point> points;
    device_identity device;
    std::string hardware_key = o.hardware;
    std::string provenance;
    if (!o.replay.empty()) {
        auto run = read_answers_jsonl(o.replay);
        points = std::move(run.points);
        device = run.device;
        if (hardware_key.empty()) {
            hardware_key = run.hardware_key;
        }
        provenance = "roofline calibrate " + std::string(tool_version()) + " replaying " + o.replay;
    } else {
        std::string why;
        auto backend = make_local_backend(why);
        if (!backend) {
            throw usage_error("calibrate needs a GPU to measure (" + why +
                              "); --replay FILE.jsonl fits measurements made elsewhere");
        }
        device = backend->device();
        std::vector<shape_case> shapes;
        for (const auto& s : benchmark_shapes()) {
            if (!o.all_shapes && is_held_out(s.m, s.n, s.k)) {
                continue;
            }
            // --quick: the largest shapes cost most of the time and add little the others do not show.
            if (o.quick &&
                static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k) > 1.2e12) {
                continue;
            }
            shapes.push_back(s);
        }
        std::unique_ptr<std::ofstream> raw;
        if (!o.raw_output.empty()) {
            raw = std::make_unique<std::ofstream>(o.raw_output);
            if (!*raw) {
                throw usage_error("--raw-output: cannot write '" + o.raw_output + "'");
            }
        }
        const auto choice = choose_hardware(registry, hardware_key, &device, "h100-sxm");
        progress_bar bar(shapes.size() * precisions.size());
        for (const auto& s : shapes) {
            for (const auto p : precisions) {
                auto pt = backend->measure(make_problem(s.m, s.n, s.k, p), mopt);
                complete_point(pt, *choice.entry);
                if (raw) {
                    auto doc = analysis_document(*choice.entry, {pt});
                    annotate_hardware_choice(doc, choice);
                    // Flushed per answer: a run stopped part-way (a time limit) keeps what it measured,
                    // and `calibrate --replay` can fit that.
                    *raw << doc.dump() << '\n' << std::flush;
                }
                bar.step(std::string(to_string(p)) + " " + pt.problem.shape_label() + " " +
                         std::string(to_string(pt.status)));
                points.push_back(std::move(pt));
            }
        }
        provenance = "roofline calibrate " + std::string(tool_version()) + " measured " +
                     std::to_string(points.size()) + " points (" + std::string(to_string(mopt.pacing)) +
                     ", cold, median of " + std::to_string(o.iterations) + ") on " + device.name +
                     (o.raw_output.empty() ? std::string() : "; raw answers in " + o.raw_output);
    }
    const auto choice =
        choose_hardware(registry, hardware_key, device.name.empty() ? nullptr : &device, "h100-sxm");
    if (!choice.warning.empty()) {
        std::cerr << "warning: " << choice.warning << '\n';
    }
    const auto& hw = *choice.entry;

    // Fit only the shapes the split keeps for fitting (unless --all-shapes), and only the asked precisions.
    std::vector<analysis_point> kept;
    for (auto& p : points) {
        const bool wanted = std::ranges::find(precisions, p.problem.a) != precisions.end();
        if (wanted && (o.all_shapes || !is_held_out(p.problem.m, p.problem.n, p.problem.k))) {
            kept.push_back(std::move(p));
        }
    }
    const auto samples = samples_from_points(kept);
    if (samples.empty()) {
        throw usage_error("calibrate: no measured, passed points to fit (of " +
                          std::to_string(points.size()) + " read)");
    }
    fit_options fo;
    fo.efficiencies_only = o.efficiencies_only;
    std::cerr << "calibrate: fitting " << samples.size() << " points on " << hw.key << "...\n";
    fo.progress = [](std::size_t r, std::size_t n) {
        std::cerr << "calibrate: fit pass " << r << "/" << n << " done\n";
    };
    perf_params start = perf_model::builtin().family_defaults(hw.architecture);
    if (!o.start.empty()) {
        std::ifstream in(o.start);
        if (!in) {
            throw usage_error("--start: cannot read '" + o.start + "'");
        }
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        start = parse_calibration_profile(text, o.start).params;
        provenance += "; fit started from " + o.start;
    }
    if (o.efficiencies_only) {
        provenance += "; only the per-precision compute efficiencies fitted";
    }
    const auto before = summarize_residuals(log_residuals(hw, samples, start));
    auto profile = fit_profile(hw, samples, start, fo);
    profile.device = device;
    profile.date = utc_now();
    profile.provenance = provenance + "; fitted on " + std::to_string(samples.size()) +
                         " points whose shapes the split keeps for fitting (calibration.cpp is_held_out)";

    std::filesystem::path out = o.output;
    if (out.empty()) {
        const auto dir = calibration_dir();
        if (dir.empty()) {
            throw usage_error(
                "--output is required: no calibration directory (set ROOFLINE_CALIBRATION_DIR)");
        }
        std::filesystem::create_directories(dir);
        out = dir / (hw.key + ".json");
    }
    {
        const auto tmp = out.string() + ".tmp";
        std::ofstream f(tmp);
        f << to_json(profile).dump(2) << '\n';
        if (!f) {
            throw std::runtime_error("cannot write calibration profile '" + tmp + "'");
        }
        f.close();
        std::filesystem::rename(tmp, out);
    }
    std::printf("calibration profile for %s (%s): %s\n", hw.key.c_str(), device.name.c_str(), out.c_str());
    std::printf("%-10s %6s %12s %12s %10s\n", "precision", "points", "median|log|", "p90|log|", "pred<meas");
    for (const auto& [id, r] : profile.per_precision) {
        std::printf("%-10s %6zu %12.3f %12.3f %9.0f%%\n", std::string(to_string(id)).c_str(), r.count,
                    r.median_abs, r.p90_abs, 100.0 * r.share_predicted_faster);
    }
    std::printf(
        "all: %zu points, median |log(measured/predicted)| %.3f (defaults: %.3f), interval [%+.3f, %+.3f]\n",
        profile.residuals.count, profile.residuals.median_abs, before.median_abs, profile.residuals.p10,
        profile.residuals.p90);
}

} // namespace

void add_calibrate_command(CLI::App& app, const global_options& global) {
    auto opts = std::make_shared<calibrate_options>();
    auto* cmd = app.add_subcommand(
        "calibrate", "Measure a set of shapes on this GPU, fit the performance model and store a "
                     "calibration profile (minutes)");
    cmd->add_option("--hardware", opts->hardware,
                    "Registry key for the roofs (default: the local GPU's entry)");
    cmd->add_option("--replay", opts->replay,
                    "Fit measurements from a JSON-lines file of `analyze --format json` answers instead of "
                    "measuring");
    cmd->add_option("-o,--output", opts->output,
                    "Where to write the profile (default: $ROOFLINE_CALIBRATION_DIR or "
                    "~/.local/share/roofline/calibration/<key>.json, which analyze reads)");
    cmd->add_option("--raw-output", opts->raw_output,
                    "Also write every measured answer to this JSON-lines file");
    cmd->add_option(
        "--start", opts->start,
        "Start the fit from this calibration profile's parameters (e.g. a sibling GPU's) instead of "
        "the family defaults: useful when only a few points were measured");
    cmd->add_option("--evaluate", opts->evaluate,
                    "Judge this calibration profile on the --replay points instead of fitting: |log(measured/"
                    "predicted)| per precision on the held-out shapes (and the fit-split ones)");
    cmd->add_option("-p,--precision", opts->precision,
                    "Precisions to calibrate (default FP16,BF16,FP8_E4M3,INT8,TF32)");
    cmd->add_option("--pacing", opts->pacing, "paced (default) or continuous");
    cmd->add_option("--iterations", opts->iterations, "Timed samples per point (10..1000, default 30)");
    cmd->add_flag("--quick", opts->quick, "Skip the largest shapes (about a third of the time)");
    cmd->add_flag("--efficiencies-only", opts->efficiencies_only,
                  "Fit only the per-precision compute efficiencies (few points; use with --start)");
    cmd->add_flag("--all-shapes", opts->all_shapes,
                  "Fit the held-out shapes too (bench/prediction then has nothing left to judge the fit on)");
    cmd->callback([opts, &global] { run_calibrate(*opts, global); });
}

} // namespace roofline::cli
