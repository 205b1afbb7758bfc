// The verification of block-scaled GEMMs, on the CPU: a "device" that reads the scales the way cuBLASLt does
// (the 128x4 tiled layout) is checked against the engine's CPU reference. With the right layout the check
// passes; with a wrong layout planted in the reference it reports the result incorrect, provided the block
// scales are random and non-unit (with every scale 1.0 no layout error can be seen: the last test shows
// that).
#include "block_scaled_reference.hpp"
#include "verify_rules.hpp"

#include <bit>
#include <cstring>
#include <gtest/gtest.h>

namespace roofline::cuda {
namespace {

using kind = scale_layout::kind;

// BF16 output rounding (round to nearest even), what the GEMM's D holds.
double to_bf16(double v) {
    auto bits = std::bit_cast<std::uint32_t>(static_cast<float>(v));
    bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
    return static_cast<double>(std::bit_cast<float>(bits));
}

// The sampled grid as the GPU reads it back: D(i, j) computed the way cuBLASLt reads the operands.
std::vector<double> device_pairs(const block_scaled_matrix& a, const block_scaled_matrix& b, int rows,
                                 int cols) {
    std::vector<double> pairs(2 * static_cast<std::size_t>(rows * cols), 0.0);
    for (int si = 0; si < rows; ++si) {
        for (int sj = 0; sj < cols; ++sj) {
            const auto i = spread_index(si, rows, a.rows);
            const auto j = spread_index(sj, cols, b.rows);
            pairs[2 * static_cast<std::size_t>(si * cols + sj)] = to_bf16(dot(a, i, b, j, kind::tiled_128x4));
        }
    }
    return pairs;
}

constexpr double bf16_tolerance = 2e-2; // gemm_plan's BF16 output rule

struct shapes {
    block_format format;
    std::int64_t m, n, k;
};

class BlockScaledCheck : public ::testing::TestWithParam<shapes> {};

TEST_P(BlockScaledCheck, RightLayoutPassesPlantedWrongLayoutIsIncorrect) {
    const auto s = GetParam();
    const auto a = random_block_scaled(s.format, s.m, s.k, 11);
    const auto b = random_block_scaled(s.format, s.n, s.k, 12);
    const int rows = static_cast<int>(std::min<std::int64_t>(s.m, 64));
    const int cols = static_cast<int>(std::min<std::int64_t>(s.n, 64));
    auto pairs = device_pairs(a, b, rows, cols);

    block_scaled_reference(a, b, rows, cols, pairs, kind::tiled_128x4);
    const auto right = judge_samples(pairs, bf16_tolerance, false, 0, s.m * s.n);
    EXPECT_TRUE(right.passed) << right.why;
    EXPECT_LT(right.error.relative_error, 1e-2);

    block_scaled_reference(a, b, rows, cols, pairs, kind::row_major); // the planted fault
    const auto wrong = judge_samples(pairs, bf16_tolerance, false, 0, s.m * s.n);
    EXPECT_FALSE(wrong.passed) << "a wrong scale layout went unnoticed: relative error "
                               << wrong.error.relative_error;
    EXPECT_GT(wrong.error.relative_error, 0.1);
}

// Shapes that are and are not multiples of 128 rows / 4 scale blocks.
INSTANTIATE_TEST_SUITE_P(Formats, BlockScaledCheck,
                         ::testing::Values(shapes{block_format::nvfp4, 130, 70, 256},
                                           shapes{block_format::nvfp4, 256, 128, 128},
                                           shapes{block_format::mxfp8, 130, 200, 320},
                                           shapes{block_format::mxfp8, 128, 256, 256}));

TEST(BlockScaledCheckUnitScales, WithEveryScaleOneAWrongLayoutIsInvisible) {
    auto a = random_block_scaled(block_format::nvfp4, 130, 256, 21);
    auto b = random_block_scaled(block_format::nvfp4, 70, 256, 22);
    for (auto* m : {&a, &b}) {
        std::fill(m->scales.begin(), m->scales.end(), encode_e4m3(1.0f));
        m->tensor_scale = 1.0f;
    }
    auto pairs = device_pairs(a, b, 64, 64);
    block_scaled_reference(a, b, 64, 64, pairs, kind::row_major);
    EXPECT_TRUE(judge_samples(pairs, bf16_tolerance, false, 0, 130 * 70).passed)
        << "unit scales should hide the layout: this is why the engine draws random ones";
}

} // namespace
} // namespace roofline::cuda
