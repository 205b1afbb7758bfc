// Kernel spot check: place any kernel on the roofline from numbers a user has — its FLOPs and bytes, or a
// common operation with its sizes (counted here) — and a measured time (e.g. from Nsight Systems).
//
// Counting conventions (each op states its own in `formula`):
// - gemm M,N,K: 2·M·N·K FLOPs; A, B and D moved once.
// - elementwise N elements with `inputs` operands: N·flops_per_element FLOPs; inputs+1 tensors moved once.
// - softmax rows×cols: 5 FLOPs per element (max, subtract, exp, sum, divide); read once, written once.
// - layernorm rows×cols: 7 FLOPs per element; read once, written once, plus gamma and beta.
// - rmsnorm rows×cols: 4 FLOPs per element; read once, written once, plus gamma.
// - attention batch, heads, kv_heads, q_len, kv_len, head_dim: 4·B·H·Lq·Lkv·D FLOPs (half with causal);
//   Q, K, V and O moved once (a fused kernel such as FlashAttention).
// GEMM and attention run on tensor cores (the precision's roof); elementwise, softmax and the norms on the
// CUDA cores (the FP32 roof, whatever their storage precision).
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/precision.hpp"
#include "roofline/core/roofline_model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roofline::workload {

enum class spot_op : std::uint8_t { custom, gemm, elementwise, softmax, layernorm, rmsnorm, attention };
[[nodiscard]] std::string_view to_string(spot_op o) noexcept;
// Throws std::invalid_argument naming "op" and the valid names.
[[nodiscard]] spot_op parse_spot_op(std::string_view s);

struct spot_sizes {
    std::int64_t m = 0, n = 0, k = 0; // gemm
    std::int64_t elements = 0;        // elementwise
    std::int64_t inputs = 2;          // elementwise: operands read
    double flops_per_element = 1;     // elementwise
    std::int64_t rows = 0, cols = 0;  // softmax, layernorm, rmsnorm
    std::int64_t batch = 1, heads = 0, kv_heads = 0, q_len = 0, kv_len = 0, head_dim = 0; // attention
    bool causal = false;
};

struct spot_request {
    spot_op op = spot_op::custom;
    spot_sizes sizes;
    std::optional<double> flops; // custom (or an override of the count)
    std::optional<double> bytes;
    precision_id precision = precision_id::bf16;
    double time_s = 0; // measured
};

struct op_count {
    double flops = 0;
    double bytes = 0;
    std::string formula;                              // how they were counted, in words
    precision_id roof_precision = precision_id::bf16; // the compute roof that applies
};

// Throws std::invalid_argument naming the missing or bad field ("m", "rows", "time_s", ...).
[[nodiscard]] op_count count_op(const spot_request& r);

struct spot_result {
    spot_request request;
    op_count counts;
    std::string hardware_key;
    precision_roof roof;
    double ai = 0;
    double achieved_flops_per_s = 0;
    double achieved_bytes_per_s = 0;
    double attainable_flops_per_s = 0; // min(peak, AI × bandwidth) at this AI
    bound_kind bound = bound_kind::unsupported;
    std::optional<double> fraction_of_roof; // achieved / attainable
    double roof_time_s = 0;                 // max(FLOPs/peak, bytes/bandwidth): the fastest the roof allows
    double headroom = 0;                    // time_s / roof_time_s: how many times faster the roof allows
    std::string message;                    // one sentence: where it stands and what to look at
};

[[nodiscard]] spot_result spot_check(const spot_request& r, const hardware_entry& hw);

} // namespace roofline::workload
