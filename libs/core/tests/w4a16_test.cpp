// The W4A16 packed layout and reference, against values worked by hand from the layout's description in
// roofline/core/w4a16_layout.hpp (which the GPU kernel reads).
#include "roofline/core/int4_gemm.hpp"
#include "roofline/core/w4a16.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using roofline::w4a16::position;

TEST(W4a16Layout, HandWorkedPositions) {
    // (n, k) -> lane 4g + t (t = k%64/16), word k%16/4, nibble hi + 2·half + 4·odd (half = k%4/2, odd = k%2),
    // byte lane·16 + word·4 + nibble/2.
    EXPECT_EQ(position(0, 0, 64).byte, 0);
    EXPECT_EQ(position(0, 0, 64).shift, 0);
    EXPECT_EQ(position(0, 1, 64).byte, 2); // odd column: nibble 4
    EXPECT_EQ(position(0, 1, 64).shift, 0);
    EXPECT_EQ(position(8, 0, 64).byte, 0); // row g + 8: nibble 1, the high half of byte 0
    EXPECT_EQ(position(8, 0, 64).shift, 4);
    EXPECT_EQ(position(0, 2, 64).byte, 1);           // column + 2: half 1, nibble 2
    EXPECT_EQ(position(0, 4, 64).byte, 4);           // column + 4: the next k-tile's word
    EXPECT_EQ(position(0, 8, 64).byte, 8);           // word 2
    EXPECT_EQ(position(0, 16, 64).byte, 16);         // column 16: t 1, lane 1
    EXPECT_EQ(position(9, 9, 64).byte, 4 * 16 + 10); // g 1, t 0 -> lane 4; word 2; nibble 1 + 4 = 5
    EXPECT_EQ(position(9, 9, 64).shift, 4);
    EXPECT_EQ(position(3, 6, 64).byte, 12 * 16 + 5); // g 3, t 0 -> lane 12; word 1; nibble 2
    EXPECT_EQ(position(3, 6, 64).shift, 0);
    EXPECT_EQ(position(5, 63, 64).byte, 23 * 16 + 15); // g 5, t 3 -> lane 23; word 3; nibble 2 + 4 = 6
    EXPECT_EQ(position(5, 63, 64).shift, 0);
    EXPECT_EQ(position(0, 64, 128).byte, 512);  // second chunk along K
    EXPECT_EQ(position(16, 0, 128).byte, 1024); // second row tile: after K/64 = 2 chunks
}

TEST(W4a16Layout, ElementOfInvertsPosition) {
    for (int lane = 0; lane < 32; ++lane) {
        for (int word = 0; word < 4; ++word) {
            for (int nibble = 0; nibble < 8; ++nibble) {
                const auto e = roofline::w4a16::element_of(lane, word, nibble);
                const auto p = position(e.row, e.col, 64);
                ASSERT_EQ(p.byte, lane * 16 + word * 4 + nibble / 2) << lane << " " << word << " " << nibble;
                ASSERT_EQ(p.shift, 4 * (nibble % 2));
            }
        }
    }
}

TEST(W4a16Layout, LaneFragmentsFollowTheMmaAndItsActivationRun) {
    // The m16n8k16 A fragment (PTX ISA): register r of lane (g, t) holds rows g + 8·(r%2), logical columns
    // 2t + 8·(r/2) and +1 of the k-tile, the lower column in the lower half. dequant turns word j's nibbles
    // {r, r + 4} into register r. B register h of the same lane holds logical rows 2t + 8h, +1, column g.
    // Logical column c of k-tile j must be the same physical column for A and for B: physical
    // 16t + 4j + 2h + e for logical 8h + 2t + e, i.e. the lane's B fragments are columns 16t .. 16t + 15.
    for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4;
        const int t = lane % 4;
        for (int j = 0; j < 4; ++j) {
            for (int r = 0; r < 4; ++r) {
                for (int e = 0; e < 2; ++e) {
                    const auto el = roofline::w4a16::element_of(lane, j, r + 4 * e);
                    EXPECT_EQ(el.row, g + 8 * (r % 2));
                    const int h = r / 2; // A's column half = the B register holding the same logical k
                    EXPECT_EQ(el.col, 16 * t + 4 * j + 2 * h + e);
                }
            }
        }
    }
}

TEST(W4a16Layout, EveryNibbleUsedOnce) {
    const std::int64_t n = 32, k = 128;
    std::vector<int> seen(static_cast<std::size_t>(n * k), 0);
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t c = 0; c < k; ++c) {
            const auto p = position(r, c, k);
            ++seen[static_cast<std::size_t>(p.byte * 2 + p.shift / 4)];
        }
    }
    for (const int s : seen) {
        ASSERT_EQ(s, 1);
    }
}

TEST(W4a16Pack, RoundTripAndHandWorkedBytes) {
    const std::int64_t n = 32, k = 128;
    std::mt19937 gen(3);
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k));
    for (auto& c : codes) {
        c = static_cast<std::uint8_t>(gen() % 16);
    }
    codes[0] = 0x3;     // (0, 0): low nibble of byte 0
    codes[8 * k] = 0xA; // (8, 0): high nibble of byte 0
    const auto packed = roofline::w4a16::pack(codes, n, k);
    ASSERT_EQ(packed.size(), static_cast<std::size_t>(n * k / 2));
    EXPECT_EQ(packed[0], 0xA3);
    EXPECT_EQ(roofline::w4a16::unpack(packed, n, k), codes);
}

TEST(W4a16Dequantize, GroupScalesAndZeroPoint) {
    const std::int64_t n = 16, k = 128, group = 64;
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k), 8); // code 8 is zero
    codes[0 * k + 3] = 10;                                               // +2 in group 0
    codes[0 * k + 70] = 10;                                              // +2 in group 1
    codes[5 * k + 0] = 0;                                                // -8
    codes[5 * k + 127] = 15;                                             // +7
    std::vector<float> scales(static_cast<std::size_t>(2 * n));
    for (std::int64_t j = 0; j < n; ++j) {
        scales[static_cast<std::size_t>(j)] = 0.5f; // group 0
        scales[static_cast<std::size_t>(n + j)] =
            2.0f + 0.25f * static_cast<float>(j); // group 1, different per channel
    }
    const auto w = roofline::w4a16::dequantize(roofline::w4a16::pack(codes, n, k), scales, n, k, group);
    EXPECT_FLOAT_EQ(w[0 * k + 3], 1.0f);
    EXPECT_FLOAT_EQ(w[0 * k + 70], 4.0f);
    EXPECT_FLOAT_EQ(w[5 * k + 0], -4.0f);
    EXPECT_FLOAT_EQ(w[5 * k + 127], 7.0f * 3.25f);
    EXPECT_FLOAT_EQ(w[1 * k + 1], 0.0f);
    // Reference GEMM: x = all ones in row 0, 2 in row 1.
    std::vector<float> x(static_cast<std::size_t>(2 * k), 1.0f);
    for (std::int64_t c = 0; c < k; ++c) {
        x[static_cast<std::size_t>(k + c)] = 2.0f;
    }
    const auto out = roofline::w4a16::reference_gemm(x, w, 2, n, k);
    EXPECT_DOUBLE_EQ(out[0], 5.0);               // row 0, channel 0: 1 + 4
    EXPECT_DOUBLE_EQ(out[5], -4.0 + 7.0 * 3.25); // channel 5
    EXPECT_DOUBLE_EQ(out[static_cast<std::size_t>(n + 5)], 2.0 * (-4.0 + 7.0 * 3.25));
}

TEST(W4a16Validate, NamesTheFieldAndLimit) {
    const auto message = [](std::int64_t n, std::int64_t k, std::int64_t g) {
        try {
            roofline::w4a16::validate(n, k, g);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(message(24, 128, 128).find("n = 24 must be a positive multiple of 16"), std::string::npos);
    EXPECT_NE(message(16, 100, 64).find("k = 100"), std::string::npos);
    EXPECT_NE(message(16, 256, 96).find("group = 96"), std::string::npos);
    EXPECT_NE(message(16, 192, 128).find("divides k = 192"), std::string::npos);
    EXPECT_EQ(message(16, 192, 192), ""); // per channel: group = k
    EXPECT_EQ(message(16, 256, 64), "");
    const std::vector<std::uint8_t> bad(16 * 64, 16);
    EXPECT_THROW((void)roofline::w4a16::pack(bad, 16, 64), std::invalid_argument);
}

TEST(W4a16Bytes, CountsWeightsScalesActivationsOutput) {
    // 4096² at M = 1, group 128: 8 MiB of weights + 4096·32 FP16 scales + 4096 FP16 in + 4096 FP16 out.
    EXPECT_DOUBLE_EQ(roofline::w4a16::min_bytes(1, 4096, 4096, 128), 8388608.0 + 262144.0 + 8192.0 + 8192.0);
}

TEST(Int4Gemm, PackHandWorked) {
    const std::vector<std::int8_t> v{1, -1, -8, 7};
    const auto p = roofline::int4_gemm::pack(v, 1, 4);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0], 0xF1); // even k in the low nibble; -1 = 0xF
    EXPECT_EQ(p[1], 0x78);
    EXPECT_EQ(roofline::int4_gemm::unpack_one(p, 1), -1);
    EXPECT_EQ(roofline::int4_gemm::unpack_one(p, 2), -8);
    const std::vector<std::int8_t> out_of_range{8, 0};
    EXPECT_THROW((void)roofline::int4_gemm::pack(out_of_range, 1, 2), std::invalid_argument);
}

TEST(Int4Gemm, FragmentWordsHandWorked) {
    // lane 5 = g 1, t 1; register 3 = row g + 8, columns 32 + 8t: row 9, column 40, byte 9·64 + 20.
    EXPECT_EQ(roofline::int4_gemm::a_word(0, 0, 5, 3, 128), 9 * 64 + 20);
    // B register 1 of lane 6 (g 1, t 2): column 1, rows 32 + 16 = 48: byte 1·64 + 24.
    EXPECT_EQ(roofline::int4_gemm::b_word(0, 0, 6, 1, 128), 64 + 24);
    EXPECT_EQ(roofline::int4_gemm::c_row(6, 2), 9);
    EXPECT_EQ(roofline::int4_gemm::c_col(6, 3), 5);
}

// The PTX ISA's fragment tables ("Matrix Fragments for mma.m16n8k64" and "mma.m8n8k32", .s4/.u4), written
// here in the ISA's own terms (element index i, groupID, threadID_in_group) and independently of
// int4_layout.hpp, so a wrong assumption shared by the kernel and emulate_kernel fails here.
struct isa_element {
    int row;
    int col;
};
isa_element isa_m16n8k64_a(int lane, int i) { // a0..a31, 8 per .b32 register, a0 in the low bits
    const int group_id = lane >> 2;
    const int tig = lane % 4;
    const int row = (i < 8 || (i >= 16 && i < 24)) ? group_id : group_id + 8;
    const int col = i < 16 ? tig * 8 + (i & 0x7) : tig * 8 + (i & 0x7) + 32;
    return {row, col};
}
isa_element isa_m16n8k64_b(int lane, int i) { // b0..b15: row = k, col = n
    const int group_id = lane >> 2;
    const int tig = lane % 4;
    return {i < 8 ? tig * 8 + (i & 0x7) : tig * 8 + (i & 0x7) + 32, group_id};
}
isa_element isa_m16n8k64_c(int lane, int i) { // c0..c3
    const int group_id = lane >> 2;
    const int tig = lane % 4;
    return {i < 2 ? group_id : group_id + 8, tig * 2 + (i & 0x1)};
}
isa_element isa_m8n8k32_a(int lane, int i) { // a0..a7 in one register
    return {lane >> 2, (lane % 4) * 8 + i};
}
isa_element isa_m8n8k32_b(int lane, int i) { // b0..b7: row = k, col = n
    return {(lane % 4) * 8 + i, lane >> 2};
}
isa_element isa_m8n8k32_c(int lane, int i) { // c0, c1
    return {lane >> 2, (lane % 4) * 2 + i};
}

TEST(Int4Gemm, FragmentAddressingFollowsThePtxIsaTables) {
    namespace ig = roofline::int4_gemm;
    const std::int64_t k = 128; // A and B K-contiguous, two s4 per byte
    const auto storage = [&](std::int64_t row, std::int64_t col) { return row * k + col; }; // nibble index
    for (int lane = 0; lane < 32; ++lane) {
        for (int reg = 0; reg < 4; ++reg) {
            for (int e = 0; e < 8; ++e) { // element e of the register: bits 4e..4e+3, a_{8·reg + e}
                const auto want = isa_m16n8k64_a(lane, 8 * reg + e);
                EXPECT_EQ(2 * ig::a_word(0, 0, lane, reg, k) + e, storage(want.row, want.col))
                    << "A lane " << lane << " reg " << reg << " element " << e;
            }
        }
        for (int reg = 0; reg < 2; ++reg) {
            for (int e = 0; e < 8; ++e) {
                const auto want = isa_m16n8k64_b(lane, 8 * reg + e);
                // B is stored N×K: column n of the mma's K×N operand is row n of storage.
                EXPECT_EQ(2 * ig::b_word(0, 0, lane, reg, k) + e, storage(want.col, want.row))
                    << "B lane " << lane << " reg " << reg << " element " << e;
            }
        }
        for (int reg = 0; reg < 4; ++reg) {
            const auto want = isa_m16n8k64_c(lane, reg);
            EXPECT_EQ(ig::c_row(lane, reg), want.row);
            EXPECT_EQ(ig::c_col(lane, reg), want.col);
        }
    }
}

TEST(Int4Gemm, TuringPiecesComposeTheM16n8k64Tile) {
    // On random registers, the four m8n8k32 products of the kernel's sm_75 path (each evaluated by the ISA's
    // m8n8k32 tables) must equal one m16n8k64 (evaluated by its tables).
    namespace ig = roofline::int4_gemm;
    std::mt19937 gen(5);
    std::uint32_t ra[32][4];
    std::uint32_t rb[32][2];
    for (int l = 0; l < 32; ++l) {
        for (auto& r : ra[l]) {
            r = static_cast<std::uint32_t>(gen());
        }
        for (auto& r : rb[l]) {
            r = static_cast<std::uint32_t>(gen());
        }
    }
    const auto s4 = [](std::uint32_t w, int e) {
        const int v = static_cast<int>((w >> (4 * e)) & 0xFu);
        return v >= 8 ? v - 16 : v;
    };
    // The operands as matrices, read back through the m16n8k64 tables.
    int a[16][64] = {};
    int b[64][8] = {};
    for (int l = 0; l < 32; ++l) {
        for (int i = 0; i < 32; ++i) {
            const auto el = isa_m16n8k64_a(l, i);
            a[el.row][el.col] = s4(ra[l][i / 8], i % 8);
        }
        for (int i = 0; i < 16; ++i) {
            const auto el = isa_m16n8k64_b(l, i);
            b[el.row][el.col] = s4(rb[l][i / 8], i % 8);
        }
    }
    for (int l = 0; l < 32; ++l) {
        int d[4] = {0, 0, 0, 0};
        for (int p = 0; p < ig::turing_piece_count; ++p) {
            const auto piece = ig::turing_piece_at(p);
            // m8n8k32 on registers a_reg (all lanes) and b_reg: C(i, j) = Σ_kk A8(i, kk)·B8(kk, j).
            for (int ci = 0; ci < 2; ++ci) {
                const auto c_el = isa_m8n8k32_c(l, ci);
                int sum = 0;
                for (int kk = 0; kk < 32; ++kk) {
                    int av = 0;
                    int bv = 0;
                    for (int src = 0; src < 32; ++src) {
                        for (int e = 0; e < 8; ++e) {
                            const auto ae = isa_m8n8k32_a(src, e);
                            if (ae.row == c_el.row && ae.col == kk) {
                                av = s4(ra[src][piece.a_reg], e);
                            }
                            const auto be = isa_m8n8k32_b(src, e);
                            if (be.row == kk && be.col == c_el.col) {
                                bv = s4(rb[src][piece.b_reg], e);
                            }
                        }
                    }
                    sum += av * bv;
                }
                d[2 * piece.c_half + ci] += sum;
            }
        }
        for (int ci = 0; ci < 4; ++ci) {
            const auto el = isa_m16n8k64_c(l, ci);
            int want = 0;
            for (int kk = 0; kk < 64; ++kk) {
                want += a[el.row][kk] * b[kk][el.col];
            }
            ASSERT_EQ(d[ci], want) << "lane " << l << " c" << ci;
        }
    }
}

TEST(Int4Gemm, KernelEmulationMatchesReference) {
    const std::int64_t m = 32, n = 16, k = 128;
    std::mt19937 gen(11);
    std::vector<std::int8_t> a(static_cast<std::size_t>(m * k));
    std::vector<std::int8_t> b(static_cast<std::size_t>(n * k));
    for (auto& v : a) {
        v = static_cast<std::int8_t>(static_cast<int>(gen() % 16) - 8);
    }
    for (auto& v : b) {
        v = static_cast<std::int8_t>(static_cast<int>(gen() % 16) - 8);
    }
    const auto ref = roofline::int4_gemm::reference(a, b, m, n, k);
    const auto emu = roofline::int4_gemm::emulate_kernel(roofline::int4_gemm::pack(a, m, k),
                                                         roofline::int4_gemm::pack(b, n, k), m, n, k);
    EXPECT_EQ(emu, ref);
    // Hand-worked corner: all -8 times all 7 over k = 64: -8·7·64.
    const std::vector<std::int8_t> a8(16 * 64, -8);
    const std::vector<std::int8_t> b7(8 * 64, 7);
    const auto c = roofline::int4_gemm::emulate_kernel(roofline::int4_gemm::pack(a8, 16, 64),
                                                       roofline::int4_gemm::pack(b7, 8, 64), 16, 8, 64);
    EXPECT_EQ(c[0], -8 * 7 * 64);
    EXPECT_THROW((void)roofline::int4_gemm::emulate_kernel(roofline::int4_gemm::pack(a8, 16, 64),
                                                           roofline::int4_gemm::pack(b7, 8, 64), 16, 8, 32),
                 std::invalid_argument); // k = 32 is not a multiple of 64
}

} // namespace
