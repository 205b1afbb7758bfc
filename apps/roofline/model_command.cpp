// `roofline model PRESET|CONFIG.json --tokens N`: the GEMMs of a transformer's forward pass on the roofline,
// per precision scheme; weight GEMMs measured when a GPU is present.
#include "cli_common.hpp"
#include "commands.hpp"
#include "roofline/core/workload/workload_report.hpp"
#include "workload_cli.hpp"

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

namespace roofline::cli {
namespace {

struct model_options {
    std::string model;
    std::string tokens;
    std::string phase = "prefill";
    std::string batch = "1";
    std::string precision = "BF16,FP8";
    std::string hardware;
    std::string format = "table";
    bool predict_only = false;
    bool fused_qkv = false;
    bool fused_gate_up = false;
    std::size_t iterations = 10;
};

// A preset key, or a file: a model's own config.json or a preset-format file (with "config" and "source").
workload::model_config resolve_model(const std::string& arg) {
    if (const auto* p = workload::find_preset(arg)) {
        return *p;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(arg, ec)) {
        throw usage_error("model '" + arg + "' is neither a preset (" + workload::valid_preset_keys() +
                          ") nor a readable config.json");
    }
    const auto text = read_input(arg, "model");
    const auto name = std::filesystem::path(arg).filename().string();
    if (text.find("\"config\"") != std::string::npos && text.find("\"source\"") != std::string::npos) {
        return workload::parse_preset(text, name);
    }
    return workload::parse_model_config(text, name);
}

std::string problem_key(const gemm_problem& p) {
    return p.shape_label() + "|" + std::string(to_string(p.a)) + "|" + std::string(to_string(p.b)) + "|" +
           std::string(to_string(p.out));
}

void run_model(const model_options& o, const global_options& global) {
    const auto format = parse_format(o.format);
    if (o.tokens.empty()) {
        throw usage_error(
            "--tokens is required: prompt tokens per sequence (prefill) or cached tokens (decode)");
    }
    workload::step_shape shape;
    try {
        shape.kind = workload::parse_phase(o.phase);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--phase: ") + e.what());
    }
    shape.sequence = parse_dimension(o.tokens, "--tokens");
    shape.batch = parse_dimension(o.batch, "--batch");
    shape.fused_qkv = o.fused_qkv;
    shape.fused_gate_up = o.fused_gate_up;
    try {
        workload::validate(shape);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--") + e.what());
    }
    std::vector<workload::precision_scheme> schemes;
    try {
        schemes = workload::parse_precision_schemes(o.precision);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--precision: ") + e.what());
    }
    if (o.iterations < 1 || o.iterations > 100000) {
        throw usage_error("--iterations must be an integer in [1, 100000]");
    }
    const auto config = resolve_model(o.model);
    const auto workload = workload::derive_gemms(config, shape);
    const auto registry = load_registry(global.data_dir);
    auto gpu = open_gpu_context(registry, o.hardware, o.predict_only, "b10");

    std::vector<workload::model_estimate> estimates;
    for (const auto& s : schemes) {
        estimates.push_back(workload::estimate_model(workload, s, *gpu.hw));
    }
    if (gpu.backend) {
        // Weight GEMMs only: attention's products are batched GEMMs, which the engine does not run. Shapes
        // that repeat (gate and up) are measured once.
        measure_options mopt;
        mopt.samples = o.iterations;
        mopt.min_samples = std::min<std::size_t>(mopt.min_samples, o.iterations);
        std::size_t total = 0;
        for (const auto& e : estimates) {
            total += static_cast<std::size_t>(std::ranges::count_if(
                e.gemms, [](const auto& g) { return g.gemm.role == workload::gemm_role::weight; }));
        }
        progress_line progress(total);
        std::map<std::string, analysis_point> done;
        std::size_t step = 0;
        for (auto& e : estimates) {
            for (auto& g : e.gemms) {
                if (g.gemm.role != workload::gemm_role::weight) {
                    continue;
                }
                progress.step(step++, e.scheme.name + " " + g.gemm.name);
                const auto key = problem_key(g.problem);
                auto it = done.find(key);
                if (it == done.end()) {
                    auto pt = gpu.backend->measure(g.problem, mopt);
                    pt.hardware_key = gpu.hw->key;
                    pt.roof = estimate(*gpu.hw, pt.problem, pt.traffic);
                    it = done.emplace(key, std::move(pt)).first;
                }
                g.measured = it->second;
            }
            workload::update_totals(e, workload);
        }
    }
    const std::string backend_note =
        gpu.backend ? "gpu: " + gpu.backend->device().name : "prediction-only: " + gpu.why_no_gpu;
    switch (format) {
    case output_format::json:
        std::cout << workload::model_document(workload, estimates, *gpu.hw, backend_note).dump(2) << '\n';
        break;
    case output_format::csv:
        std::cout << workload::model_csv(estimates);
        break;
    case output_format::table:
        std::cout << workload::model_table(workload, estimates, *gpu.hw);
        std::cout << "(" << backend_note << ")\n";
        break;
    }
}

} // namespace

void add_model_command(CLI::App& app, const global_options& global) {
    auto o = std::make_shared<model_options>();
    auto* cmd = app.add_subcommand(
        "model", "The GEMMs of a transformer's forward pass (a preset or a config.json) on the roofline");
    cmd->add_option("model", o->model,
                    "Preset key (" + workload::valid_preset_keys() + ") or a config.json path")
        ->required();
    cmd->add_option("--tokens", o->tokens,
                    "Prefill: prompt tokens per sequence; decode: tokens already in the KV cache (required)");
    cmd->add_option("--phase", o->phase,
                    "prefill (GEMM rows = batch x tokens; default) or decode (rows = batch)");
    cmd->add_option("--batch", o->batch, "Sequences in the step (default 1)");
    cmd->add_option(
        "-p,--precision", o->precision,
        "Comma list of schemes: BF16, FP16, FP8, W8A8, W4A16, W4A8, W8A16, NVFP4, or WEIGHTS/ACTIVATIONS "
        "such as INT4/BF16 (default BF16,FP8)");
    cmd->add_option("--hardware", o->hardware,
                    "Registry key for the roofs (default: the local GPU's entry, else b10)");
    cmd->add_option("--format", o->format, "table, json or csv");
    cmd->add_flag("--predict-only", o->predict_only, "Do not measure even when a GPU is present");
    cmd->add_flag("--fused-qkv", o->fused_qkv, "One fused QKV projection instead of three");
    cmd->add_flag("--fused-gate-up", o->fused_gate_up, "One fused gate+up projection instead of two");
    cmd->add_option("--iterations", o->iterations, "Timed samples per measured GEMM (default 10)");
    cmd->callback([o, &global] { run_model(*o, global); });
}

} // namespace roofline::cli
