// W4A16: INT4 weights with one scale per group of K, times FP16/BF16 activations (weight-only quantisation as
// LLM inference uses it). This header is the one definition of the packed weight layout the GPU kernel reads;
// the kernel, the GPU packing kernel and the reference all call position() so that they cannot disagree.
//
// Logical weight W is N×K (one row per output channel, K contiguous). Each element is stored as an unsigned
// code q in [0, 15] meaning (q - 8) · scale[k / group][n]; scales are [K/group][N], N contiguous.
//
// Packed layout (why: one 16-byte load per lane gives the A fragments of four mma.sync m16n8k16 tiles, the
// same lane's B fragments are one contiguous 32-byte run of an activation row, and the "magic number"
// conversion turns each 32-bit word into four half2 registers with two masks and a shift):
//   the weight is cut into chunks of 16 rows (n) × 64 columns (k); chunk (n/16, k/64) sits at byte
//   512·((n/16)·(K/64) + k/64), so one warp streams consecutive chunks of one row tile. Inside a chunk,
//   lane l = 4·g + t (g = l/4, t = l%4) owns 16 bytes and the 16 columns 16·t .. 16·t + 15: four 32-bit
//   words, word j for the mma k-tile j, holding columns 16·t + 4·j .. + 3 of rows g and g + 8. Nibble i of a
//   word (bits 4i..4i+3), i = hi + 2·half + 4·odd, is row g + 8·hi, column 16·t + 4·j + 2·half + odd.
//   The mma sums over k, so which physical column plays which of the k-tile's logical columns is ours to
//   choose as long as weights and activations agree: logical column 8·half + 2·t + odd of k-tile j is
//   physical column 16·t + 4·j + 2·half + odd, for both operands. The activations' B fragments of lane
//   (g, t) are then columns 16·t .. 16·t + 15 of activation row g: two 16-byte loads, no shuffle.
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
    const int col = static_cast<int>(k % chunk_k);
    const int g = row % 8;
    const int hi = row / 8;
    const int t = col / 16;
    const int word = (col % 16) / 4;
    const int half = (col % 4) / 2;
    const int odd = col % 2;
    const int lane = 4 * g + t;
    const int nibble = hi + 2 * half + 4 * odd;
    return {chunk * chunk_bytes + lane * 16 + word * 4 + nibble / 2, 4 * (nibble % 2)};
}

// The inverse inside one chunk: which row (0..15) and column (0..63) of the chunk nibble `nibble` (0..7) of
// word `word` (0..3) of lane `lane` holds. The GPU pack and dequantise kernels walk the layout with it.
struct chunk_element {
    int row;
    int col;
};
[[nodiscard]] constexpr chunk_element element_of(int lane, int word, int nibble) noexcept {
    const int g = lane / 4;
    const int t = lane % 4;
    const int hi = nibble & 1;
    const int half = (nibble >> 1) & 1;
    const int odd = nibble >> 2;
    return {g + 8 * hi, 16 * t + 4 * word + 2 * half + odd};
}

// The problem limits of the packed layout and of our kernel. Throws std::invalid_argument naming the field
// and the limit: n a positive multiple of 16, k a positive multiple of 64, group a multiple of 64 dividing k.
void validate(std::int64_t n, std::int64_t k, std::int64_t group);

} // namespace roofline::w4a16
