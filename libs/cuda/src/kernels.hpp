// The engine's own small GPU kernels: random inputs, the FP64 reference check, the poison scan, the test-hook
// corruption and nvbench's blocking kernel. Declared here without CUDA syntax so host-only .cpp files call
// them. Every launcher checks the launch and throws cuda_error.
#pragma once

#include <cstdint>
#include <cuda_runtime_api.h>
#include <library_types.h>

namespace roofline::cuda::kernels {

// Elements stored in `type` (CUDA_R_4F_E2M1 packs two per byte, the first in the low nibble). Floating types
// get values uniform in [-range, range) rounded to the type; integer types get integers uniform in [-range,
// range]; CUDA_R_4F_E2M1 gets uniformly random 4-bit codes (all 16 values of E2M1). Never all zeros.
void fill_random(void* data, std::int64_t elements, cudaDataType_t type, double range, std::uint64_t seed,
                 cudaStream_t stream);

// The check of D against an FP64 reference from the same stored inputs, on a grid of sample_rows ×
// sample_cols elements spread evenly over D (first and last row and column included). A(i,k) = a[i·K + k]
// when A is contiguous along K, else a[k·M + i]; B(k,j) = b[j·K + k] when B is contiguous along K, else
// b[k·N + j]; C(i,j), D(i,j) = c/d[j·M + i]. Writes pairs (d, ref) per sampled element to `pairs` (device,
// 2·sample_rows·sample_cols doubles), with ref = scale·Σ A·B + beta·C (c may be null when beta = 0).
struct reference_args {
    const void* a = nullptr;
    cudaDataType_t a_type = CUDA_R_32F;
    const void* b = nullptr;
    cudaDataType_t b_type = CUDA_R_32F;
    const void* c = nullptr;
    cudaDataType_t c_type = CUDA_R_32F;
    const void* d = nullptr;
    cudaDataType_t d_type = CUDA_R_32F;
    std::int64_t m = 0, n = 0, k = 0;
    bool a_k_major = true;
    bool b_k_major = true;
    double scale = 1.0;
    double beta = 0.0;
    int sample_rows = 0;
    int sample_cols = 0;
};
void reference_check(const reference_args& args, double* pairs, cudaStream_t stream);

// Counts elements of D that still hold the poison written before the run (or are otherwise non-finite): NaN
// or infinity for floating types, the exact poison word for INT32. Adds to *count (device).
void count_poisoned(const void* d, cudaDataType_t type, std::int64_t elements, std::uint32_t int_poison,
                    unsigned long long* count, cudaStream_t stream);

// Test hook: negates the first `rows` rows of the column-major M×N matrix D.
void corrupt_rows(void* d, cudaDataType_t type, std::int64_t m, std::int64_t n, std::int64_t rows,
                  cudaStream_t stream);

// Holds the stream until the host writes a non-zero value to *flag (mapped host memory) or timeout_ns pass
// (then *timed_out = 1), so that all the work of a timing batch is queued before the GPU starts on it.
void block_stream(const volatile int* flag, int* timed_out, std::uint64_t timeout_ns, cudaStream_t stream);

// Paced sampling: stamp() writes the GPU's global timer to *t; idle_proportional() then keeps the stream idle
// (one sleeping thread) for ratio × the time since that stamp, at most max_ns, so the work in between is
// followed by a proportional rest without the host knowing how long it took.
void stamp(std::uint64_t* t, cudaStream_t stream);
void idle_proportional(const std::uint64_t* since, double ratio, std::uint64_t max_ns, cudaStream_t stream);
// The same rest for a fixed ns.
void rest(std::uint64_t ns, cudaStream_t stream);

} // namespace roofline::cuda::kernels
