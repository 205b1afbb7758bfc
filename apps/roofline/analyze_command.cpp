#include "cli_common.hpp"
#include "commands.hpp"
#include "gpus_cli.hpp"
#include "local_backend.hpp"
#include "paths.hpp"
#include "roofline/core/analysis.hpp"
#include "roofline/core/calibration.hpp"
#include "roofline/core/gap.hpp"
#include "roofline/core/measured_profile.hpp"
#include "roofline/core/report.hpp"
#include "stored_run.hpp"

#ifdef ROOFLINE_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

namespace roofline::cli {
namespace {

struct analyze_options {
    std::string shape;
    std::string m, n, k;
    std::string precision = "FP16";
    bool all_precisions = false;
    std::string hardware;
    std::string a_precision, b_precision, out_precision;
    std::string beta = "0";
    std::string group_size = "128";
    std::string format = "table";
    bool predict_only = false;
    std::string mode = "cold";
    std::string pacing = "paced";
    double telemetry_seconds = 0.1;
    std::string roof = "datasheet";
    std::size_t iterations = 30;
    bool keep_samples = false;
    bool no_verify = false;
    bool no_cache = false;
    bool corrupt_for_test = false;
    std::string db; // store the run here too (a SQLite file or a postgresql:// URL)
    std::string gpu_index;
    std::string gpus;           // --gpus all|0,2: one worker per GPU, the precisions spread over them
    std::string worker_command; // test hook for --gpus: a stand-in for `roofline worker`
    double precision_timeout_s = 180;
    double device_timeout_s = 60;
};

std::optional<precision_id> optional_precision(const std::string& text, const char* field) {
    if (text.empty()) {
        return std::nullopt;
    }
    try {
        return parse_precision(text);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string(field) + ": " + e.what());
    }
}

#ifdef ROOFLINE_HAVE_SERVER
// The precisions spread over the GPUs: each lane takes the next one; the points come back in order, each
// tagged with its GPU (measured.device: index, UUID, PCI bus id, serial).
std::vector<analysis_point> measure_on_lanes(server::gpu_queue& queue,
                                             const std::vector<gemm_problem>& problems,
                                             measure_options options, const hardware_entry& hw,
                                             const perf_model& model) {
    options.probe = nullptr; // each worker samples its own GPU's NVML
    auto job = std::make_shared<server::analysis_job>(problems, options);
    job->annotate = [&hw, &model](analysis_point& p) { annotate(hw, p, &model); };
    (void)queue.submit(job);
    server::job_event e;
    while (job->next(e, std::chrono::steady_clock::now() + std::chrono::hours(24)) !=
           server::analysis_job::wait_result::finished) {
        if (e.name == "error") {
            std::cerr << "warning: " << e.data << '\n';
        }
    }
    return job->measured;
}

// The measured points grouped by the GPU that ran them.
std::vector<std::pair<device_identity, std::vector<analysis_point>>>
split_by_gpu(const std::vector<analysis_point>& measured) {
    std::vector<std::pair<device_identity, std::vector<analysis_point>>> out;
    for (const auto& p : measured) {
        if (!p.measured) {
            continue;
        }
        const auto& d = p.measured->device;
        auto it =
            std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first.index == d.index; });
        if (it == out.end()) {
            out.emplace_back(d, std::vector<analysis_point>{});
            it = std::prev(out.end());
        }
        it->second.push_back(p);
    }
    return out;
}
#endif

void run_analyze(const analyze_options& o, const global_options& global) {
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    if (!o.shape.empty()) {
        if (!o.m.empty() || !o.n.empty() || !o.k.empty()) {
            throw usage_error("give either --shape MxNxK or -M/-N/-K, not both");
        }
        parse_shape(o.shape, m, n, k);
    } else {
        if (o.m.empty() || o.n.empty() || o.k.empty()) {
            throw usage_error("a shape is required: --shape MxNxK or all of -M, -N and -K");
        }
        m = parse_dimension(o.m, "M");
        n = parse_dimension(o.n, "N");
        k = parse_dimension(o.k, "K");
    }
    const auto format = parse_format(o.format);
    std::vector<precision_id> precisions;
    try {
        precisions = o.all_precisions ? default_sweep() : parse_precision_list(o.precision);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--precision: ") + e.what());
    }
    const auto a = optional_precision(o.a_precision, "--a-precision");
    const auto b = optional_precision(o.b_precision, "--b-precision");
    const auto out = optional_precision(o.out_precision, "--out-precision");
    const double beta = parse_number(o.beta, "--beta");
    const std::int64_t group_size = parse_dimension(o.group_size, "--group-size");
    if (o.iterations < 1 || o.iterations > max_iterations) {
        throw usage_error("--iterations must be an integer in [1, " + std::to_string(max_iterations) + "]");
    }
    measure_options mopt;
    try {
        mopt.mode = parse_timing_mode(o.mode);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--mode: ") + e.what());
    }
    try {
        mopt.pacing = parse_sample_pacing(o.pacing);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--pacing: ") + e.what());
    }
    mopt.samples = o.iterations;
    static_assert(max_telemetry_window_s == 10.0, "the message names the limit");
    if (!(o.telemetry_seconds >= 0.0 && o.telemetry_seconds <= max_telemetry_window_s)) {
        throw usage_error("--telemetry-seconds: must be in [0, 10] (1 or more gives energy per GEMM)");
    }
    mopt.telemetry_window_s = o.telemetry_seconds;
    mopt.min_samples = std::min<std::size_t>(mopt.min_samples, o.iterations);
    mopt.keep_samples = o.keep_samples;
    mopt.verify = !o.no_verify;
    mopt.use_algorithm_cache = !o.no_cache;
    mopt.corrupt_result_for_test = o.corrupt_for_test;

    const auto registry = load_registry(global.data_dir);
    std::unique_ptr<gemm_backend> backend;
    std::string why_no_gpu = "--predict-only";
#ifdef ROOFLINE_HAVE_SERVER
    std::unique_ptr<gpu_lanes> lanes;
    if (!o.gpus.empty() && !o.predict_only) {
        lanes = start_gpu_lanes(parse_gpu_list(o.gpus),
                                {o.worker_command, o.precision_timeout_s, o.device_timeout_s});
    }
#else
    if (!o.gpus.empty()) {
        throw usage_error("--gpus needs the server library (worker supervisor), which this build lacks");
    }
#endif
    if (!o.predict_only && o.gpus.empty()) {
        backend = make_local_backend(why_no_gpu);
    }
    // The plan (roofs, validated problems, predictions) is the core's, shared with the server.
    analysis_context ctx;
    ctx.registry = &registry;
    if (backend) {
        ctx.device = backend->device();
    }
#ifdef ROOFLINE_HAVE_SERVER
    if (lanes) {
        ctx.device = lanes->queue->first_device();
    }
#endif
    ctx.profile_dir = profile_dir();
    perf_model model;
    try {
        model = model_with_profiles(calibration_dir());
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("calibration profiles: ") + e.what());
    }
    ctx.model = &model;
    analysis_request request;
    request.pacing = mopt.pacing;
    if (!o.hardware.empty()) {
        request.hardware_key = registry.at(o.hardware, "--hardware").key;
    }
    if (o.roof == "measured") {
        request.roof = roof_source::measured;
    } else if (o.roof != "datasheet") {
        throw usage_error("--roof must be 'datasheet' or 'measured' (got '" + o.roof + "')");
    }
    for (const auto p : precisions) {
        auto problem = make_problem(m, n, k, p, a, b, out, beta);
        problem.group_size = group_size;
        try {
            validate(problem);
        } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
        }
        request.problems.push_back(problem);
    }
    analysis_plan plan;
    try {
        plan = plan_analysis(ctx, request);
    } catch (const analysis_error& e) {
        throw usage_error((e.field() == "roof" ? "--roof measured: " : "--hardware: ") +
                          std::string(e.what()));
    }
    const hardware_entry* hw = plan.hardware.get();
    if (!plan.warning.empty()) {
        std::cerr << "warning: " << plan.warning << '\n';
    }
#ifdef ROOFLINE_HAVE_TELEMETRY
    // Clocks, power and energy while each precision's timed samples run (absent with a reason without NVML).
    std::unique_ptr<measurement_probe> probe;
    if (backend) {
        std::string why_no_nvml;
        probe = telemetry::make_probe(backend->device(), why_no_nvml);
        mopt.probe = probe.get();
    }
#endif

    std::vector<analysis_point> points;
#ifdef ROOFLINE_HAVE_SERVER
    if (lanes) {
        points = measure_on_lanes(*lanes->queue, plan.problems, mopt, *hw, model);
    } else
#endif
        if (backend) {
        for (const auto& problem : plan.problems) {
            points.push_back(backend->measure(problem, mopt));
            annotate(*hw, points.back(), &model);
        }
    } else {
        points = plan.predicted;
    }

#ifdef ROOFLINE_HAVE_SERVER
    if (lanes && !o.db.empty()) {
        // One run per GPU, so the history compares the GPUs of the node like runs of separate nodes.
        for (const auto& [device, own] : split_by_gpu(points)) {
            const auto id = store_analysis(o.db, *hw, own, {device, device.index});
            std::cerr << "GPU " << device.index.value_or(0) << ": stored as run " << id << '\n';
        }
    } else
#endif
        if (const auto db = o.db; !db.empty()) {
        run_origin origin;
        if (backend) {
            origin.device = backend->device();
            origin.device->serial = board_serial(*origin.device);
        }
        origin.gpu_index = gpu_index_from_env();
        if (!o.gpu_index.empty()) {
            if (o.gpu_index.size() > 4 || o.gpu_index.find_first_not_of("0123456789") != std::string::npos) {
                throw usage_error("--gpu-index must be an integer in [0, 9999] (got '" +
                                  o.gpu_index.substr(0, 20) + "')");
            }
            origin.gpu_index = std::stoll(o.gpu_index);
        }
        const auto id = store_analysis(db, *hw, points, origin);
        std::cerr << "stored as run " << id << '\n';
    }

    switch (format) {
    case output_format::json: {
        auto doc = analysis_document(*hw, points);
        annotate_hardware_choice(doc, plan);
        std::cout << doc.dump(2) << '\n';
        break;
    }
    case output_format::csv:
        std::cout << points_csv(points);
        break;
    case output_format::table:
        std::cout << points_table(*hw, points) << "  hardware: " << plan.matched_by << '\n';
        for (const auto& p : points) {
            if (p.measured && p.measured->device.index) {
                const auto& d = p.measured->device;
                std::cout << "  " << p.problem.precision_label() << ": GPU " << *d.index << " " << d.uuid
                          << " " << d.pci_bus_id << (d.serial.empty() ? "" : " serial " + d.serial) << '\n';
            }
        }
        for (const auto& p : points) {
            if (p.source != point_source::measured || p.time_s <= 0 || !p.measured) {
                continue;
            }
            std::cout << "\n"
                      << p.problem.precision_label() << " (" << p.measured->kernel_path << ", "
                      << p.measured->layout << ", " << p.measured->algorithm << ")\n";
            if (p.measured->telemetry) {
                std::cout << telemetry_lines(*p.measured->telemetry, to_double(p.traffic.flops), p.time_s);
            }
            std::cout << gap_lines(analyze_gap(p, *hw));
        }
        if (!backend && points.empty()) {
            std::cout << "(predicted from the roofline model: " << why_no_gpu << ")\n";
        }
        break;
    }
}

} // namespace

void add_analyze_command(CLI::App& app, const global_options& global) {
    auto opts = std::make_shared<analyze_options>();
    auto* cmd =
        app.add_subcommand("analyze", "Place a GEMM on the roofline: predicted, and measured when a GPU is "
                                      "present");
    cmd->add_option("--shape", opts->shape, "MxNxK, e.g. 4096x4096x4096");
    cmd->add_option("-M", opts->m, "Rows of A and D (1..2147483647)");
    cmd->add_option("-N", opts->n, "Columns of B and D (1..2147483647)");
    cmd->add_option("-K", opts->k, "Shared dimension (1..2147483647)");
    cmd->add_option("-p,--precision", opts->precision,
                    "One precision, a comma list, or 'all' (" + valid_precision_names(true) + ")");
    cmd->add_flag("--all-precisions", opts->all_precisions,
                  "The seed's sweep: FP16, FP8_E4M3, NVFP4, INT8, INT4 (overrides --precision)");
    cmd->add_option("--hardware", opts->hardware,
                    "Registry key or alias for the roofs (default: the local GPU's entry, else b10)");
    cmd->add_option("--a-precision", opts->a_precision,
                    "Precision of A (mixed precision, e.g. INT4 weights)");
    cmd->add_option("--b-precision", opts->b_precision, "Precision of B");
    cmd->add_option("--out-precision", opts->out_precision, "Precision of D (default: the input's default)");
    cmd->add_option("--beta", opts->beta,
                    "beta of D = alpha*A*B + beta*C; non-zero adds C's traffic (default 0)");
    cmd->add_option(
        "--group-size", opts->group_size,
        "INT4 weights of a mixed GEMM (W4A16): one 16-bit scale per this many along K (default 128)");
    cmd->add_option("--format", opts->format, "table, json or csv");
    cmd->add_flag("--predict-only", opts->predict_only, "Do not measure even when a GPU is present");
    cmd->add_option("--mode", opts->mode, "cold (L2 flushed before each sample; default) or hot");
    cmd->add_option(
        "--pacing", opts->pacing,
        "paced (the GPU rests after each sample and keeps its boost clock; default) or continuous "
        "(back to back after 1 s of load: the clocks sustained under the power limit)");
    cmd->add_option("--telemetry-seconds", opts->telemetry_seconds,
                    "NVML watches the timed samples at least this long (0 to 10, default 0.1); 1 or more "
                    "gives energy per GEMM (shorter regions are below the energy counter's resolution)");
    cmd->add_option("--roof", opts->roof,
                    "datasheet (registry; default) or measured (from `roofline ceilings`)");
    cmd->add_option("--iterations", opts->iterations, "Timed samples per precision (default 30)");
    cmd->add_flag("--samples", opts->keep_samples, "Keep every timing sample in the JSON");
    cmd->add_flag("--no-verify", opts->no_verify,
                  "Skip the check against a reference (result: not_verified)");
    cmd->add_flag("--no-cache", opts->no_cache,
                  "Search algorithms again instead of using the on-disk choice");
    cmd->add_option(
        "--db", opts->db,
        "Also store the run: a SQLite file or a postgresql:// URL (what `roofline fleet` tasks do)");
    cmd->add_option("--gpu-index", opts->gpu_index,
                    "The GPU's index on its node, stored with the run (default: CUDA_VISIBLE_DEVICES when it "
                    "names one GPU)")
        ->group("");
    cmd->add_option(
        "--gpus", opts->gpus,
        "Measure on several GPUs of this node: 'all' or a comma list of ordinals (0,2); one worker "
        "process per GPU, the precisions spread over them, each point tagged with its GPU");
    cmd->add_option("--precision-timeout", opts->precision_timeout_s,
                    "With --gpus: seconds one precision may take before its worker is killed and restarted "
                    "(default 180)");
    cmd->add_option("--device-timeout", opts->device_timeout_s,
                    "With --gpus: seconds a worker may take to report its GPU (default 60)");
    cmd->add_option("--worker-command", opts->worker_command,
                    "Test hook: run this instead of `roofline worker`")
        ->group("");
    cmd->add_flag("--corrupt-result-for-test", opts->corrupt_for_test,
                  "Test hook: corrupt one output element; verification must report 'incorrect'")
        ->group("");
    cmd->callback([opts, &global] { run_analyze(*opts, global); });
}

} // namespace roofline::cli
