// `roofline node check`: the same GEMMs on every GPU of this node, alone and all at once, side by side, with
// the outliers and why (roofline/core/node_check.hpp; docs/THEORY.md, "The node check").
#include "cli_common.hpp"
#include "commands.hpp"
#include "gpus_cli.hpp"
#include "roofline/core/analysis.hpp"
#include "roofline/core/json.hpp"
#include "roofline/core/node_check.hpp"
#include "roofline/core/report.hpp"

#ifdef ROOFLINE_HAVE_SERVER
#include "roofline/server/node_check.hpp"
#endif

#include <cstdio>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace roofline::cli {
namespace {

struct node_options {
    std::string gpus = "all";
    std::string shape = "8192x8192x8192";
    std::string precision = "BF16";
    std::size_t iterations = 20;
    std::string pacing = "continuous";
    double telemetry_seconds = 1.0;
    std::string hardware;
    std::string format = "table";
    double slow_pct = 3.0;
    double precision_timeout_s = 180;
    double device_timeout_s = 60;
    std::string worker_command;
};

std::string cell(const std::optional<double>& v, int decimals, const char* unit = "") {
    if (!v) {
        return "-";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f%s", decimals, *v, unit);
    return buf;
}

std::string pad(std::string s, std::size_t w) {
    if (s.size() < w) {
        s.append(w - s.size(), ' ');
    }
    return s;
}

// One line per GPU: identity, then each phase's rate, clock, power, temperature.
void print_table(const node_report& r) {
    std::cout << pad("GPU", 5) << pad("PCI bus id", 18) << pad("serial", 15) << pad("alone TFLOP/s", 15)
              << pad("together", 10) << pad("SM MHz", 12) << pad("power W", 14) << pad("temp C", 9)
              << "UUID\n";
    for (const auto& g : r.gpus) {
        const auto both = [](const std::optional<double>& a, const std::optional<double>& b, int d) {
            return cell(a, d) + "/" + cell(b, d);
        };
        std::cout << pad(std::to_string(g.index), 5) << pad(g.pci_bus_id.empty() ? "-" : g.pci_bus_id, 18)
                  << pad(g.serial.empty() ? "-" : g.serial, 15) << pad(cell(g.alone.tflops(), 1), 15)
                  << pad(cell(g.together.tflops(), 1), 10)
                  << pad(both(g.alone.sm_clock_mhz, g.together.sm_clock_mhz, 0), 12)
                  << pad(both(g.alone.power_w, g.together.power_w, 0), 14)
                  << pad(both(g.alone.temperature_c, g.together.temperature_c, 0), 9)
                  << (g.uuid.empty() ? "-" : g.uuid) << '\n';
    }
    const auto spread = [](const char* name, const node_spread& s) {
        std::cout << "  " << name << ": " << s.gpus << " GPUs, median " << cell(s.median_tflops, 1)
                  << " TFLOP/s, min " << cell(s.min_tflops, 1) << ", max " << cell(s.max_tflops, 1)
                  << ", spread " << cell(s.spread_pct, 1, "%") << '\n';
    };
    std::cout << "(SM MHz, power, temp: alone/together)\nspread\n";
    spread("alone", r.alone);
    spread("together", r.together);
    if (r.outliers.empty()) {
        std::cout << "no outliers (a GPU is one when " << cell(r.thresholds.slow_pct, 1, "%")
                  << " or more below the others' median)\n";
        return;
    }
    std::cout << "outliers\n";
    for (const auto& o : r.outliers) {
        std::string reasons;
        for (const auto& x : o.reasons) {
            reasons += (reasons.empty() ? "" : ", ") + x;
        }
        std::cout << "  GPU " << o.index << " " << o.phase << " [" << reasons << "]: " << o.message << '\n';
    }
}

#ifdef ROOFLINE_HAVE_SERVER
void run_node_check_command(const node_options& o, const global_options& global) {
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    parse_shape(o.shape, m, n, k);
    const auto format = parse_format(o.format);
    if (format == output_format::csv) {
        throw usage_error("--format: table or json (the node check has no CSV form)");
    }
    if (o.iterations < 1 || o.iterations > max_iterations) {
        throw usage_error("--iterations must be an integer in [1, " + std::to_string(max_iterations) + "]");
    }
    if (!(o.telemetry_seconds >= 0.0 && o.telemetry_seconds <= max_telemetry_window_s)) {
        throw usage_error("--telemetry-seconds: must be in [0, 10]");
    }
    if (!(o.slow_pct > 0 && o.slow_pct < 100)) {
        throw usage_error("--slow-pct must be in (0, 100)");
    }
    server::node_check_request request;
    try {
        request.options.pacing = parse_sample_pacing(o.pacing);
        for (const auto p : parse_precision_list(o.precision)) {
            auto problem = make_problem(m, n, k, p, std::nullopt, std::nullopt, std::nullopt, 0.0);
            validate(problem);
            request.problems.push_back(problem);
        }
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }
    request.options.samples = o.iterations;
    request.options.min_samples = std::min<std::size_t>(request.options.min_samples, o.iterations);
    request.options.telemetry_window_s = o.telemetry_seconds;
    request.thresholds.slow_pct = o.slow_pct;

    const auto lanes = start_gpu_lanes(parse_gpu_list(o.gpus),
                                       {o.worker_command, o.precision_timeout_s, o.device_timeout_s});
    const auto registry = load_registry(global.data_dir);
    analysis_context ctx;
    ctx.registry = &registry;
    ctx.device = lanes->queue->first_device();
    analysis_request plan_request;
    if (!o.hardware.empty()) {
        plan_request.hardware_key = registry.at(o.hardware, "--hardware").key;
    }
    plan_request.problems = request.problems;
    const auto plan = plan_analysis(ctx, plan_request);
    const auto hw = plan.hardware;
    const auto report = server::run_node_check(
        *lanes->queue, request, [hw](analysis_point& p) { annotate(*hw, p); }, server::nvml_link_reader());
    if (format == output_format::json) {
        auto doc = to_json(report);
        doc["schema_version"] = report_schema_version;
        doc["tool_version"] = tool_version();
        char host[256] = {};
        doc["host"] = gethostname(host, sizeof host - 1) == 0 ? std::string(host) : std::string();
        doc["hardware_key"] = hw->key;
        nlohmann::json labels = nlohmann::json::array();
        for (const auto& p : request.problems) {
            labels.push_back(p.precision_label());
        }
        doc["request"] = {{"M", m},
                          {"N", n},
                          {"K", k},
                          {"precisions", labels},
                          {"iterations", o.iterations},
                          {"pacing", o.pacing}};
        std::cout << doc.dump(2) << '\n';
    } else {
        std::cout << "node check: " << o.shape << " " << o.precision << ", " << o.iterations << " samples, "
                  << o.pacing << ", on " << report.gpus.size()
                  << " GPUs (alone: one after another; together: "
                  << "all at once)\n";
        print_table(report);
    }
}
#endif

} // namespace

void add_node_command(CLI::App& app, const global_options& global) {
    auto* node = app.add_subcommand("node", "The GPUs of this node: `node check` compares them");
    node->require_subcommand(1);
    auto o = std::make_shared<node_options>();
    auto* cmd = node->add_subcommand(
        "check", "The same GEMMs on every GPU alone and all at once: per-GPU TFLOP/s, clocks, power, "
                 "temperature, the spread, and the outliers with why");
    cmd->add_option("--gpus", o->gpus, "'all' (default) or a comma list of ordinals (0,2)");
    cmd->add_option("--shape", o->shape, "MxNxK (default 8192x8192x8192)");
    cmd->add_option("-p,--precision", o->precision, "One precision or a comma list (default BF16)");
    cmd->add_option("--iterations", o->iterations, "Timed samples per GEMM and phase (default 20)");
    cmd->add_option("--pacing", o->pacing,
                    "continuous (default: the clocks sustained under the power limit) or paced");
    cmd->add_option("--telemetry-seconds", o->telemetry_seconds,
                    "NVML watches each GEMM's timed samples at least this long (default 1)");
    cmd->add_option("--hardware", o->hardware, "Registry key for the roofs (default: the GPU's entry)");
    cmd->add_option("--slow-pct", o->slow_pct,
                    "A GPU this many percent below the others' median is an outlier (default 3)");
    cmd->add_option("--format", o->format, "table or json (schemas/node_check.schema.json)");
    cmd->add_option("--precision-timeout", o->precision_timeout_s, "Seconds one GEMM may take (default 180)");
    cmd->add_option("--device-timeout", o->device_timeout_s,
                    "Seconds a worker may take to start (default 60)");
    cmd->add_option("--worker-command", o->worker_command, "Test hook: run this instead of `roofline worker`")
        ->group("");
#ifdef ROOFLINE_HAVE_SERVER
    cmd->callback([o, &global] { run_node_check_command(*o, global); });
#else
    (void)global;
    cmd->callback([] { throw std::runtime_error("this build has no worker supervisor (server library)"); });
#endif
}

} // namespace roofline::cli
