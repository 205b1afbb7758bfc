// INT4 × INT4 → INT32 GEMM as the s4 tensor-core kernel (mma.sync.m16n8k64.row.col.s32.s4.s4.s32) computes
// it, described on the host so that CI, which has no GPU, checks the packing and the fragment mapping.
//
// Storage: A is M×K and B is N×K, both K contiguous, two signed 4-bit values per byte, the even k in the low
// nibble. C is M×N INT32, N contiguous. The fragment functions below are the ones the kernel calls
// (constexpr, so device code shares them): which 32-bit word of A or B lane l loads into register r of one
// m16n8k64 tile.
#pragma once
// C++17 without <span>: the CUDA sources include this part (see int4_gemm.hpp for the whole story).

#include <cstdint>

namespace roofline::int4_gemm {

inline constexpr int tile_m = 16;
inline constexpr int tile_n = 8;
inline constexpr int tile_k = 64;

// Byte offset of the 32-bit word (eight consecutive k) that lane `lane` holds in A register `reg` (0..3) of
// the tile at (row0, k0): row g + 8·(reg & 1), columns 8·t + 32·(reg >> 1) onwards, g = lane/4, t = lane%4.
[[nodiscard]] constexpr std::int64_t a_word(std::int64_t row0, std::int64_t k0, int lane, int reg,
                                            std::int64_t k) noexcept {
    const std::int64_t row = row0 + lane / 4 + 8 * (reg & 1);
    const std::int64_t col = k0 + 8 * (lane % 4) + 32 * (reg >> 1);
    return row * (k / 2) + col / 2;
}
// B register `reg` (0..1): column (n) g, rows (k) 8·t + 32·reg onwards.
[[nodiscard]] constexpr std::int64_t b_word(std::int64_t col0, std::int64_t k0, int lane, int reg,
                                            std::int64_t k) noexcept {
    const std::int64_t col = col0 + lane / 4;
    const std::int64_t row = k0 + 8 * (lane % 4) + 32 * reg;
    return col * (k / 2) + row / 2;
}
// Turing (sm_75) has only m8n8k32 for s4: the kernel builds the m16n8k64 tile from four of them. Piece p
// adds A register a_reg times B register b_reg into C registers 2·c_half and 2·c_half + 1 (rows g +
// 8·c_half). Defined here so the kernel and the host check compose the same way.
struct turing_piece {
    int c_half;
    int a_reg;
    int b_reg;
};
inline constexpr int turing_piece_count = 4;
// A function, not an array: device code may call constexpr functions (--expt-relaxed-constexpr) but not
// read host-side constexpr arrays.
[[nodiscard]] constexpr turing_piece turing_piece_at(int p) noexcept {
    return {p / 2, (p / 2) + 2 * (p % 2), p % 2};
}

// C registers 0..3 of lane l: (g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1).
[[nodiscard]] constexpr int c_row(int lane, int reg) noexcept {
    return lane / 4 + 8 * (reg >> 1);
}
[[nodiscard]] constexpr int c_col(int lane, int reg) noexcept {
    return 2 * (lane % 4) + (reg & 1);
}

} // namespace roofline::int4_gemm
