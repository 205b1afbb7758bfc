// Our W4A16 GEMM: out[m][n] = Σ_k x[m][k] · (code(n,k) - 8) · scale[k/group][n], INT4 weights in the packed
// layout of roofline/core/w4a16.hpp, FP16 or BF16 activations, scales and output, FP32 accumulation.
// Declared without CUDA syntax so host .cpp files call it; every launcher checks its launch and throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda_runtime_api.h>
#include <library_types.h>
#include <string>

namespace roofline::cuda::w4a16 {

// How the work is cut, chosen by choose_config() or forced by a tuning run. Values outside the compiled set
// are refused with std::invalid_argument. A block is 8 warps on the same `tiles` row tiles (16 rows of N
// each), the warps taking turns along K; each warp keeps two steps of `depth` chunks (64 wide) per tile in
// flight.
struct config {
    int tiles = 1;  // row tiles per warp and block: 1, 2 or 4 (x fragments reused across them)
    int depth = 8;  // chunks per tile per step: tiles·depth is 4 or 8
    int splits = 1; // blocks along K; > 1 reduces through the FP32 workspace (atomics, last block writes)
    int stages = 0; // 0: the register kernel (one step in flight per warp); 3, 4 or 6: the cp.async ring
    // The bulk kernel (copy engine, 8 chunks per tile per stage, depth unused; stages 3, 4, 6 or 8).
    bool bulk = false;
    // The lean kernel (the register kernel without per-chunk index arithmetic; w4a16.cu says why): 0 = off,
    // else 1000·X + 100·S + 10·G + B: X = 1 loads the activations a step ahead with the weights (else when
    // the step is multiplied), S register stages (0 means 2: one step in flight while one is multiplied), G
    // chunks per scale step (1, or 2 where the group is a multiple of 128), B blocks per SM in its launch
    // bounds (2, 3 or 4). Needs n a multiple of 16·tiles; depth and stages unused.
    int lean = 0;
};

struct gemm_args {
    const void* x = nullptr;          // M×K, K contiguous
    const void* w = nullptr;          // packed INT4, N·K/2 bytes
    const void* scales = nullptr;     // [K/group][N]
    void* out = nullptr;              // element (m, n) at out[m·out_stride_m + n·out_stride_n]
    cudaDataType_t type = CUDA_R_16F; // of x, scales and out: CUDA_R_16F or CUDA_R_16BF
    std::int64_t m = 0, n = 0, k = 0;
    std::int64_t group = 128;
    std::int64_t out_stride_m = 0, out_stride_n = 1;
    void* workspace =
        nullptr; // workspace_bytes(m, n); zeroed once before the first call, left zeroed after each
};

// A wave-filling rule: tiles by M (x traffic from L2 against the weight's), splits along K until every SM
// holds two blocks.
[[nodiscard]] config choose_config(std::int64_t m, std::int64_t n, std::int64_t k, int sm_count);
// FP32 partial sums for M×N plus one counter per output tile.
[[nodiscard]] std::size_t workspace_bytes(std::int64_t m, std::int64_t n);
void gemm(const gemm_args& args, const config& cfg, cudaStream_t stream);
// The configuration in words, for a result's algorithm field (group decides the lean kernel's G).
[[nodiscard]] std::string describe(const config& cfg, std::int64_t group);

// W as `type` (N×K, K contiguous): the large-M path dequantises once and hands the GEMM to cuBLASLt.
void dequantize(const void* w, const void* scales, void* out, cudaDataType_t type, std::int64_t n,
                std::int64_t k, std::int64_t group, cudaStream_t stream);

// codes: N×K bytes (0..15) on the device; writes the packed layout to w (N·K/2 bytes).
void pack(const std::uint8_t* codes, void* w, std::int64_t n, std::int64_t k, cudaStream_t stream);

// The check: for a grid of sample_rows × sample_cols outputs spread over M×N (first and last included),
// writes pairs (out, reference) as doubles, the reference in FP64 from the stored codes, scales and x.
void reference_check(const gemm_args& args, double* pairs, int sample_rows, int sample_cols,
                     cudaStream_t stream);

} // namespace roofline::cuda::w4a16
