// The GEMM problem and its compulsory traffic: D(M×N) = alpha·A(M×K)·B(K×N) + beta·C(M×N).
#pragma once

#include "roofline/core/limits.hpp"
#include "roofline/core/precision.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace roofline {

// Counts reach 2·(2^31−1)^3 ≈ 2^94 FLOPs: wider than 64 bits, so they are kept in 128-bit integers.
__extension__ using count_t = unsigned __int128;

[[nodiscard]] double to_double(count_t v) noexcept;
[[nodiscard]] std::string to_string(count_t v);

inline constexpr std::int64_t default_group_size = 128; // AWQ / GPTQ / Machete's usual INT4 group
inline constexpr unsigned group_scale_bits = 16;        // one FP16/BF16 scale per group

struct gemm_problem {
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    precision_id a = precision_id::fp16;
    precision_id b = precision_id::fp16;
    precision_id out = precision_id::fp16;
    // beta ≠ 0: the GEMM reads C (same shape and precision as D) and adds it; that adds C's bytes.
    double beta = 0.0;
    // Mixed-input GEMMs with INT4 weights (W4A16, as CUTLASS example 55 and Machete run them) carry one scale
    // in the activations' 16-bit format per group_size weights along K.
    std::int64_t group_size = default_group_size;

    [[nodiscard]] bool reads_c() const noexcept { return beta != 0.0; }
    // The INT4 operand of a mixed-input GEMM has group scales; pure INT4 x INT4 (Ampere, Ada) has none.
    [[nodiscard]] bool has_group_scales() const noexcept {
        return (a == precision_id::int4) != (b == precision_id::int4);
    }
    // C is read in D's format, except that an FP8 D takes a 16-bit C (cuBLASLt: C = BF16 or FP16 when D is
    // FP8; the engine passes BF16).
    [[nodiscard]] precision_id c_precision() const noexcept;
    // Display precision of a point: "FP16", or "FP8_E4M3×FP8_E5M2→FP32" when operands differ from defaults.
    [[nodiscard]] std::string precision_label() const;
    [[nodiscard]] std::string shape_label() const; // "4096x4096x4096"
};

// A problem where A and B take `p` and the output its default; operands may be overridden.
[[nodiscard]] gemm_problem make_problem(std::int64_t m, std::int64_t n, std::int64_t k, precision_id p,
                                        std::optional<precision_id> a = {},
                                        std::optional<precision_id> b = {},
                                        std::optional<precision_id> out = {}, double beta = 0.0);

// Throws std::invalid_argument naming the field ("M", "N", "K", "a_precision", ...) and the allowed range.
void validate(const gemm_problem& p);

struct gemm_traffic {
    count_t flops = 0; // 2·M·N·K; integer GEMMs count multiply and add the same way
    count_t a_bytes = 0;
    count_t b_bytes = 0;
    count_t c_bytes = 0; // 0 unless beta ≠ 0
    count_t d_bytes = 0;

    [[nodiscard]] count_t bytes() const noexcept { return a_bytes + b_bytes + c_bytes + d_bytes; }
    [[nodiscard]] double arithmetic_intensity() const noexcept; // FLOP per byte
};

// Bytes of a rows×cols operand stored in `p`, block scales (along the K dimension, `k_dim` of them per row)
// included, rounded up to whole bytes for the operand.
[[nodiscard]] count_t operand_bytes(precision_id p, std::int64_t rows, std::int64_t k_dim);

[[nodiscard]] gemm_traffic compute_traffic(const gemm_problem& p);

} // namespace roofline
