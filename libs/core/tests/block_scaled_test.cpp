// NVFP4 and MXFP8 on the CPU against hand-worked blocks: the codecs, quantisation (saturation, zero blocks,
// negative values, subnormals), two FP4 per byte, and cuBLASLt's 128x4 tiled scale layout with padding.
#include "roofline/core/block_scaled.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <set>
#include <stdexcept>

namespace roofline {
namespace {

using kind = scale_layout::kind;

TEST(BlockScaledCodecs, E2M1RoundsToNearestEvenAndSaturates) {
    EXPECT_EQ(encode_e2m1(0.0f), 0x0);
    EXPECT_EQ(encode_e2m1(0.25f), 0x0); // tie 0 | 0.5 -> even code 0
    EXPECT_EQ(encode_e2m1(0.3f), 0x1);  // 0.5 (the subnormal)
    EXPECT_EQ(encode_e2m1(0.75f), 0x2); // tie 0.5 | 1 -> code 2 (1.0)
    EXPECT_EQ(encode_e2m1(1.25f), 0x2); // tie 1 | 1.5 -> code 2
    EXPECT_EQ(encode_e2m1(1.75f), 0x4); // tie 1.5 | 2 -> code 4 (2.0)
    EXPECT_EQ(encode_e2m1(2.5f), 0x4);  // tie 2 | 3 -> code 4
    EXPECT_EQ(encode_e2m1(3.5f), 0x6);  // tie 3 | 4 -> code 6 (4.0)
    EXPECT_EQ(encode_e2m1(5.0f), 0x6);  // tie 4 | 6 -> code 6
    EXPECT_EQ(encode_e2m1(5.5f), 0x7);
    EXPECT_EQ(encode_e2m1(100.0f), 0x7); // saturates at 6
    EXPECT_EQ(encode_e2m1(-3.0f), 0xD);  // sign bit 3
    EXPECT_EQ(encode_e2m1(-0.1f), 0x0);  // rounds to zero: +0
    const float all[] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (int c = 0; c < 8; ++c) {
        EXPECT_EQ(decode_e2m1(static_cast<std::uint8_t>(c)), all[c]);
        EXPECT_EQ(decode_e2m1(static_cast<std::uint8_t>(c | 8)), -all[c]);
    }
}

TEST(BlockScaledCodecs, E4M3AndUE8M0) {
    EXPECT_EQ(encode_e4m3(1.0f), 0x38);
    EXPECT_EQ(encode_e4m3(-2.0f), 0xC0);
    EXPECT_EQ(encode_e4m3(448.0f), 0x7E);
    EXPECT_EQ(encode_e4m3(464.0f), 0x7E); // saturates, never NaN
    EXPECT_EQ(encode_e4m3(1e6f), 0x7E);
    EXPECT_EQ(encode_e4m3(std::ldexp(1.0f, -9)), 0x01);  // smallest subnormal
    EXPECT_EQ(encode_e4m3(std::ldexp(1.0f, -10)), 0x00); // tie 0 | 2^-9 -> even code 0
    EXPECT_EQ(encode_e4m3(std::ldexp(3.0f, -10)), 0x02); // tie 2^-9 | 2^-8 -> even code 2
    EXPECT_EQ(encode_e4m3(std::ldexp(7.0f, -9)), 0x07);  // largest subnormal
    EXPECT_EQ(encode_e4m3(std::ldexp(1.0f, -6)), 0x08);  // smallest normal
    EXPECT_EQ(decode_e4m3(0x7E), 448.0f);
    EXPECT_EQ(decode_e4m3(0x05), std::ldexp(5.0f, -9));
    EXPECT_TRUE(std::isnan(decode_e4m3(0x7F)));
    EXPECT_EQ(encode_e4m3(std::nanf("")), 0x7F);
    EXPECT_EQ(decode_ue8m0(127), 1.0f);
    EXPECT_EQ(decode_ue8m0(119), std::ldexp(1.0f, -8));
    EXPECT_EQ(decode_ue8m0(0), std::ldexp(1.0f, -127));
    EXPECT_TRUE(std::isnan(decode_ue8m0(0xFF)));
    for (int c = 0; c < 0x7F; ++c) { // every finite code round-trips
        EXPECT_EQ(encode_e4m3(decode_e4m3(static_cast<std::uint8_t>(c))), c);
    }
}

TEST(BlockScaledLayout, TiledOffsetsByHand) {
    const scale_layout l{130, 5, kind::tiled_128x4}; // neither side a multiple: padded to 256 x 8
    EXPECT_EQ(l.padded_rows(), 256);
    EXPECT_EQ(l.padded_blocks(), 8);
    EXPECT_EQ(l.bytes(), 2048U);
    EXPECT_EQ(l.offset(0, 0), 0U);
    EXPECT_EQ(l.offset(0, 3), 3U);
    EXPECT_EQ(l.offset(1, 0), 16U); // (r % 32)·16
    EXPECT_EQ(l.offset(31, 0), 496U);
    EXPECT_EQ(l.offset(32, 0), 4U);     // (r / 32)·4 inside the tile
    EXPECT_EQ(l.offset(33, 2), 22U);    // 16 + 4 + 2
    EXPECT_EQ(l.offset(127, 3), 511U);  // the tile's last byte
    EXPECT_EQ(l.offset(0, 4), 512U);    // the next block tile
    EXPECT_EQ(l.offset(128, 0), 1024U); // the next row tile: after 2 block tiles
    EXPECT_EQ(l.offset(129, 4), 1024U + 512U + 16U);
    const scale_layout r{130, 5, kind::row_major};
    EXPECT_EQ(r.offset(1, 0), 8U);
}

TEST(BlockScaledLayout, TiledIsABijectionOnThePaddedTensor) {
    const scale_layout l{200, 7, kind::tiled_128x4};
    std::set<std::size_t> seen;
    for (std::int64_t row = 0; row < l.padded_rows(); ++row) {
        for (std::int64_t b = 0; b < l.padded_blocks(); ++b) {
            const auto o = l.offset(row, b);
            EXPECT_LT(o, l.bytes());
            seen.insert(o);
        }
    }
    EXPECT_EQ(seen.size(), l.bytes());
}

TEST(Nvfp4, HandWorkedBlocks) {
    // Row 0: amax 6 sets the tensor scale 6 / (6·448) = 1/448 and a block scale of 448; negative values and a
    // tie. Row 1: block amax 0.75 -> scale 0.75/6·448 = 56 (exact in E4M3), elements / (56/448). Row 2: all
    // zero. Row 3: amax 2^-9/448·6 -> the smallest subnormal E4M3 scale (code 0x01). Row 4: amax 0.82366 ->
    // scale 61.5 rounds to 60, so 0.82366 / (60/448) = 6.15 saturates to 6.
    const std::int64_t cols = 16;
    std::vector<float> x(5 * cols, 0.0f);
    x[0] = 6.0f;
    x[1] = -3.0f;
    x[2] = -1.5f;
    x[3] = 0.25f / 448.0f * 448.0f; // 0.25: a tie between codes 0 and 1 -> 0
    x[cols + 0] = 0.75f;
    x[cols + 1] = -0.25f;
    const float tiny = std::ldexp(1.0f, -9) / 448.0f * 6.0f;
    x[3 * cols + 0] = tiny;
    const float big = 61.5f * 6.0f / 448.0f;
    x[4 * cols + 0] = big;
    const auto m = quantize(block_format::nvfp4, x, 5, cols);
    EXPECT_FLOAT_EQ(m.tensor_scale, 1.0f / 448.0f);
    EXPECT_EQ(m.data.size(), 5U * 8U); // two per byte
    EXPECT_EQ(m.scales.size(), 128U * 4U);
    // Row 0: scale 448 (0x7E); codes 6 -> 7, -3 -> 0xD, -1.5 -> 0xB, 0.25 -> 0; low nibble first.
    EXPECT_EQ(m.scales[m.layout().offset(0, 0)], 0x7E);
    EXPECT_EQ(m.data[0], 0xD7);
    EXPECT_EQ(m.data[1], 0x0B);
    EXPECT_NEAR(m.value(0, 0), 6.0, 1e-6); // 1/448 is not exact in FP32
    EXPECT_NEAR(m.value(0, 1), -3.0, 1e-6);
    // Row 1: scale 56 = 1.75·2^5 (0x6F); 0.75 -> 6 (code 7), -0.25 -> -2 (code 0xC).
    EXPECT_EQ(m.scales[m.layout().offset(1, 0)], encode_e4m3(56.0f));
    EXPECT_EQ(m.code(1, 0), 0x7);
    EXPECT_EQ(m.code(1, 1), 0xC);
    EXPECT_NEAR(m.value(1, 0), 0.75, 1e-7);
    EXPECT_NEAR(m.value(1, 1), -0.25, 1e-7);
    // Row 2: zero block -> scale 0, codes 0.
    EXPECT_EQ(m.scales[m.layout().offset(2, 0)], 0x00);
    EXPECT_EQ(m.code(2, 0), 0x0);
    EXPECT_EQ(m.value(2, 5), 0.0);
    // Row 3: subnormal scale 2^-9.
    EXPECT_EQ(m.scales[m.layout().offset(3, 0)], 0x01);
    EXPECT_EQ(m.code(3, 0), 0x7);
    EXPECT_NEAR(m.value(3, 0), tiny, 1e-12);
    // Row 4: saturated to 6 · 60/448.
    EXPECT_EQ(m.scales[m.layout().offset(4, 0)], encode_e4m3(60.0f));
    EXPECT_EQ(m.code(4, 0), 0x7);
    EXPECT_NEAR(m.value(4, 0), 6.0 * 60.0 / 448.0, 1e-7);
    EXPECT_LT(m.value(4, 0), big);
}

TEST(Mxfp8, HandWorkedBlocks) {
    // Block 0: amax 1 -> scale 2^(0-8) (byte 119); 1 -> 256 (0x78), -0.5 -> -128 (0xF0), 2^-17 -> 2^-9
    // (subnormal code 0x01). Block 1: amax 1.9 -> scale 2^-8 too; 1.9·256 = 486.4 saturates to 448 (0x7E).
    // Block 2: zero.
    const std::int64_t cols = 96;
    std::vector<float> x(cols, 0.0f);
    x[0] = 1.0f;
    x[1] = -0.5f;
    x[2] = std::ldexp(1.0f, -17);
    x[32] = 1.9f;
    const auto m = quantize(block_format::mxfp8, x, 1, cols);
    EXPECT_EQ(m.tensor_scale, 1.0f);
    EXPECT_EQ(m.data.size(), 96U);
    const auto lay = m.layout();
    EXPECT_EQ(lay.blocks, 3);
    EXPECT_EQ(m.scales[lay.offset(0, 0)], 119);
    EXPECT_EQ(m.code(0, 0), 0x78);
    EXPECT_EQ(m.code(0, 1), 0xF0);
    EXPECT_EQ(m.code(0, 2), 0x01);
    EXPECT_DOUBLE_EQ(m.value(0, 2), std::ldexp(1.0, -17));
    EXPECT_EQ(m.scales[lay.offset(0, 1)], 119);
    EXPECT_EQ(m.code(0, 32), 0x7E);
    EXPECT_DOUBLE_EQ(m.value(0, 32), 448.0 / 256.0);
    EXPECT_EQ(m.scales[lay.offset(0, 2)], 127); // zero block: scale 1.0
    EXPECT_EQ(m.code(0, 64), 0x00);
    EXPECT_EQ(scales_row_major(m), (std::vector<std::uint8_t>{119, 119, 127}));
}

TEST(BlockScaled, ShapesNotMultiplesOf128RoundTrip) {
    // 130 rows, K = 80: 5 NVFP4 blocks / 3 MXFP8 blocks (the last one partial), padded to 256 rows x 8 / 4
    // blocks.
    for (const auto f : {block_format::nvfp4, block_format::mxfp8}) {
        std::vector<float> x(130 * 80);
        for (std::size_t i = 0; i < x.size(); ++i) {
            x[i] = std::sin(0.37f * static_cast<float>(i)) * std::ldexp(1.0f, static_cast<int>(i % 13) - 6);
        }
        const auto m = quantize(f, x, 130, 80);
        EXPECT_EQ(m.scales.size(), f == block_format::nvfp4 ? 256U * 8U : 256U * 4U);
        const auto back = dequantize(m);
        ASSERT_EQ(back.size(), x.size());
        // Each element is within half a step of its format at its block's scale: E2M1's widest step is 2 (4
        // -> 6), a third of the block amax; E4M3's relative step is 1/8 (and saturation costs up to 1/8 of
        // amax).
        for (std::int64_t r = 0; r < 130; ++r) {
            const int bs = block_size(f);
            for (std::int64_t b = 0; b * bs < 80; ++b) {
                float amax = 0;
                for (std::int64_t k = b * bs; k < std::min<std::int64_t>(80, (b + 1) * bs); ++k) {
                    amax = std::max(amax, std::abs(x[static_cast<std::size_t>(r * 80 + k)]));
                }
                for (std::int64_t k = b * bs; k < std::min<std::int64_t>(80, (b + 1) * bs); ++k) {
                    const auto i = static_cast<std::size_t>(r * 80 + k);
                    const double allowed = f == block_format::nvfp4 ? amax / 6.0 * 1.07 : amax / 8.0;
                    EXPECT_LE(std::abs(back[i] - x[i]), allowed + 1e-30)
                        << to_string(f) << " at " << r << "," << k;
                }
            }
        }
        // The row-major inverse of the layout holds exactly the scales the tiled tensor does.
        const auto rm = scales_row_major(m);
        EXPECT_EQ(rm.size(), static_cast<std::size_t>(130 * m.layout().blocks));
        EXPECT_EQ(rm[129 * m.layout().blocks + 2], m.scales[m.layout().offset(129, 2)]);
    }
}

TEST(BlockScaled, RandomInputsHaveNonUnitScalesAndAreDeterministic) {
    const auto a = random_block_scaled(block_format::nvfp4, 130, 64, 7);
    const auto b = random_block_scaled(block_format::nvfp4, 130, 64, 7);
    EXPECT_EQ(a.data, b.data);
    EXPECT_EQ(a.scales, b.scales);
    EXPECT_NE(a.tensor_scale, 1.0f);
    std::set<std::uint8_t> distinct(a.scales.begin(), a.scales.end());
    EXPECT_GT(distinct.size(), 10U);
    EXPECT_NE(a.scale(0, 0), a.scale(0, 1)); // would hide a wrong layout if equal everywhere
}

TEST(BlockScaled, BadShapesNameTheField) {
    EXPECT_THROW(static_cast<void>(quantize(block_format::nvfp4, std::vector<float>(15), 1, 15)),
                 std::invalid_argument);
    EXPECT_THROW(static_cast<void>(quantize(block_format::mxfp8, std::vector<float>(3), 2, 2)),
                 std::invalid_argument);
    try {
        static_cast<void>(random_block_scaled(block_format::nvfp4, 4, 7, 1));
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("cols (K) must be even"), std::string::npos);
    }
}

} // namespace
} // namespace roofline
