#include "roofline/core/workload/spot_check.hpp"

#include "roofline/core/report.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace roofline::workload {
namespace {

constexpr std::array op_names{"custom",    "gemm",    "elementwise", "softmax",
                              "layernorm", "rmsnorm", "attention"};

void need(std::int64_t v, const char* field, const char* op) {
    if (v < 1 || v > 2147483647) {
        throw std::invalid_argument(std::string(field) + " must be an integer in [1, 2147483647] for op " +
                                    op + " (got " + std::to_string(v) + ")");
    }
}

std::string duration_text(double s) {
    char buf[48];
    if (s >= 1e-3) {
        std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
    } else {
        std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
    }
    return buf;
}

} // namespace

std::string_view to_string(spot_op o) noexcept {
    return op_names[static_cast<std::size_t>(o)];
}

spot_op parse_spot_op(std::string_view s) {
    std::string l(s);
    std::ranges::transform(l, l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (l == "layer_norm") {
        l = "layernorm";
    } else if (l == "rms_norm") {
        l = "rmsnorm";
    }
    for (std::size_t i = 0; i < op_names.size(); ++i) {
        if (l == op_names[i]) {
            return static_cast<spot_op>(i);
        }
    }
    throw std::invalid_argument("op must be one of custom, gemm, elementwise, softmax, layernorm, rmsnorm, "
                                "attention (got '" +
                                std::string(s.substr(0, 40)) + "')");
}

op_count count_op(const spot_request& r) {
    if (!(r.time_s > 0) || !std::isfinite(r.time_s)) {
        throw std::invalid_argument(
            "time_s must be a positive number of seconds (the kernel's measured time)");
    }
    const auto& z = r.sizes;
    const double b = info(r.precision).bits_per_element() / 8.0;
    op_count c;
    c.roof_precision = r.precision;
    auto d = [](std::int64_t v) { return static_cast<double>(v); };
    switch (r.op) {
    case spot_op::custom:
        if (!r.flops || !(*r.flops >= 0)) {
            throw std::invalid_argument("flops is required (a number >= 0) when no op is given");
        }
        if (!r.bytes || !(*r.bytes > 0)) {
            throw std::invalid_argument("bytes is required (a number > 0) when no op is given");
        }
        c.formula = "as given";
        break;
    case spot_op::gemm:
        need(z.m, "m", "gemm");
        need(z.n, "n", "gemm");
        need(z.k, "k", "gemm");
        c.flops = 2 * d(z.m) * d(z.n) * d(z.k);
        c.bytes = (d(z.m) * d(z.k) + d(z.k) * d(z.n) + d(z.m) * d(z.n)) * b;
        c.formula = "2*M*N*K FLOPs; (M*K + K*N + M*N) elements moved once";
        break;
    case spot_op::elementwise:
        need(z.elements, "elements", "elementwise");
        need(z.inputs, "inputs", "elementwise");
        if (!(z.flops_per_element >= 0)) {
            throw std::invalid_argument("flops_per_element must be >= 0");
        }
        c.flops = d(z.elements) * z.flops_per_element;
        c.bytes = d(z.elements) * d(z.inputs + 1) * b;
        c.formula = "elements*flops_per_element FLOPs; inputs+1 tensors of elements moved once";
        c.roof_precision = precision_id::fp32;
        break;
    case spot_op::softmax:
    case spot_op::layernorm:
    case spot_op::rmsnorm: {
        const char* name =
            r.op == spot_op::softmax ? "softmax" : (r.op == spot_op::layernorm ? "layernorm" : "rmsnorm");
        need(z.rows, "rows", name);
        need(z.cols, "cols", name);
        const double per = r.op == spot_op::softmax ? 5 : (r.op == spot_op::layernorm ? 7 : 4);
        const double params = r.op == spot_op::softmax ? 0 : (r.op == spot_op::layernorm ? 2 : 1);
        c.flops = per * d(z.rows) * d(z.cols);
        c.bytes = (2 * d(z.rows) * d(z.cols) + params * d(z.cols)) * b;
        c.formula = std::to_string(static_cast<int>(per)) +
                    " FLOPs per element; input read once, output written once" +
                    (params == 0 ? "" : (params == 1 ? ", gamma read once" : ", gamma and beta read once"));
        c.roof_precision = precision_id::fp32;
        break;
    }
    case spot_op::attention: {
        need(z.batch, "batch", "attention");
        need(z.heads, "heads", "attention");
        need(z.q_len, "q_len", "attention");
        need(z.kv_len, "kv_len", "attention");
        need(z.head_dim, "head_dim", "attention");
        const auto kvh = z.kv_heads > 0 ? z.kv_heads : z.heads;
        if (z.heads % kvh != 0) {
            throw std::invalid_argument("kv_heads must divide heads");
        }
        c.flops =
            4 * d(z.batch) * d(z.heads) * d(z.q_len) * d(z.kv_len) * d(z.head_dim) * (z.causal ? 0.5 : 1.0);
        c.bytes = d(z.batch) * (2 * d(z.heads) * d(z.q_len) + 2 * d(kvh) * d(z.kv_len)) * d(z.head_dim) * b;
        c.formula = std::string("4*B*H*Lq*Lkv*D FLOPs") + (z.causal ? " x 0.5 (causal)" : "") +
                    "; Q, K, V, O moved once (fused)";
        break;
    }
    }
    if (r.op != spot_op::custom) {
        if (r.flops) {
            c.flops = *r.flops;
            c.formula += " (FLOPs overridden)";
        }
        if (r.bytes) {
            c.bytes = *r.bytes;
            c.formula += " (bytes overridden)";
        }
    } else {
        c.flops = *r.flops;
        c.bytes = *r.bytes;
    }
    if (!(c.bytes > 0)) {
        throw std::invalid_argument("bytes must be > 0");
    }
    return c;
}

spot_result spot_check(const spot_request& r, const hardware_entry& hw) {
    spot_result s;
    s.request = r;
    s.counts = count_op(r);
    s.hardware_key = hw.key;
    s.roof = roof_for(hw, s.counts.roof_precision);
    s.ai = s.counts.flops / s.counts.bytes;
    s.achieved_flops_per_s = s.counts.flops / r.time_s;
    s.achieved_bytes_per_s = s.counts.bytes / r.time_s;
    const double bw = s.roof.bandwidth_bytes_per_s;
    const double memory_time = bw > 0 ? s.counts.bytes / bw : 0;
    if (s.roof.available) {
        s.attainable_flops_per_s = std::min(s.roof.peak_flops_per_s, s.ai * bw);
        s.bound = s.ai < s.roof.ridge_ai ? bound_kind::memory : bound_kind::compute;
        s.roof_time_s = std::max(s.counts.flops / s.roof.peak_flops_per_s, memory_time);
    } else if (bw > 0) {
        // No compute roof (unsupported or unpublished): the memory roof alone still bounds the kernel.
        s.attainable_flops_per_s = s.ai * bw;
        s.bound = bound_kind::memory;
        s.roof_time_s = memory_time;
    }
    if (s.roof_time_s > 0) {
        s.fraction_of_roof = s.roof_time_s / r.time_s;
        s.headroom = r.time_s / s.roof_time_s;
    }
    const std::string bound = s.bound == bound_kind::compute ? "compute" : "memory";
    if (!s.fraction_of_roof) {
        s.message = "no roof applies on " + hw.key + " for " +
                    std::string(to_string(s.counts.roof_precision)) + ": " + s.roof.reason;
    } else if (*s.fraction_of_roof > 1.05) {
        s.message = "faster than the roof allows (" + format_si(s.achieved_flops_per_s, "FLOP/s") +
                    "): the FLOP or byte count is too high, the time too short, or operands came from cache "
                    "rather than device memory";
    } else {
        const double pct = *s.fraction_of_roof * 100;
        s.message = bound + "-bound at " + std::to_string(static_cast<int>(std::lround(pct))) +
                    "% of the roof; the roof allows " + duration_text(s.roof_time_s) +
                    (pct >= 80 ? " — little left to gain"
                               : (s.bound == bound_kind::memory
                                      ? ": look at coalescing, vector width and extra passes over memory"
                                      : ": look at tensor-core use, tile shape and occupancy"));
        if (!s.roof.available) {
            s.message += " (memory roof only: " + s.roof.reason + ")";
        }
    }
    return s;
}

} // namespace roofline::workload
