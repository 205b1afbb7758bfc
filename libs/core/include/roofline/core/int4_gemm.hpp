// INT4 × INT4 → INT32 GEMM as the s4 tensor-core kernel (mma.sync.m16n8k64.row.col.s32.s4.s4.s32) computes
// it, described on the host so that CI, which has no GPU, checks the packing and the fragment mapping.
//
// Storage: A is M×K and B is N×K, both K contiguous, two signed 4-bit values per byte, the even k in the low
// nibble. C is M×N INT32, N contiguous. The fragment functions below are the ones the kernel calls
// (constexpr, so device code shares them): which 32-bit word of A or B lane l loads into register r of one
// m16n8k64 tile.
#pragma once

#include "roofline/core/int4_layout.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace roofline::int4_gemm {

// Values in [-8, 7], row-major rows × k; returns rows·k/2 bytes. Throws std::invalid_argument on a value out
// of range or an odd k.
[[nodiscard]] std::vector<std::uint8_t> pack(std::span<const std::int8_t> values, std::int64_t rows,
                                             std::int64_t k);
[[nodiscard]] std::int8_t unpack_one(std::span<const std::uint8_t> packed, std::int64_t rows_k_index);

// Plain reference: C[i][j] = Σ A[i][k]·B[j][k] from the unpacked values.
[[nodiscard]] std::vector<std::int32_t> reference(std::span<const std::int8_t> a,
                                                  std::span<const std::int8_t> b, std::int64_t m,
                                                  std::int64_t n, std::int64_t k);

// The kernel's arithmetic, lane by lane: loads each fragment register through a_word/b_word from the packed
// operands, then applies the m16n8k64 semantics (eight s4 per register, lower k in lower bits) and writes C
// through c_row/c_col. m % 16, n % 8 and k % 64 must be 0 (the kernel's limits; std::invalid_argument else).
[[nodiscard]] std::vector<std::int32_t> emulate_kernel(std::span<const std::uint8_t> a_packed,
                                                       std::span<const std::uint8_t> b_packed, std::int64_t m,
                                                       std::int64_t n, std::int64_t k);

} // namespace roofline::int4_gemm
