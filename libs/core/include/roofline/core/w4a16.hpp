// W4A16: INT4 weights with one scale per group of K, times FP16/BF16 activations (weight-only quantisation as
// LLM inference uses it). This header is the one definition of the packed weight layout the GPU kernel reads;
// the kernel, the GPU packing kernel and the reference all call position() so that they cannot disagree.
//
// Logical weight W is N×K (one row per output channel, K contiguous). Each element is stored as an unsigned
// code q in [0, 15] meaning (q - 8) · scale[k / group][n]; scales are [K/group][N], N contiguous.
//
// Packed layout: see roofline/core/w4a16_layout.hpp, its one definition.
#pragma once

#include "roofline/core/w4a16_layout.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace roofline::w4a16 {

// Group size meaning "one scale per output channel" (per-channel quantisation): the whole of K.
[[nodiscard]] constexpr std::int64_t per_channel_group(std::int64_t k) noexcept {
    return k;
}

// codes: N×K, one code (0..15) per byte, row-major. Returns N·K/2 packed bytes.
[[nodiscard]] std::vector<std::uint8_t> pack(std::span<const std::uint8_t> codes, std::int64_t n,
                                             std::int64_t k);
// The inverse of pack().
[[nodiscard]] std::vector<std::uint8_t> unpack(std::span<const std::uint8_t> packed, std::int64_t n,
                                               std::int64_t k);
// (code - 8) · scale as FP32, N×K row-major; scales [K/group][N] row-major (as FP32 values).
[[nodiscard]] std::vector<float> dequantize(std::span<const std::uint8_t> packed,
                                            std::span<const float> scales, std::int64_t n, std::int64_t k,
                                            std::int64_t group);
// The reference: out[m][n] = Σ_k x[m][k] · W(n, k), in FP64 from FP32 inputs, x M×K row-major.
[[nodiscard]] std::vector<double> reference_gemm(std::span<const float> x,
                                                 std::span<const float> w_dequantized, std::int64_t m,
                                                 std::int64_t n, std::int64_t k);

// Bytes a W4A16 GEMM must move at least: INT4 weights, 16-bit scales, 16-bit activations and output.
[[nodiscard]] constexpr double min_bytes(std::int64_t m, std::int64_t n, std::int64_t k,
                                         std::int64_t group) noexcept {
    const auto d = [](std::int64_t v) { return static_cast<double>(v); };
    return d(n) * d(k) / 2.0 + 2.0 * d(n) * d(k / group) + 2.0 * d(m) * d(k) + 2.0 * d(m) * d(n);
}

} // namespace roofline::w4a16
