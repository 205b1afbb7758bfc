// W4A16: INT4 weights with one scale per group of K, times FP16/BF16 activations (weight-only quantisation as
// LLM inference uses it). This header is the one definition of the packed weight layout the GPU kernel reads;
// the kernel, the GPU packing kernel and the reference all call position() so that they cannot disagree.
//
// Logical weight W is N×K (one row per output channel, K contiguous). Each element is stored as an unsigned
// code q in [0, 15] meaning (q - 8) · scale[k / group][n]; scales are [K/group][N], N contiguous.
//
// Packed layout (why: one 16-byte load per lane gives the A fragments of four mma.sync m16n8k16 tiles, and
// the "magic number" conversion turns each 32-bit word into four half2 registers with two masks and a shift):
//   the weight is cut into chunks of 16 rows (n) × 64 columns (k); chunk (n/16, k/64) sits at byte
//   512·((n/16)·(K/64) + k/64), so one warp streams consecutive chunks of one row tile. Inside a chunk,
//   lane l = 4·g + t (g = l/4, t = l%4) owns 16 bytes: four 32-bit words, word j for the k-tile of 16
//   columns starting at 16·j. Word j holds the eight values the mma's A fragment gives lane l, nibble i at
//   bits 4i..4i+3: i = hi + 2·half + 4·odd for row g + 8·hi and column 2t + odd + 8·half of the tile.
#pragma once
// C++17 without <span>: the CUDA sources include this part (see w4a16.hpp for the whole story).

#include <cstdint>

namespace roofline::w4a16 {

inline constexpr std::int64_t tile_n = 16;       // rows of one chunk (the mma's M side)
inline constexpr std::int64_t chunk_k = 64;      // columns of one chunk (four mma k-tiles)
inline constexpr std::int64_t chunk_bytes = 512; // 16 × 64 nibbles
inline constexpr int default_group = 128;
inline constexpr int zero_code = 8; // codes are offset by 8: value = code - 8, in [-8, 7]

struct nibble_position {
    std::int64_t byte; // from the start of the packed weight
    int shift;         // 0 = low nibble, 4 = high nibble
};

// Where element (n, k) of an N×K weight lives. constexpr so device code may call it too.
[[nodiscard]] constexpr nibble_position position(std::int64_t n, std::int64_t k, std::int64_t K) noexcept {
    const std::int64_t chunk = (n / tile_n) * (K / chunk_k) + k / chunk_k;
    const int row = static_cast<int>(n % tile_n);
    const int col = static_cast<int>(k % 16);
    const int word = static_cast<int>((k % chunk_k) / 16);
    const int g = row % 8;
    const int hi = row / 8;
    const int half = col / 8;
    const int t = (col % 8) / 2;
    const int odd = col % 2;
    const int lane = 4 * g + t;
    const int nibble = hi + 2 * half + 4 * odd;
    return {chunk * chunk_bytes + lane * 16 + word * 4 + nibble / 2, 4 * (nibble % 2)};
}

// The problem limits of the packed layout and of our kernel. Throws std::invalid_argument naming the field
// and the limit: n a positive multiple of 16, k a positive multiple of 64, group a multiple of 64 dividing k.
void validate(std::int64_t n, std::int64_t k, std::int64_t group);

} // namespace roofline::w4a16
