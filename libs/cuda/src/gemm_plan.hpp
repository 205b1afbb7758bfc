// From a GEMM problem (precisions of A, B and D) to what cuBLASLt is asked to run: data types, compute type,
// scale type, layout, block scaling, input ranges and the verification tolerance. Host-only and GPU-free, so
// the rules are unit-tested everywhere; cuBLASLt itself still has the last word (its heuristic may find no
// kernel).
#pragma once

#include "roofline/core/gemm.hpp"
#include "roofline/core/result.hpp"

#include <cublasLt.h>
#include <library_types.h>
#include <optional>
#include <string>
#include <vector>

namespace roofline::cuda {

struct gemm_plan {
    cudaDataType_t a_type = CUDA_R_16F;
    cudaDataType_t b_type = CUDA_R_16F;
    cudaDataType_t c_type = CUDA_R_16F; // C's type; also D's unless D is FP8
    cudaDataType_t d_type = CUDA_R_16F;
    cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
    cudaDataType_t scale_type = CUDA_R_32F; // alpha and beta
    precision_id measured_a = precision_id::fp16;
    precision_id measured_b = precision_id::fp16;
    bool tensor_scaled_fp8 = false; // FP8 inputs: per-tensor A/B scale pointers (1.0), fast-accumulation flag
    bool block_scaled = false;      // NVFP4 / MXFP8: per-block scale tensors
    int block_scale_mode = 0;       // cublasLtMatmulMatrixScale_t
    unsigned scale_block = 0;       // elements along K per scale
    bool d_scaled = false;          // FP8 output: D scale pointer keeps results in range
    bool integer = false;
    int min_cc_major = 0;      // the GPU generation the precision needs
    std::string needs_gpus;    // which GPUs have it, for the not_supported sentence
    double input_range = 1.0;  // A and B drawn from [-range, range)
    double tolerance = 0.0;    // relative L2 error allowed; 0 = exact (integers)
    std::string tolerance_why; // how the tolerance was chosen
    // Operand layouts to search, cuBLAS notation: first letter op(A), second op(B); "TN" = A and B both
    // contiguous along K (the only layout FP8/INT8 have on Hopper), "TT" = B contiguous along N (PyTorch's
    // row-major A @ B), "NN" = A contiguous along M, "NT" = both contiguous along M/N. The fastest is kept
    // and reported.
    std::vector<std::string> layouts{"TN"};
    std::vector<std::string> only_layouts; // engine_settings::only_layouts: the search is limited to these
    std::vector<std::string> notes;
};

struct plan_result {
    std::optional<gemm_plan> plan;
    disposition status = disposition::passed; // not_supported or invalid_problem when there is no plan
    std::string message;
};

// cc_major: the device's compute capability major (10 and newer have block-scaled FP4/FP8 tensor cores).
[[nodiscard]] plan_result plan_gemm(const gemm_problem& p, int cc_major, int cc_minor);

// Bytes one operand of rows × k elements takes in `type` (E2M1 packs two per byte).
[[nodiscard]] std::size_t storage_bytes(cudaDataType_t type, std::int64_t rows, std::int64_t cols);
[[nodiscard]] std::string type_name(cudaDataType_t type);
[[nodiscard]] bool a_contiguous_along_k(const std::string& layout); // op(A) = T
[[nodiscard]] bool b_contiguous_along_k(const std::string& layout); // op(B) = N
[[nodiscard]] std::string describe_layout(const std::string& layout);

} // namespace roofline::cuda
