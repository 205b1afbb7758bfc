#include "roofline/core/gemm.hpp"

#include <gtest/gtest.h>

using namespace roofline;

namespace {
double ai(std::int64_t m, std::int64_t n, std::int64_t k, precision_id p) {
    return compute_traffic(make_problem(m, n, k, p)).arithmetic_intensity();
}
} // namespace

TEST(gemm_traffic, issue_examples_4096_cubed) {
    EXPECT_NEAR(ai(4096, 4096, 4096, precision_id::fp16), 1365.3333, 1e-3);
    EXPECT_NEAR(ai(4096, 4096, 4096, precision_id::fp8_e4m3), 2048.0, 1e-9);
    EXPECT_NEAR(ai(4096, 4096, 4096, precision_id::nvfp4), 2621.44, 1e-9);
    EXPECT_NEAR(ai(4096, 4096, 4096, precision_id::int8), 1365.3333, 1e-3);
}

TEST(gemm_traffic, hand_checked_bytes) {
    // FP16 4096^3: A, B, D each 4096*4096*2 bytes.
    const auto t = compute_traffic(make_problem(4096, 4096, 4096, precision_id::fp16));
    EXPECT_EQ(to_string(t.flops), "137438953472");
    EXPECT_EQ(to_string(t.bytes()), "100663296");
    // NVFP4: 4096*4096*4 bits + 4096*256 scales * 8 bits = 8 MiB + 1 MiB per operand.
    const auto n = compute_traffic(make_problem(4096, 4096, 4096, precision_id::nvfp4));
    EXPECT_EQ(to_string(n.a_bytes), "9437184");
    EXPECT_EQ(to_string(n.d_bytes), "33554432");
    // MXFP8: 8 bits + one scale per 32 → 8.25 bits.
    const auto x = compute_traffic(make_problem(64, 64, 64, precision_id::mxfp8));
    EXPECT_EQ(to_string(x.a_bytes), std::to_string(64 * 64 + 64 * 2));
}

TEST(gemm_traffic, decode_shape_m1) {
    // 1x4096x4096 FP16: weights dominate; AI ~ 1 FLOP/byte.
    const auto t = compute_traffic(make_problem(1, 4096, 4096, precision_id::fp16));
    EXPECT_EQ(to_string(t.a_bytes), "8192");
    EXPECT_EQ(to_string(t.b_bytes), "33554432");
    EXPECT_EQ(to_string(t.d_bytes), "8192");
    EXPECT_NEAR(t.arithmetic_intensity(), 2.0 * 4096 * 4096 / (8192 + 33554432 + 8192), 1e-9);
    EXPECT_LT(t.arithmetic_intensity(), 1.0);
}

TEST(gemm_traffic, odd_sizes_round_up_per_operand) {
    // INT4 3x3: 9 elements * 4 bits = 36 bits -> 5 bytes.
    EXPECT_EQ(to_string(operand_bytes(precision_id::int4, 3, 3)), "5");
    // NVFP4 1x17: 17*4 = 68 bits + 2 started blocks * 8 = 84 bits -> 11 bytes.
    EXPECT_EQ(to_string(operand_bytes(precision_id::nvfp4, 1, 17)), "11");
}

TEST(gemm_traffic, mixed_precision_w4a16) {
    // W4A16: A (activations) FP16, B (weights) INT4, out FP16.
    const auto p = make_problem(16, 4096, 4096, precision_id::fp16, precision_id::fp16, precision_id::int4);
    EXPECT_EQ(p.out, precision_id::fp16);
    const auto t = compute_traffic(p);
    EXPECT_EQ(to_string(t.a_bytes), std::to_string(16 * 4096 * 2));
    // The weights plus one FP16 scale per group of 128 along K (issue 12: the scales were missing).
    EXPECT_EQ(to_string(t.b_bytes), std::to_string(4096 * 4096 / 2 + 4096 * (4096 / 128) * 2));
    EXPECT_EQ(to_string(t.d_bytes), std::to_string(16 * 4096 * 2));
    EXPECT_EQ(p.precision_label(), "FP16xINT4->FP16");
}

TEST(gemm_traffic, fp8_with_fp32_output_and_beta) {
    const auto p = make_problem(4096, 4096, 4096, precision_id::fp8_e4m3, {}, {}, precision_id::fp32, 1.0);
    const auto t = compute_traffic(p);
    EXPECT_EQ(to_string(t.c_bytes), std::to_string(4096LL * 4096 * 4));
    EXPECT_EQ(t.c_bytes, t.d_bytes);
    // 2*4096^3 / (16M + 16M + 64M + 64M)
    EXPECT_NEAR(t.arithmetic_intensity(), 2.0 * 4096 * 4096 * 4096 / (4096.0 * 4096 * 10), 1e-9);
}

TEST(gemm_traffic, largest_shape_does_not_overflow) {
    const auto p = make_problem(max_dimension, max_dimension, max_dimension, precision_id::fp64);
    validate(p);
    const auto t = compute_traffic(p);
    const count_t d = max_dimension;
    EXPECT_EQ(t.flops, count_t{2} * d * d * d);
    EXPECT_EQ(t.a_bytes, d * d * 8);
    EXPECT_GT(to_double(t.flops), 1.9e28);
    EXPECT_EQ(to_string(count_t{2} * d * d * d), "19807040600895968300706562046");
}

TEST(gemm_problem, validation_names_fields) {
    auto p = make_problem(0, 1, 1, precision_id::fp16);
    try {
        validate(p);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("M must be an integer in [1, 2147483647]"), std::string::npos);
    }
    p = make_problem(1, 1, max_dimension + 1, precision_id::fp16);
    EXPECT_THROW(validate(p), std::invalid_argument);
    p = make_problem(1, 1, 1, precision_id::int32);
    try {
        validate(p);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("a_precision"), std::string::npos);
    }
}
