// Device code of the engine. One kernel per job with a run-time switch on the element type instead of
// templates: these kernels touch a few MB at most outside the timed region, and one instantiation keeps
// compile time low (CI builds on two cores for several architectures).
#include "kernels.hpp"
#include "roofline/cuda/detail/cuda_check.hpp"

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

namespace roofline::cuda::kernels {
namespace {

constexpr int threads_per_block = 256;

// splitmix64: a counter-based generator, so every element is drawn independently of launch geometry.
__device__ __forceinline__ std::uint64_t mix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Uniform in [-1, 1) with 53 random bits.
__device__ __forceinline__ double uniform_pm1(std::uint64_t bits) {
    return static_cast<double>(bits >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

__device__ __forceinline__ double decode_e2m1(unsigned code) {
    // E2M1 magnitudes for codes 0..7: 0, 0.5, 1, 1.5, 2, 3, 4, 6; bit 3 is the sign.
    constexpr double magnitude[8] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0};
    const double v = magnitude[code & 7u];
    return (code & 8u) != 0 ? -v : v;
}

__device__ __forceinline__ double load(const void* p, std::int64_t i, cudaDataType_t t) {
    switch (t) {
    case CUDA_R_64F:
        return static_cast<const double*>(p)[i];
    case CUDA_R_32F:
        return static_cast<double>(static_cast<const float*>(p)[i]);
    case CUDA_R_16F:
        return static_cast<double>(__half2float(static_cast<const __half*>(p)[i]));
    case CUDA_R_16BF:
        return static_cast<double>(__bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]));
    case CUDA_R_8F_E4M3:
        return static_cast<double>(static_cast<float>(static_cast<const __nv_fp8_e4m3*>(p)[i]));
    case CUDA_R_8F_E5M2:
        return static_cast<double>(static_cast<float>(static_cast<const __nv_fp8_e5m2*>(p)[i]));
    case CUDA_R_4F_E2M1: {
        const unsigned byte = static_cast<const unsigned char*>(p)[i / 2];
        return decode_e2m1((i % 2) == 0 ? (byte & 0xFu) : (byte >> 4));
    }
    case CUDA_R_8I:
        return static_cast<double>(static_cast<const std::int8_t*>(p)[i]);
    case CUDA_R_32I:
        return static_cast<double>(static_cast<const std::int32_t*>(p)[i]);
    default:
        return __longlong_as_double(0x7FF8000000000000ll); // NaN: an unknown type can never pass
    }
}

__global__ void fill_kernel(void* data, std::int64_t elements, cudaDataType_t type, double range,
                            std::uint64_t seed) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (type == CUDA_R_4F_E2M1) {
        auto* bytes = static_cast<unsigned char*>(data);
        for (std::int64_t i = first; i < (elements + 1) / 2; i += stride) {
            bytes[i] = static_cast<unsigned char>(mix(seed ^ static_cast<std::uint64_t>(i)) & 0xFFu);
        }
        return;
    }
    for (std::int64_t i = first; i < elements; i += stride) {
        const std::uint64_t bits = mix(seed ^ (static_cast<std::uint64_t>(i) * 0xD1B54A32D192ED03ull));
        const double u = uniform_pm1(bits);
        const double v = u * range;
        switch (type) {
        case CUDA_R_64F:
            static_cast<double*>(data)[i] = v;
            break;
        case CUDA_R_32F:
            static_cast<float*>(data)[i] = static_cast<float>(v);
            break;
        case CUDA_R_16F:
            static_cast<__half*>(data)[i] = __float2half_rn(static_cast<float>(v));
            break;
        case CUDA_R_16BF:
            static_cast<__nv_bfloat16*>(data)[i] = __float2bfloat16_rn(static_cast<float>(v));
            break;
        case CUDA_R_8F_E4M3:
            static_cast<__nv_fp8_e4m3*>(data)[i] = __nv_fp8_e4m3(static_cast<float>(v));
            break;
        case CUDA_R_8F_E5M2:
            static_cast<__nv_fp8_e5m2*>(data)[i] = __nv_fp8_e5m2(static_cast<float>(v));
            break;
        case CUDA_R_8I:
        case CUDA_R_32I: {
            // Integers uniform in [-range, range].
            const auto span = static_cast<std::uint64_t>(2.0 * range + 1.0);
            const auto r = static_cast<std::int64_t>((bits >> 11) % span) - static_cast<std::int64_t>(range);
            if (type == CUDA_R_8I) {
                static_cast<std::int8_t*>(data)[i] = static_cast<std::int8_t>(r);
            } else {
                static_cast<std::int32_t*>(data)[i] = static_cast<std::int32_t>(r);
            }
            break;
        }
        default:
            break;
        }
    }
}

__device__ __forceinline__ std::int64_t spread_index(int s, int count, std::int64_t extent) {
    // count samples spread evenly over [0, extent), first and last included; every index when extent <=
    // count.
    // The host's spread_index (block_scaled_reference.cpp) is the same formula: both must sample alike.
    if (extent <= count) {
        return s;
    }
    return count == 1 ? 0 : static_cast<std::int64_t>(s) * (extent - 1) / (count - 1);
}

// One warp per sampled element: the lanes stride over K and reduce in FP64 (the loads coalesce for operands
// contiguous along K; the others are strided, which costs little at 64 × 64 elements).
__global__ void reference_kernel(reference_args args, double* pairs) {
    const int warp =
        static_cast<int>((static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32);
    const int lane = static_cast<int>(threadIdx.x % 32);
    const int total = args.sample_rows * args.sample_cols;
    if (warp >= total) {
        return;
    }
    const std::int64_t i = spread_index(warp / args.sample_cols, args.sample_rows, args.m);
    const std::int64_t j = spread_index(warp % args.sample_cols, args.sample_cols, args.n);
    double sum = 0.0;
    for (std::int64_t kk = lane; kk < args.k; kk += 32) {
        const std::int64_t at_a = args.a_k_major ? i * args.k + kk : kk * args.m + i;
        const std::int64_t at_b = args.b_k_major ? j * args.k + kk : kk * args.n + j;
        sum += load(args.a, at_a, args.a_type) * load(args.b, at_b, args.b_type);
    }
    for (int offset = 16; offset > 0; offset /= 2) {
        sum += __shfl_down_sync(0xFFFFFFFFu, sum, offset);
    }
    if (lane == 0) {
        const std::int64_t at = j * args.m + i;
        double ref = args.scale * sum;
        if (args.beta != 0.0 && args.c != nullptr) {
            ref += args.beta * load(args.c, at, args.c_type);
        }
        pairs[2 * warp] = load(args.d, at, args.d_type);
        pairs[2 * warp + 1] = ref;
    }
}

__global__ void poison_scan_kernel(const void* d, cudaDataType_t type, std::int64_t elements,
                                   std::uint32_t int_poison, unsigned long long* count) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    unsigned long long local = 0;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < elements;
         i += stride) {
        if (type == CUDA_R_32I) {
            local += static_cast<const std::uint32_t*>(d)[i] == int_poison ? 1u : 0u;
        } else {
            const double v = load(d, i, type);
            local += (isnan(v) || isinf(v)) ? 1u : 0u;
        }
    }
    for (int offset = 16; offset > 0; offset /= 2) {
        local += __shfl_down_sync(0xFFFFFFFFu, local, offset);
    }
    if (threadIdx.x % 32 == 0 && local != 0) {
        atomicAdd(count, local);
    }
}

__global__ void corrupt_kernel(void* d, cudaDataType_t type, std::int64_t m, std::int64_t n,
                               std::int64_t rows) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < rows * n;
         e += stride) {
        const std::int64_t at = (e / rows) * m + (e % rows);
        switch (type) {
        case CUDA_R_64F:
            static_cast<double*>(d)[at] = -static_cast<double*>(d)[at];
            break;
        case CUDA_R_32F:
            static_cast<float*>(d)[at] = -static_cast<float*>(d)[at];
            break;
        case CUDA_R_32I:
            static_cast<std::int32_t*>(d)[at] = -static_cast<std::int32_t*>(d)[at];
            break;
        case CUDA_R_16F:
        case CUDA_R_16BF:
            static_cast<std::uint16_t*>(d)[at] ^= 0x8000u; // sign bit
            break;
        default: // one-byte floating types: the sign is the top bit
            static_cast<std::uint8_t*>(d)[at] ^= 0x80u;
            break;
        }
    }
}

__device__ __forceinline__ std::uint64_t global_timer_ns() {
    std::uint64_t t = 0;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

__global__ void block_kernel(const volatile int* flag, int* timed_out, std::uint64_t timeout_ns) {
    const std::uint64_t start = global_timer_ns();
    while (*flag == 0) {
        if (global_timer_ns() - start > timeout_ns) {
            *timed_out = 1;
            break;
        }
        __nanosleep(500);
    }
}

__global__ void stamp_kernel(std::uint64_t* t) {
    *t = global_timer_ns();
}

// One thread, mostly asleep: the SMs draw next to nothing while it waits, so the GPU's average power falls.
// since == nullptr: rest max_ns.
__global__ void idle_kernel(const std::uint64_t* since, double ratio, std::uint64_t max_ns) {
    const std::uint64_t now = global_timer_ns();
    std::uint64_t wanted = max_ns;
    if (since != nullptr) {
        const std::uint64_t busy = now > *since ? now - *since : 0;
        wanted = static_cast<std::uint64_t>(ratio * static_cast<double>(busy));
    }
    const std::uint64_t until = now + (wanted < max_ns ? wanted : max_ns);
    while (global_timer_ns() < until) {
        __nanosleep(2000);
    }
}

int grid_for(std::int64_t work) {
    const std::int64_t blocks = (work + threads_per_block - 1) / threads_per_block;
    // Grid-stride loops: a few waves of blocks is enough for these memory-bound kernels.
    return static_cast<int>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

} // namespace

void fill_random(void* data, std::int64_t elements, cudaDataType_t type, double range, std::uint64_t seed,
                 cudaStream_t stream) {
    fill_kernel<<<grid_for(elements), threads_per_block, 0, stream>>>(data, elements, type, range, seed);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void reference_check(const reference_args& args, double* pairs, cudaStream_t stream) {
    const std::int64_t threads = static_cast<std::int64_t>(args.sample_rows) * args.sample_cols * 32;
    reference_kernel<<<grid_for(threads), threads_per_block, 0, stream>>>(args, pairs);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void count_poisoned(const void* d, cudaDataType_t type, std::int64_t elements, std::uint32_t int_poison,
                    unsigned long long* count, cudaStream_t stream) {
    poison_scan_kernel<<<grid_for(elements), threads_per_block, 0, stream>>>(d, type, elements, int_poison,
                                                                             count);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void corrupt_rows(void* d, cudaDataType_t type, std::int64_t m, std::int64_t n, std::int64_t rows,
                  cudaStream_t stream) {
    corrupt_kernel<<<grid_for(rows * n), threads_per_block, 0, stream>>>(d, type, m, n, rows);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void block_stream(const volatile int* flag, int* timed_out, std::uint64_t timeout_ns, cudaStream_t stream) {
    block_kernel<<<1, 1, 0, stream>>>(flag, timed_out, timeout_ns);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void stamp(std::uint64_t* t, cudaStream_t stream) {
    stamp_kernel<<<1, 1, 0, stream>>>(t);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void rest(std::uint64_t ns, cudaStream_t stream) {
    idle_kernel<<<1, 1, 0, stream>>>(nullptr, 0.0, ns);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void idle_proportional(const std::uint64_t* since, double ratio, std::uint64_t max_ns, cudaStream_t stream) {
    idle_kernel<<<1, 1, 0, stream>>>(since, ratio, max_ns);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

} // namespace roofline::cuda::kernels
