// Block-scaled formats as cuBLASLt reads them, on the CPU: NVFP4 (E2M1 elements, one UE4M3 scale per 16 along
// K, a per-tensor FP32 scale) and MXFP8 (E4M3 elements, one UE8M0 scale per 32 along K). Quantisation from
// FP32, two FP4 values per byte, the scale tensor in cuBLASLt's 128x4 tiled layout (with padding) and the way
// back. The GPU engine packs its Blackwell inputs with exactly these functions and verifies against dot()
// below, so the packing is tested in every build although no GPU here has block-scaled tensor cores. No CUDA
// header.
//
// Scale layout (cuBLAS "1D block scaling factors layout"; torchao's to_blocked, CUTLASS's
// Sm1xxBlockScaledConfig): the rows x blocks scale matrix is padded to multiples of 128 rows and 4 blocks;
// each 128 x 4 tile is 512 contiguous bytes, tiles in row-major order (row tile, then block tile), and inside
// a tile the scale of (row r, block c) sits at (r % 32)·16 + (r / 32)·4 + c.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace roofline {

enum class block_format { nvfp4, mxfp8 };

[[nodiscard]] std::string_view to_string(block_format f) noexcept;
[[nodiscard]] int block_size(block_format f) noexcept; // elements along K sharing one scale: 16 or 32

// Element and scale codecs; round to nearest, ties to even, saturating at the largest finite value.
[[nodiscard]] std::uint8_t encode_e2m1(float x); // ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}; bit 3 the sign; -0 -> +0
[[nodiscard]] float decode_e2m1(std::uint8_t code);
[[nodiscard]] std::uint8_t encode_e4m3(float x); // FP8 E4M3 (fn): ±448, subnormals down to 2^-9; NaN -> 0x7F
[[nodiscard]] float decode_e4m3(std::uint8_t code);
[[nodiscard]] float decode_ue8m0(std::uint8_t code); // 2^(code - 127); 0xFF is NaN

// Where cuBLASLt reads the scale of (row, block) in a scale tensor of rows x blocks (padded as above).
struct scale_layout {
    enum class kind {
        tiled_128x4, // what cuBLASLt reads
        row_major,   // plain rows x padded blocks: NOT what cuBLASLt reads; tests plant it to show the check
                     // bites
    };
    std::int64_t rows = 0;
    std::int64_t blocks = 0;
    kind order = kind::tiled_128x4;

    [[nodiscard]] std::int64_t padded_rows() const noexcept;
    [[nodiscard]] std::int64_t padded_blocks() const noexcept;
    [[nodiscard]] std::size_t bytes() const noexcept;
    [[nodiscard]] std::size_t offset(std::int64_t row, std::int64_t block) const noexcept;
};

// A rows x cols matrix contiguous along cols (K-major, the only order block-scaled GEMMs take).
struct block_scaled_matrix {
    block_format format = block_format::nvfp4;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::vector<std::uint8_t>
        data; // NVFP4: element i = r·cols + k in byte i/2, low nibble first; MXFP8: a byte
    std::vector<std::uint8_t> scales; // the tiled 128x4 layout, padding bytes 0
    float tensor_scale = 1.0f;        // multiplies every value (NVFP4's per-tensor scale; 1 for MXFP8)

    [[nodiscard]] scale_layout
    layout(scale_layout::kind order = scale_layout::kind::tiled_128x4) const noexcept;
    [[nodiscard]] std::uint8_t code(std::int64_t r, std::int64_t k) const;
    [[nodiscard]] float scale(std::int64_t r, std::int64_t block,
                              scale_layout::kind order = scale_layout::kind::tiled_128x4) const;
    // The value cuBLASLt multiplies: element · block scale · tensor scale, the scale read with `order`.
    [[nodiscard]] double value(std::int64_t r, std::int64_t k,
                               scale_layout::kind order = scale_layout::kind::tiled_128x4) const;
};

// Quantises row-major x (rows x cols). NVFP4: tensor_scale = amax / (6·448), each block's scale the E4M3 of
// block amax / 6 / tensor_scale, elements x / (scale·tensor_scale) to E2M1. MXFP8 (OCP MX 1.0): each block's
// scale 2^(floor(log2(block amax)) - 8), elements x / scale to E4M3 (saturating). An all-zero block gets
// scale 0 (NVFP4) or 1.0 (MXFP8) and zero elements. Throws std::invalid_argument for NVFP4 with odd cols or a
// size mismatch.
[[nodiscard]] block_scaled_matrix quantize(block_format f, const std::vector<float>& x, std::int64_t rows,
                                           std::int64_t cols);

// The inverse of the tiled layout: the scale bytes as rows x blocks, row-major, padding dropped.
[[nodiscard]] std::vector<std::uint8_t> scales_row_major(const block_scaled_matrix& m);

// Every value, row-major, the scales read with `order`.
[[nodiscard]] std::vector<float> dequantize(const block_scaled_matrix& m,
                                            scale_layout::kind order = scale_layout::kind::tiled_128x4);

// Random codes with random, non-unit block scales and tensor scale (with every scale 1.0 a wrong scale layout
// could not be seen), packed as quantize() packs: the GPU engine's inputs.
[[nodiscard]] block_scaled_matrix random_block_scaled(block_format f, std::int64_t rows, std::int64_t cols,
                                                      std::uint64_t seed);

// Σ_k a(i, k) · b(j, k) in FP64: one element of A·Bᵀ for two K-major operands, the scales read with `order`.
[[nodiscard]] double dot(const block_scaled_matrix& a, std::int64_t i, const block_scaled_matrix& b,
                         std::int64_t j, scale_layout::kind order = scale_layout::kind::tiled_128x4);

} // namespace roofline
