#include "roofline/core/gemm.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace roofline {

double to_double(count_t v) noexcept {
    return static_cast<double>(v);
}

std::string to_string(count_t v) {
    if (v == 0) {
        return "0";
    }
    std::string out;
    while (v != 0) {
        out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    std::ranges::reverse(out);
    return out;
}

precision_id gemm_problem::c_precision() const noexcept {
    return out == precision_id::fp8_e4m3 || out == precision_id::fp8_e5m2 ? precision_id::bf16 : out;
}

std::string gemm_problem::shape_label() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
}

std::string gemm_problem::precision_label() const {
    const auto& ia = info(a);
    if (a == b && info(a).default_output == out && !reads_c()) {
        return std::string(ia.name);
    }
    // W4A16 chosen alone: its activations and output are its default_output ("W4A16", not
    // "FP16xW4A16->FP16").
    if (info(b).weight_only && a == info(b).default_output && out == a && !reads_c()) {
        return std::string(info(b).name);
    }
    std::string label(ia.name);
    if (b != a) {
        label += "x" + std::string(info(b).name);
    }
    label += "->" + std::string(info(out).name);
    return label;
}

gemm_problem make_problem(std::int64_t m, std::int64_t n, std::int64_t k, precision_id p,
                          std::optional<precision_id> a, std::optional<precision_id> b,
                          std::optional<precision_id> out, double beta) {
    gemm_problem g;
    g.m = m;
    g.n = n;
    g.k = k;
    // A weight-only format names the weights (B); the activations (A) are its default output's format.
    g.a = a.value_or(info(p).weight_only ? info(p).default_output : p);
    g.b = b.value_or(p);
    // With mixed inputs (W4A16: INT4 weights, FP16 activations) the wider input decides the output:
    // the GEMM computes in the activations' format.
    const auto wider = info(g.a).bits_per_element() >= info(g.b).bits_per_element() ? g.a : g.b;
    g.out = out.value_or(a || b ? info(wider).default_output : info(p).default_output);
    g.beta = beta;
    return g;
}

void validate(const gemm_problem& p) {
    const auto check_dim = [](std::int64_t v, const char* field) {
        if (v < 1 || v > max_dimension) {
            throw std::invalid_argument(std::string(field) + " must be an integer in [1, 2147483647] (got " +
                                        std::to_string(v) + ")");
        }
    };
    check_dim(p.m, "M");
    check_dim(p.n, "N");
    check_dim(p.k, "K");
    const auto check_input = [](precision_id id, const char* field) {
        if (!info(id).gemm_input) {
            throw std::invalid_argument(
                std::string(field) + " " + std::string(info(id).name) +
                " is an accumulator format, not a GEMM input; valid: " + valid_precision_names(true));
        }
    };
    check_input(p.a, "a_precision");
    check_input(p.b, "b_precision");
    if (p.group_size < 1 || p.group_size > max_dimension) {
        throw std::invalid_argument("group_size must be an integer in [1, 2147483647] (got " +
                                    std::to_string(p.group_size) + ")");
    }
}

count_t operand_bytes(precision_id p, std::int64_t rows, std::int64_t k_dim) {
    const auto& pi = info(p);
    const auto r = static_cast<count_t>(rows);
    const auto kd = static_cast<count_t>(k_dim);
    count_t bits = r * kd * pi.storage_bits;
    if (pi.scale_block != 0) {
        // One scale per started block of scale_block elements along K, in every row.
        const count_t blocks_per_row = (kd + pi.scale_block - 1) / pi.scale_block;
        bits += r * blocks_per_row * pi.scale_bits;
    }
    return (bits + 7) / 8;
}

double gemm_traffic::arithmetic_intensity() const noexcept {
    const auto b = bytes();
    return b == 0 ? 0.0 : to_double(flops) / to_double(b);
}

gemm_traffic compute_traffic(const gemm_problem& p) {
    gemm_traffic t;
    t.flops = count_t{2} * static_cast<count_t>(p.m) * static_cast<count_t>(p.n) * static_cast<count_t>(p.k);
    t.a_bytes = operand_bytes(p.a, p.m, p.k);
    // B is K×N; its block scales run along K too, so it counts as N rows of K.
    t.b_bytes = operand_bytes(p.b, p.n, p.k);
    if (p.has_group_scales()) {
        // One 16-bit scale per started group along K in every row of the INT4 operand.
        const auto groups = (static_cast<count_t>(p.k) + static_cast<count_t>(p.group_size) - 1) /
                            static_cast<count_t>(p.group_size);
        const auto rows = static_cast<count_t>(p.a == precision_id::int4 ? p.m : p.n);
        (p.a == precision_id::int4 ? t.a_bytes : t.b_bytes) += rows * groups * (group_scale_bits / 8);
    }
    t.d_bytes = operand_bytes(p.out, p.m, p.n);
    t.c_bytes = p.reads_c() ? operand_bytes(p.c_precision(), p.m, p.n) : 0;
    return t;
}

} // namespace roofline
