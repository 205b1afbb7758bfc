// INT4 tensor cores: an s4 mma.sync GEMM (m16n8k64, INT32 accumulate) in the layout of
// roofline/core/int4_gemm.hpp, and a throughput probe of mma.sync per integer and float kind, which is how
// we know what s4 does on GPUs that emulate it (Hopper, Blackwell). No CUDA syntax here.
#pragma once

#include <cstdint>
#include <cuda_runtime_api.h>

namespace roofline::cuda::int4_mma {

// C (M×N INT32, N contiguous) = A (M×K s4) · B (N×K s4)ᵀ; m % 16, n % 8, k % 64 == 0 (std::invalid_argument).
void gemm(const void* a, const void* b, std::int32_t* c, std::int64_t m, std::int64_t n, std::int64_t k,
          cudaStream_t stream);

enum class mma_kind { s4_m16n8k64, s8_m16n8k32, f16_m16n8k16 };
// Issues `iterations` rounds of eight independent mma.sync per warp on `blocks` blocks of 256 threads from
// registers only; returns the operations (2·m·n·k per mma) it executed, to divide by the time of the launch.
double probe(mma_kind kind, int blocks, int iterations, std::int32_t* sink, cudaStream_t stream);

} // namespace roofline::cuda::int4_mma
