// `roofline spot`: any kernel on the roofline from its FLOPs and bytes (or an op and its sizes) and a
// measured time.
#include "cli_common.hpp"
#include "commands.hpp"
#include "roofline/core/workload/workload_report.hpp"
#include "workload_cli.hpp"

#include <iostream>
#include <memory>

namespace roofline::cli {
namespace {

struct spot_options {
    std::string op = "custom";
    std::string flops, bytes, time;
    std::string m, n, k, elements, inputs = "2", flops_per_element = "1", rows, cols;
    std::string batch = "1", heads, kv_heads, q_len, kv_len, head_dim;
    bool causal = false;
    std::string precision = "BF16";
    std::string hardware;
    std::string format = "table";
};

std::int64_t optional_dimension(const std::string& text, const char* field) {
    return text.empty() ? 0 : parse_dimension(text, field);
}

void run_spot(const spot_options& o, const global_options& global) {
    const auto format = parse_format(o.format);
    workload::spot_request r;
    try {
        r.op = workload::parse_spot_op(o.op);
        r.precision = parse_precision(o.precision);
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }
    if (o.time.empty()) {
        throw usage_error("--time is required: the kernel's measured time (e.g. 12.5us from Nsight Systems)");
    }
    r.time_s = parse_duration(o.time, "--time");
    if (!o.flops.empty()) {
        r.flops = parse_number(o.flops, "--flops");
    }
    if (!o.bytes.empty()) {
        r.bytes = parse_number(o.bytes, "--bytes");
    }
    auto& z = r.sizes;
    z.m = optional_dimension(o.m, "--m");
    z.n = optional_dimension(o.n, "--n");
    z.k = optional_dimension(o.k, "--k");
    z.elements = optional_dimension(o.elements, "--elements");
    z.inputs = parse_dimension(o.inputs, "--inputs");
    z.flops_per_element = parse_number(o.flops_per_element, "--flops-per-element");
    z.rows = optional_dimension(o.rows, "--rows");
    z.cols = optional_dimension(o.cols, "--cols");
    z.batch = parse_dimension(o.batch, "--batch");
    z.heads = optional_dimension(o.heads, "--heads");
    z.kv_heads = optional_dimension(o.kv_heads, "--kv-heads");
    z.q_len = optional_dimension(o.q_len, "--q-len");
    z.kv_len = optional_dimension(o.kv_len, "--kv-len");
    z.head_dim = optional_dimension(o.head_dim, "--head-dim");
    z.causal = o.causal;
    const auto registry = load_registry(global.data_dir);
    // No GPU is needed: the time comes from the user. The default roofs are the local GPU's when present.
    const auto gpu = open_gpu_context(registry, o.hardware, o.hardware.empty() ? false : true, "b10");
    workload::spot_result s;
    try {
        s = workload::spot_check(r, *gpu.hw);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--") + e.what());
    }
    switch (format) {
    case output_format::json:
        std::cout << workload::spot_document(s, *gpu.hw).dump(2) << '\n';
        break;
    case output_format::csv:
        std::cout << workload::spot_csv(s);
        break;
    case output_format::table:
        std::cout << workload::spot_table(s, *gpu.hw);
        break;
    }
}

} // namespace

void add_spot_command(CLI::App& app, const global_options& global) {
    auto o = std::make_shared<spot_options>();
    auto* cmd =
        app.add_subcommand("spot", "Kernel spot check: a kernel you timed (FLOPs and bytes, or an op and "
                                   "its sizes) against the roofline");
    cmd->add_option("--op", o->op,
                    "custom (give --flops and --bytes; default), gemm, elementwise, softmax, "
                    "layernorm, rmsnorm or attention");
    cmd->add_option("--time", o->time, "Measured kernel time: 12.5us, 1.2ms, 3e-5 (seconds) (required)");
    cmd->add_option("--flops", o->flops, "FLOPs the kernel does (custom; overrides the op's count)");
    cmd->add_option("--bytes", o->bytes,
                    "Bytes it moves to and from device memory (custom; overrides the count)");
    cmd->add_option("-p,--precision", o->precision, "Storage precision of the operands (default BF16)");
    cmd->add_option("--m", o->m, "gemm: M");
    cmd->add_option("--n", o->n, "gemm: N");
    cmd->add_option("--k", o->k, "gemm: K");
    cmd->add_option("--elements", o->elements, "elementwise: elements");
    cmd->add_option("--inputs", o->inputs, "elementwise: operands read (default 2)");
    cmd->add_option("--flops-per-element", o->flops_per_element,
                    "elementwise: FLOPs per element (default 1)");
    cmd->add_option("--rows", o->rows, "softmax, layernorm, rmsnorm: rows");
    cmd->add_option("--cols", o->cols, "softmax, layernorm, rmsnorm: columns (the normalised dimension)");
    cmd->add_option("--batch", o->batch, "attention: batch (default 1)");
    cmd->add_option("--heads", o->heads, "attention: query heads");
    cmd->add_option("--kv-heads", o->kv_heads, "attention: KV heads (default: heads)");
    cmd->add_option("--q-len", o->q_len, "attention: query length");
    cmd->add_option("--kv-len", o->kv_len, "attention: key/value length");
    cmd->add_option("--head-dim", o->head_dim, "attention: head dimension");
    cmd->add_flag("--causal", o->causal, "attention: causal mask (half the FLOPs)");
    cmd->add_option("--hardware", o->hardware,
                    "Registry key for the roofs (default: the local GPU's entry, else b10)");
    cmd->add_option("--format", o->format, "table, json or csv");
    cmd->callback([o, &global] { run_spot(*o, global); });
}

} // namespace roofline::cli
