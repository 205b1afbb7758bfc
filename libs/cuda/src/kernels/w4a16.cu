// Our W4A16 GEMM for decode and small batches (M up to 16 per block, more by stacking M chunks).
//
// Shape of the kernel (why each choice):
// - The weight is the mma's A operand (16 rows of N × 16 of K) and the activations the B operand (8 columns
//   of M): at M = 1..8 one m16n8k16 wastes at most 7/8 of the tensor core instead of 15/16, and the weight,
//   which is the whole of the traffic, maps onto the fragment that holds the most values per lane.
// - The weight is packed offline (roofline/core/w4a16_layout.hpp) so that each lane's 16-byte load is its A
// fragment
//   of four k-tiles; loads go straight to registers with an L2 evict-first hint and no L1 allocation (each
//   byte is read once), issued for the whole slab before anything waits on them.
// - Codes become FP16/BF16 with the "magic number" trick: OR the nibbles into the mantissa of 1024 (FP16) or
//   128 (BF16) and subtract the offset, two to four integer and one half2 operation per four values.
// - The group scale is applied to each 64-wide chunk's FP32 partial sum, not to the weights: four FMAs per
//   chunk instead of a multiply per weight, and no rounding of the scaled weight to 16 bits.
// - Activations of the slab are staged once per block in shared memory and read with ldmatrix by every warp
//   of the block, so their L2 traffic stays well below the weight's DRAM traffic.
// - K is split over blocks when N alone gives too few blocks to keep every SM's loads in flight; the partial
//   sums meet in an FP32 workspace through atomics, and the last block of an output tile converts and clears
//   it, so one launch does the whole GEMM.
#include "cuda_call.hpp"
#include "kernels/w4a16.hpp"
#include "roofline/core/w4a16_layout.hpp"

#include <algorithm>
#include <cmath>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdexcept>
#include <string>

namespace roofline::cuda::w4a16 {
namespace {

namespace layout = roofline::w4a16;

constexpr int block_threads = 256;
constexpr int block_warps = block_threads / 32;

struct params {
    const void* x;
    const uint4* w;
    const void* scales;
    void* out;
    std::int64_t m, n, k, group, out_stride_m, out_stride_n;
    float* partial;
    unsigned* counters;
    std::int64_t chunks_per_split;
    int splits;
};

__device__ __forceinline__ std::uint32_t as_u32(__half2 h) {
    return *reinterpret_cast<std::uint32_t*>(&h);
}
__device__ __forceinline__ std::uint32_t as_u32(__nv_bfloat162 h) {
    return *reinterpret_cast<std::uint32_t*>(&h);
}
__device__ __forceinline__ __half2 as_h2(std::uint32_t u) {
    return *reinterpret_cast<__half2*>(&u);
}
__device__ __forceinline__ __nv_bfloat162 as_b2(std::uint32_t u) {
    return *reinterpret_cast<__nv_bfloat162*>(&u);
}

template <typename T>
struct ops;

template <>
struct ops<__half> {
    // a[0..3] = codes {0,4}, {1,5}, {2,6}, {3,7} of q as (code - 8) in FP16.
    static __device__ __forceinline__ void dequant(std::uint32_t q, std::uint32_t (&a)[4]) {
        constexpr std::uint32_t lo = 0x000F000Fu, hi = 0x00F000F0u, magic = 0x64006400u; // 1024 in FP16
        const std::uint32_t q8 = q >> 8;
        a[0] = as_u32(__hsub2(as_h2((q & lo) | magic), as_h2(0x64086408u)));                     // - 1032
        a[1] = as_u32(__hfma2(as_h2((q & hi) | magic), as_h2(0x2C002C00u), as_h2(0xD480D480u))); // /16 - 72
        a[2] = as_u32(__hsub2(as_h2((q8 & lo) | magic), as_h2(0x64086408u)));
        a[3] = as_u32(__hfma2(as_h2((q8 & hi) | magic), as_h2(0x2C002C00u), as_h2(0xD480D480u)));
    }
    static __device__ __forceinline__ void mma(float (&d)[4], const std::uint32_t (&a)[4], std::uint32_t b0,
                                               std::uint32_t b1) {
        asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
    static __device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
    static __device__ __forceinline__ __half from_float(float v) { return __float2half_rn(v); }
};

template <>
struct ops<__nv_bfloat16> {
    static __device__ __forceinline__ void dequant(std::uint32_t q, std::uint32_t (&a)[4]) {
        // BF16 has 7 mantissa bits: a nibble fits under 128 only at bits 0..3, so shift each pair down.
        constexpr std::uint32_t lo = 0x000F000Fu, magic = 0x43004300u; // 128 in BF16
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            a[i] = as_u32(__hsub2(as_b2(((q >> (4 * i)) & lo) | magic), as_b2(0x43084308u))); // - 136
        }
    }
    static __device__ __forceinline__ void mma(float (&d)[4], const std::uint32_t (&a)[4], std::uint32_t b0,
                                               std::uint32_t b1) {
        asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
    static __device__ __forceinline__ float to_float(__nv_bfloat16 v) {
        return __bfloat162float(v);
    }
    static __device__ __forceinline__ __nv_bfloat16 from_float(float v) {
        return __float2bfloat16_rn(v);
    }
};

__device__ __forceinline__ uint4 load_stream(const uint4* p, std::uint64_t policy) {
    uint4 v;
    asm volatile("ld.global.nc.L1::no_allocate.L2::cache_hint.v4.u32 {%0,%1,%2,%3}, [%4], %5;"
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                 : "l"(p), "l"(policy));
    return v;
}

__device__ __forceinline__ void ldmatrix_x4(std::uint32_t* r, std::uint32_t addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

// The end of both kernels: the WK warps of one row tile meet in shared memory (x's space, no longer
// needed), then the block writes its outputs, or adds them into the workspace when K is split.
template <typename T, int MT, int WN>
__device__ __forceinline__ void finish(const params& p, const float (&acc)[MT][4], uint4* smem_raw,
                                       int& am_last) {
    constexpr int WK = block_warps / WN;
    constexpr int MROWS = 8 * MT;
    const int warp = static_cast<int>(threadIdx.x) >> 5;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const int wn = warp % WN;
    const int wk = warp / WN;
    const int g = lane >> 2;
    const int t = lane & 3;
    const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * MROWS;
    const int mrows = static_cast<int>(p.m - m0 < MROWS ? p.m - m0 : MROWS);
    __syncthreads();
    float* red = reinterpret_cast<float*>(smem_raw);
    {
        const int base = (wk * WN + wn) * 16;
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
            red[(base + g) * MROWS + mt * 8 + 2 * t] = acc[mt][0];
            red[(base + g) * MROWS + mt * 8 + 2 * t + 1] = acc[mt][1];
            red[(base + g + 8) * MROWS + mt * 8 + 2 * t] = acc[mt][2];
            red[(base + g + 8) * MROWS + mt * 8 + 2 * t + 1] = acc[mt][3];
        }
    }
    __syncthreads();
    T* out = static_cast<T*>(p.out);
    const int outputs = WN * 16 * mrows;
    const std::int64_t n0 = static_cast<std::int64_t>(blockIdx.y) * WN * 16;
    for (int i = static_cast<int>(threadIdx.x); i < outputs; i += block_threads) {
        const int nl = i / mrows;
        const int ml = i % mrows;
        float v = 0.0f;
#pragma unroll
        for (int w = 0; w < WK; ++w) {
            v += red[(w * WN * 16 + nl) * MROWS + ml];
        }
        const std::int64_t n = n0 + nl;
        const std::int64_t m = m0 + ml;
        if (n >= p.n) {
            continue;
        }
        if (p.splits == 1) {
            out[m * p.out_stride_m + n * p.out_stride_n] = ops<T>::from_float(v);
        } else {
            atomicAdd(p.partial + m * p.n + n, v);
        }
    }
    if (p.splits == 1) {
        return;
    }
    // threadFenceReduction: the last block to add into this output tile writes it and clears the workspace.
    __threadfence();
    __syncthreads();
    unsigned* counter = p.counters + static_cast<std::int64_t>(blockIdx.y) * gridDim.x + blockIdx.x;
    if (threadIdx.x == 0) {
        am_last = atomicAdd(counter, 1u) == static_cast<unsigned>(p.splits - 1) ? 1 : 0;
    }
    __syncthreads();
    if (am_last == 0) {
        return;
    }
    __threadfence();
    for (int i = static_cast<int>(threadIdx.x); i < outputs; i += block_threads) {
        const int nl = i / mrows;
        const int ml = i % mrows;
        const std::int64_t n = n0 + nl;
        const std::int64_t m = m0 + ml;
        if (n >= p.n) {
            continue;
        }
        float* cell = p.partial + m * p.n + n;
        const float v = __ldcg(cell);
        __stcg(cell, 0.0f);
        out[m * p.out_stride_m + n * p.out_stride_n] = ops<T>::from_float(v);
    }
    if (threadIdx.x == 0) {
        *counter = 0;
    }
}

// ---- the slab kernel: the one measured on the H200 (bench/w4a16/results), the engine's default ----
// MT: m-subtiles of 8 per block (1 or 2); WN: warps along N; KW: chunks per warp per slab. Each slab: every
// warp requests its KW chunks, the block stages the slab's x, then converts and multiplies.
template <int MT, int KW>
constexpr int slab_smem_bytes(int warps_n) {
    return 8 * MT * ((block_warps / warps_n) * KW * 64 + 8) * 2;
}

template <typename T, int MT, int WN, int KW>
__global__ void __launch_bounds__(block_threads) slab_kernel(params p) {
    constexpr int WK = block_warps / WN;
    constexpr int MROWS = 8 * MT;
    constexpr int SLAB_CHUNKS = WK * KW;
    constexpr int SLAB = SLAB_CHUNKS * 64;
    constexpr int XS = SLAB + 8; // padded row: ldmatrix's eight row addresses fall in distinct banks
    extern __shared__ uint4 smem_raw[];
    T* sx = reinterpret_cast<T*>(smem_raw);
    __shared__ int am_last;

    const int warp = static_cast<int>(threadIdx.x) >> 5;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const int wn = warp % WN;
    const int wk = warp / WN;
    const int g = lane >> 2;
    const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * MROWS;
    const int mrows = static_cast<int>(p.m - m0 < MROWS ? p.m - m0 : MROWS);
    const std::int64_t tile = static_cast<std::int64_t>(blockIdx.y) * WN + wn;
    const bool tile_valid = tile * 16 < p.n;
    const std::int64_t chunks_k = p.k / 64;
    const std::int64_t kc_begin = static_cast<std::int64_t>(blockIdx.z) * p.chunks_per_split;
    const std::int64_t kc_end =
        kc_begin + p.chunks_per_split < chunks_k ? kc_begin + p.chunks_per_split : chunks_k;
    const T* x = static_cast<const T*>(p.x);
    const T* scales = static_cast<const T*>(p.scales);

    std::uint64_t policy;
    asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));

    // Rows of M beyond the problem stay zero for the whole kernel (the mma reads all eight columns).
    for (int i = static_cast<int>(threadIdx.x); i < (MROWS - mrows) * XS; i += block_threads) {
        sx[mrows * XS + i] = ops<T>::from_float(0.0f);
    }
    const auto sx_base = static_cast<std::uint32_t>(__cvta_generic_to_shared(sx));

    float acc[MT][4] = {};
    for (std::int64_t kc0 = kc_begin; kc0 < kc_end; kc0 += SLAB_CHUNKS) {
        const std::int64_t my_kc = kc0 + static_cast<std::int64_t>(wk) * KW;
        uint4 wq[KW];
        float s_lo[KW];
        float s_hi[KW];
        if (tile_valid) {
            const uint4* wp = p.w + (tile * chunks_k + my_kc) * 32 + lane;
#pragma unroll
            for (int j = 0; j < KW; ++j) {
                if (my_kc + j < kc_end) {
                    wq[j] = load_stream(wp + j * 32, policy);
                }
            }
#pragma unroll
            for (int j = 0; j < KW; ++j) {
                if (my_kc + j < kc_end) {
                    const T* sp = scales + ((my_kc + j) * 64 / p.group) * p.n + tile * 16 + g;
                    s_lo[j] = ops<T>::to_float(sp[0]);
                    s_hi[j] = ops<T>::to_float(sp[8]);
                }
            }
        }
        __syncthreads(); // every warp is done reading the previous slab of x
        const std::int64_t kbase = kc0 * 64;
        for (int i = static_cast<int>(threadIdx.x); i < mrows * (SLAB / 8); i += block_threads) {
            const int r = i / (SLAB / 8);
            const int c = (i % (SLAB / 8)) * 8;
            uint4 v = make_uint4(0, 0, 0, 0);
            if (kbase + c < p.k) {
                v = *reinterpret_cast<const uint4*>(x + (m0 + r) * p.k + kbase + c);
            }
            *reinterpret_cast<uint4*>(sx + r * XS + c) = v;
        }
        __syncthreads();
        if (tile_valid) {
#pragma unroll
            for (int j = 0; j < KW; ++j) {
                if (my_kc + j >= kc_end) {
                    break;
                }
                const int kl = (wk * KW + j) * 64;
                std::uint32_t b[MT][8];
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    const std::uint32_t addr =
                        sx_base +
                        static_cast<std::uint32_t>(((mt * 8 + (lane & 7)) * XS + kl + (lane >> 3) * 8) *
                                                   static_cast<int>(sizeof(T)));
                    ldmatrix_x4(&b[mt][0], addr);
                    ldmatrix_x4(&b[mt][4], addr + 32 * sizeof(T));
                }
                const std::uint32_t words[4] = {wq[j].x, wq[j].y, wq[j].z, wq[j].w};
                float part[MT][4] = {};
#pragma unroll
                for (int kt = 0; kt < 4; ++kt) {
                    std::uint32_t a[4];
                    ops<T>::dequant(words[kt], a);
#pragma unroll
                    for (int mt = 0; mt < MT; ++mt) {
                        ops<T>::mma(part[mt], a, b[mt][2 * kt], b[mt][2 * kt + 1]);
                    }
                }
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    acc[mt][0] = fmaf(s_lo[j], part[mt][0], acc[mt][0]);
                    acc[mt][1] = fmaf(s_lo[j], part[mt][1], acc[mt][1]);
                    acc[mt][2] = fmaf(s_hi[j], part[mt][2], acc[mt][2]);
                    acc[mt][3] = fmaf(s_hi[j], part[mt][3], acc[mt][3]);
                }
            }
        }
    }
    finish<T, MT, WN>(p, acc, smem_raw, am_last);
}

template <typename T, int MT, int WN, int KW>
void slab_one(const params& p, dim3 grid, cudaStream_t stream) {
    constexpr int bytes = slab_smem_bytes<MT, KW>(WN);
    static const bool configured = [] {
        ROOFLINE_CUDA_CALL(cudaFuncSetAttribute(slab_kernel<T, MT, WN, KW>,
                                                cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
        return true;
    }();
    (void)configured;
    slab_kernel<T, MT, WN, KW><<<grid, block_threads, bytes, stream>>>(p);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

template <typename T, int MT, int KW>
void slab_wn(const params& p, int warps_n, dim3 grid, cudaStream_t s) {
    switch (warps_n) {
    case 8:
        return slab_one<T, MT, 8, KW>(p, grid, s);
    case 4:
        return slab_one<T, MT, 4, KW>(p, grid, s);
    case 2:
        return slab_one<T, MT, 2, KW>(p, grid, s);
    default:
        throw std::invalid_argument("W4A16: warps_n = " + std::to_string(warps_n) + " must be 8, 4 or 2");
    }
}

template <typename T>
void launch_slab(const params& p, int mt, const config& cfg, dim3 grid, cudaStream_t s) {
    if (cfg.chunks != 4 && cfg.chunks != 8) {
        throw std::invalid_argument("W4A16: chunks = " + std::to_string(cfg.chunks) + " must be 4 or 8");
    }
    if (mt == 1) {
        return cfg.chunks == 4 ? slab_wn<T, 1, 4>(p, cfg.warps_n, grid, s)
                               : slab_wn<T, 1, 8>(p, cfg.warps_n, grid, s);
    }
    return cfg.chunks == 4 ? slab_wn<T, 2, 4>(p, cfg.warps_n, grid, s)
                           : slab_wn<T, 2, 8>(p, cfg.warps_n, grid, s);
}

// ---- the pipelined kernel (config::pipelined): not yet measured on a GPU, see bench/w4a16/README.md ----
// MT: m-subtiles of 8 per block (1 or 2); WN: warps along N; KW: chunks per warp per step. The block's whole
// slice of x (its rows of M × its K range) is staged once; then every warp streams its weight chunks with the
// next step's loads in flight while it converts and multiplies the current one, with no barrier in the loop.
template <typename T, int MT, int WN, int KW>
__global__ void __launch_bounds__(block_threads, 2) pipelined_kernel(params p) {
    constexpr int WK = block_warps / WN;
    constexpr int MROWS = 8 * MT;
    constexpr int STEP = WK * KW; // chunks the block's warps take per step along K
    extern __shared__ uint4 smem_raw[];
    __shared__ uint4 zero_row; // ldmatrix rows past the problem's M point here
    __shared__ int am_last;

    const int warp = static_cast<int>(threadIdx.x) >> 5;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const int wn = warp % WN;
    const int wk = warp / WN;
    const int g = lane >> 2;
    const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * MROWS;
    const int mrows = static_cast<int>(p.m - m0 < MROWS ? p.m - m0 : MROWS);
    const std::int64_t tile = static_cast<std::int64_t>(blockIdx.y) * WN + wn;
    const bool tile_valid = tile * 16 < p.n;
    const std::int64_t chunks_k = p.k / 64;
    const std::int64_t kc_begin = static_cast<std::int64_t>(blockIdx.z) * p.chunks_per_split;
    const std::int64_t kc_end =
        kc_begin + p.chunks_per_split < chunks_k ? kc_begin + p.chunks_per_split : chunks_k;
    const int span_k = static_cast<int>(kc_end - kc_begin) * 64;
    const int xs = span_k + 8; // padded row: ldmatrix's eight row addresses fall in distinct banks
    const T* x = static_cast<const T*>(p.x);
    const T* scales = static_cast<const T*>(p.scales);
    T* sx = reinterpret_cast<T*>(smem_raw);

    std::uint64_t policy;
    asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));

    const uint4* wp = p.w + (tile * chunks_k + kc_begin + static_cast<std::int64_t>(wk) * KW) * 32 + lane;
    const T* sp = scales + tile * 16 + g;
    uint4 wq[KW];
    T s_lo[KW];
    T s_hi[KW];
    // The first step's weights are requested before x is staged, so the two latencies overlap.
    auto fetch = [&](std::int64_t step, uint4(&w)[KW], T(&lo)[KW], T(&hi)[KW]) {
#pragma unroll
        for (int j = 0; j < KW; ++j) {
            const std::int64_t kc = kc_begin + step * STEP + wk * KW + j;
            if (tile_valid && kc < kc_end) {
                w[j] = load_stream(wp + (step * STEP + j) * 32, policy);
                const T* s = sp + (kc * 64 / p.group) * p.n;
                lo[j] = s[0];
                hi[j] = s[8];
            }
        }
    };
    fetch(0, wq, s_lo, s_hi);

    for (int i = static_cast<int>(threadIdx.x); i < mrows * (span_k / 8); i += block_threads) {
        const int r = i / (span_k / 8);
        const int c = (i % (span_k / 8)) * 8;
        *reinterpret_cast<uint4*>(sx + r * xs + c) =
            *reinterpret_cast<const uint4*>(x + (m0 + r) * p.k + kc_begin * 64 + c);
    }
    if (threadIdx.x == 0) {
        zero_row = make_uint4(0, 0, 0, 0);
    }
    __syncthreads();

    const auto sx_base = static_cast<std::uint32_t>(__cvta_generic_to_shared(sx));
    const auto zero_addr = static_cast<std::uint32_t>(__cvta_generic_to_shared(&zero_row));
    std::uint32_t row_addr[MT];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
        const int r = mt * 8 + (lane & 7);
        row_addr[mt] =
            r < mrows ? sx_base + static_cast<std::uint32_t>((r * xs + (lane >> 3) * 8) * 2) : zero_addr;
    }
    // A lane whose row is zero reads the same 16 bytes whatever the column: its column step is 0.
    std::uint32_t col_bytes[MT];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
        col_bytes[mt] = mt * 8 + (lane & 7) < mrows ? 2u : 0u;
    }

    float acc[MT][4] = {};
    const std::int64_t steps = (kc_end - kc_begin + STEP - 1) / STEP;
    for (std::int64_t step = 0; step < steps && tile_valid; ++step) {
        uint4 nq[KW];
        T n_lo[KW];
        T n_hi[KW];
        if (step + 1 < steps) {
            fetch(step + 1, nq, n_lo, n_hi);
        }
#pragma unroll
        for (int j = 0; j < KW; ++j) {
            const int local = static_cast<int>(step) * STEP + wk * KW + j; // chunk within the block's range
            if (kc_begin + local >= kc_end) {
                break;
            }
            std::uint32_t b[MT][8];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                const std::uint32_t addr =
                    row_addr[mt] + static_cast<std::uint32_t>(local * 64) * col_bytes[mt];
                ldmatrix_x4(&b[mt][0], addr);
                ldmatrix_x4(&b[mt][4], addr + 32 * col_bytes[mt]);
            }
            const std::uint32_t words[4] = {wq[j].x, wq[j].y, wq[j].z, wq[j].w};
            float part[MT][4] = {};
#pragma unroll
            for (int kt = 0; kt < 4; ++kt) {
                std::uint32_t a[4];
                ops<T>::dequant(words[kt], a);
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    ops<T>::mma(part[mt], a, b[mt][2 * kt], b[mt][2 * kt + 1]);
                }
            }
            const float lo = ops<T>::to_float(s_lo[j]);
            const float hi = ops<T>::to_float(s_hi[j]);
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                acc[mt][0] = fmaf(lo, part[mt][0], acc[mt][0]);
                acc[mt][1] = fmaf(lo, part[mt][1], acc[mt][1]);
                acc[mt][2] = fmaf(hi, part[mt][2], acc[mt][2]);
                acc[mt][3] = fmaf(hi, part[mt][3], acc[mt][3]);
            }
        }
#pragma unroll
        for (int j = 0; j < KW; ++j) {
            wq[j] = nq[j];
            s_lo[j] = n_lo[j];
            s_hi[j] = n_hi[j];
        }
    }

    finish<T, MT, WN>(p, acc, smem_raw, am_last);
}

// Shared memory of one block: its x slice, or the WK-way reduction when that is larger.
int smem_bytes(int mrows, std::int64_t chunks_per_split, int mt) {
    const std::int64_t x_bytes = static_cast<std::int64_t>(mrows) * (chunks_per_split * 64 + 8) * 2;
    const std::int64_t red_bytes = static_cast<std::int64_t>(block_warps) * 16 * 8 * mt * 4;
    return static_cast<int>(std::max(x_bytes, red_bytes));
}

constexpr int max_smem = 96 * 1024; // two blocks per SM (the register bound) fit in 228 KiB

template <typename T, int MT, int WN, int KW>
void pipelined_one(const params& p, dim3 grid, int smem, cudaStream_t stream) {
    static const bool configured = [] {
        ROOFLINE_CUDA_CALL(cudaFuncSetAttribute(pipelined_kernel<T, MT, WN, KW>,
                                                cudaFuncAttributeMaxDynamicSharedMemorySize, max_smem));
        return true;
    }();
    (void)configured;
    pipelined_kernel<T, MT, WN, KW><<<grid, block_threads, smem, stream>>>(p);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

template <typename T, int MT, int KW>
void pipelined_wn(const params& p, int warps_n, dim3 grid, int smem, cudaStream_t s) {
    switch (warps_n) {
    case 8:
        return pipelined_one<T, MT, 8, KW>(p, grid, smem, s);
    case 4:
        return pipelined_one<T, MT, 4, KW>(p, grid, smem, s);
    case 2:
        return pipelined_one<T, MT, 2, KW>(p, grid, smem, s);
    default:
        throw std::invalid_argument("W4A16: warps_n = " + std::to_string(warps_n) + " must be 8, 4 or 2");
    }
}

template <typename T>
void launch_pipelined(const params& p, int mt, const config& cfg, dim3 grid, int smem, cudaStream_t s) {
    if (cfg.chunks != 2 && cfg.chunks != 4) {
        throw std::invalid_argument("W4A16: chunks = " + std::to_string(cfg.chunks) + " must be 2 or 4");
    }
    if (mt == 1) {
        return cfg.chunks == 2 ? pipelined_wn<T, 1, 2>(p, cfg.warps_n, grid, smem, s)
                               : pipelined_wn<T, 1, 4>(p, cfg.warps_n, grid, smem, s);
    }
    return cfg.chunks == 2 ? pipelined_wn<T, 2, 2>(p, cfg.warps_n, grid, smem, s)
                           : pipelined_wn<T, 2, 4>(p, cfg.warps_n, grid, smem, s);
}

// ---- dequantise, pack, reference ----

// One thread per lane-word of the packed layout: the inverse of layout::position for 8 nibbles.
template <typename T>
__global__ void dequant_kernel(const std::uint32_t* w, const T* scales, T* out, std::int64_t n,
                               std::int64_t k, std::int64_t group) {
    const std::int64_t words = n * k / 8;
    const std::int64_t chunks_k = k / 64;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words;
         i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
        const std::int64_t chunk = i / 128; // 32 lanes × 4 words
        const int lane = static_cast<int>((i % 128) / 4);
        const int word = static_cast<int>(i % 4);
        const std::int64_t tile = chunk / chunks_k;
        const std::int64_t kc = chunk % chunks_k;
        const int g = lane >> 2;
        const int t = lane & 3;
        const std::uint32_t q = w[i];
        const std::int64_t col0 = kc * 64 + word * 16 + 2 * t;
        const float s_lo = ops<T>::to_float(scales[(col0 / group) * n + tile * 16 + g]);
        const float s_hi = ops<T>::to_float(scales[(col0 / group) * n + tile * 16 + g + 8]);
        // Nibbles i and i + 4 are neighbours along K (columns c and c + 1): one 32-bit store for the pair.
#pragma unroll
        for (int nib = 0; nib < 4; ++nib) {
            const int hi = nib & 1;
            const int half = nib >> 1;
            const std::int64_t row = tile * 16 + g + 8 * hi;
            const std::int64_t col = col0 + 8 * half;
            const float s = hi != 0 ? s_hi : s_lo;
            const int c0 = static_cast<int>((q >> (4 * nib)) & 0xFu) - layout::zero_code;
            const int c1 = static_cast<int>((q >> (4 * nib + 16)) & 0xFu) - layout::zero_code;
            T pair[2] = {ops<T>::from_float(static_cast<float>(c0) * s),
                         ops<T>::from_float(static_cast<float>(c1) * s)};
            *reinterpret_cast<std::uint32_t*>(out + row * k + col) = *reinterpret_cast<std::uint32_t*>(pair);
        }
    }
}

__global__ void pack_kernel(const std::uint8_t* codes, std::uint32_t* w, std::int64_t n, std::int64_t k) {
    const std::int64_t words = n * k / 8;
    const std::int64_t chunks_k = k / 64;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words;
         i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
        const std::int64_t chunk = i / 128;
        const int lane = static_cast<int>((i % 128) / 4);
        const int word = static_cast<int>(i % 4);
        const std::int64_t tile = chunk / chunks_k;
        const std::int64_t kc = chunk % chunks_k;
        const int g = lane >> 2;
        const int t = lane & 3;
        std::uint32_t q = 0;
        for (int nib = 0; nib < 8; ++nib) {
            const std::int64_t row = tile * 16 + g + 8 * (nib & 1);
            const std::int64_t col = kc * 64 + word * 16 + 2 * t + ((nib >> 2) & 1) + 8 * ((nib >> 1) & 1);
            q |= static_cast<std::uint32_t>(codes[row * k + col] & 0xFu) << (4 * nib);
        }
        w[i] = q;
    }
}

template <typename T>
__global__ void reference_kernel(params p, double* pairs, int rows, int cols) {
    const int id = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (id >= rows * cols) {
        return;
    }
    const int r = id / cols;
    const int c = id % cols;
    const std::int64_t m = rows == 1 ? 0 : static_cast<std::int64_t>(r) * (p.m - 1) / (rows - 1);
    const std::int64_t n = cols == 1 ? 0 : static_cast<std::int64_t>(c) * (p.n - 1) / (cols - 1);
    const T* x = static_cast<const T*>(p.x);
    const T* scales = static_cast<const T*>(p.scales);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(p.w);
    double sum = 0.0;
    for (std::int64_t kk = 0; kk < p.k; ++kk) {
        const auto pos = layout::position(n, kk, p.k);
        const int code = static_cast<int>((bytes[pos.byte] >> pos.shift) & 0xFu) - layout::zero_code;
        const double wv = static_cast<double>(code) * ops<T>::to_float(scales[(kk / p.group) * p.n + n]);
        sum += static_cast<double>(ops<T>::to_float(x[m * p.k + kk])) * wv;
    }
    pairs[2 * id] = ops<T>::to_float(static_cast<const T*>(p.out)[m * p.out_stride_m + n * p.out_stride_n]);
    pairs[2 * id + 1] = sum;
}

params make_params(const gemm_args& a) {
    params p{};
    p.x = a.x;
    p.w = static_cast<const uint4*>(a.w);
    p.scales = a.scales;
    p.out = a.out;
    p.m = a.m;
    p.n = a.n;
    p.k = a.k;
    p.group = a.group;
    p.out_stride_m = a.out_stride_m;
    p.out_stride_n = a.out_stride_n;
    return p;
}

void check_type(cudaDataType_t type) {
    if (type != CUDA_R_16F && type != CUDA_R_16BF) {
        throw std::invalid_argument("W4A16: activations must be FP16 or BF16 (CUDA_R_16F or CUDA_R_16BF)");
    }
}

int grid_for(std::int64_t work) {
    return static_cast<int>(std::min<std::int64_t>((work + 255) / 256, 132 * 16));
}

} // namespace

config choose_config(std::int64_t m, std::int64_t n, std::int64_t k, int sm_count) {
    // The fastest slab-kernel configuration of each point of the H200 sweep
    // (bench/w4a16/results/h200_run1.log, "sweep best"); other problems take the nearest point in log M, log
    // N, log K. sm_count is not used yet: the table is the H200's (132 SMs).
    (void)sm_count;
    struct tuned {
        std::int64_t m, n, k;
        config c;
    };
    static constexpr tuned table[] = {
        {1, 4096, 4096, {8, 4, 8}},   {2, 4096, 4096, {4, 8, 4}},   {4, 4096, 4096, {2, 8, 2}},
        {8, 4096, 4096, {2, 8, 2}},   {16, 4096, 4096, {2, 8, 1}},  {1, 14336, 4096, {8, 4, 3}},
        {2, 14336, 4096, {8, 4, 3}},  {4, 14336, 4096, {4, 8, 1}},  {8, 14336, 4096, {4, 8, 1}},
        {16, 14336, 4096, {4, 8, 1}}, {1, 4096, 14336, {2, 4, 3}},  {2, 4096, 14336, {2, 4, 3}},
        {4, 4096, 14336, {2, 4, 3}},  {8, 4096, 14336, {2, 4, 3}},  {16, 4096, 14336, {2, 8, 2}},
        {1, 28672, 8192, {8, 4, 6}},  {2, 28672, 8192, {8, 4, 6}},  {4, 28672, 8192, {8, 4, 6}},
        {8, 28672, 8192, {8, 8, 1}},  {16, 28672, 8192, {8, 8, 1}}, {1, 8192, 28672, {2, 4, 3}},
        {2, 8192, 28672, {4, 4, 3}},  {4, 8192, 28672, {4, 4, 6}},  {8, 8192, 28672, {8, 4, 6}},
        {16, 8192, 28672, {8, 8, 4}},
    };
    const auto l = [](std::int64_t v) {
        return std::log2(static_cast<double>(std::max<std::int64_t>(v, 1)));
    };
    const std::int64_t m_eff = std::min<std::int64_t>(m, 16); // larger M runs as stacked 16-row chunks
    double best = 1e30;
    config c;
    for (const auto& t : table) {
        const double d =
            std::pow(l(t.m) - l(m_eff), 2) + std::pow(l(t.n) - l(n), 2) + std::pow(l(t.k) - l(k), 2);
        if (d < best) {
            best = d;
            c = t.c;
        }
    }
    return c;
}

config choose_pipelined_config(std::int64_t m, std::int64_t n, std::int64_t k, int sm_count) {
    config c;
    c.pipelined = true;
    c.warps_n = n >= 8192 ? 4 : 2;
    c.chunks = 4;
    const std::int64_t m_chunks = (m + 15) / 16;
    const std::int64_t mrows = std::min<std::int64_t>(m, 16);
    const std::int64_t n_blocks = (n + 16 * c.warps_n - 1) / (16 * c.warps_n) * m_chunks;
    const std::int64_t chunks_k = k / 64;
    const std::int64_t max_per = (max_smem / (2 * mrows) - 8) / 64;
    const std::int64_t min_splits = (chunks_k + max_per - 1) / max_per;
    // Two blocks fit per SM. Among split counts that fill every slot at least once, take the one whose last
    // wave is fullest; each split beyond the first costs M·N FP32 atomics, hence the small penalty.
    const double slots = 2.0 * sm_count;
    double best = 1e30;
    std::int64_t best_s = min_splits;
    for (std::int64_t s = min_splits; s <= std::max<std::int64_t>(min_splits, chunks_k / 4); ++s) {
        const double blocks = static_cast<double>(n_blocks * s);
        const double waves = std::ceil(blocks / slots);
        const double cost = waves / (blocks / slots) + 0.01 * static_cast<double>(s) +
                            (blocks < slots ? slots / blocks : 0.0);
        if (cost < best) {
            best = cost;
            best_s = s;
        }
    }
    c.splits = static_cast<int>(best_s);
    return c;
}

std::size_t workspace_bytes(std::int64_t m, std::int64_t n) {
    const std::int64_t tiles = ((m + 7) / 8) * ((n + 15) / 16); // at least one counter per (m chunk, n block)
    return static_cast<std::size_t>(m * n) * sizeof(float) +
           static_cast<std::size_t>(tiles) * sizeof(unsigned);
}

void gemm(const gemm_args& a, const config& cfg, cudaStream_t stream) {
    check_type(a.type);
    layout::validate(a.n, a.k, a.group);
    if (a.m <= 0) {
        throw std::invalid_argument("W4A16: m = " + std::to_string(a.m) + " must be positive");
    }
    if (cfg.warps_n != 8 && cfg.warps_n != 4 && cfg.warps_n != 2) {
        throw std::invalid_argument("W4A16: warps_n = " + std::to_string(cfg.warps_n) + " must be 8, 4 or 2");
    }
    params p = make_params(a);
    const int mt = a.m <= 8 ? 1 : 2;
    const std::int64_t m_chunks = (a.m + 8 * mt - 1) / (8 * mt);
    const int mrows = static_cast<int>(std::min<std::int64_t>(a.m, 8 * mt));
    const std::int64_t chunks_k = a.k / 64;
    const std::int64_t splits_wanted = std::clamp<std::int64_t>(cfg.splits, 1, chunks_k);
    std::int64_t per = (chunks_k + splits_wanted - 1) / splits_wanted;
    if (cfg.pipelined) {
        // The block's x slice must fit in shared memory: split further where it does not.
        per = std::min(per, static_cast<std::int64_t>(max_smem / (2 * mrows) - 8) / 64);
    } else {
        // Each split a whole number of slabs, so no warp idles inside one.
        const std::int64_t slab = static_cast<std::int64_t>(block_warps / cfg.warps_n) * cfg.chunks;
        per = (per + slab - 1) / slab * slab;
    }
    p.chunks_per_split = per;
    p.splits = static_cast<int>((chunks_k + per - 1) / per);
    p.partial = static_cast<float*>(a.workspace);
    p.counters = reinterpret_cast<unsigned*>(static_cast<char*>(a.workspace) + a.m * a.n * sizeof(float));
    if (p.splits > 1 && a.workspace == nullptr) {
        throw std::invalid_argument("W4A16: a split-K configuration needs the workspace");
    }
    const std::int64_t n_blocks = (a.n + 16 * cfg.warps_n - 1) / (16 * cfg.warps_n);
    const dim3 grid(static_cast<unsigned>(m_chunks), static_cast<unsigned>(n_blocks),
                    static_cast<unsigned>(p.splits));
    if (cfg.pipelined) {
        const int smem = smem_bytes(mrows, per, mt);
        if (a.type == CUDA_R_16F) {
            launch_pipelined<__half>(p, mt, cfg, grid, smem, stream);
        } else {
            launch_pipelined<__nv_bfloat16>(p, mt, cfg, grid, smem, stream);
        }
    } else if (a.type == CUDA_R_16F) {
        launch_slab<__half>(p, mt, cfg, grid, stream);
    } else {
        launch_slab<__nv_bfloat16>(p, mt, cfg, grid, stream);
    }
}

void dequantize(const void* w, const void* scales, void* out, cudaDataType_t type, std::int64_t n,
                std::int64_t k, std::int64_t group, cudaStream_t stream) {
    check_type(type);
    layout::validate(n, k, group);
    const int blocks = grid_for(n * k / 8);
    if (type == CUDA_R_16F) {
        dequant_kernel<__half><<<blocks, 256, 0, stream>>>(static_cast<const std::uint32_t*>(w),
                                                           static_cast<const __half*>(scales),
                                                           static_cast<__half*>(out), n, k, group);
    } else {
        dequant_kernel<__nv_bfloat16><<<blocks, 256, 0, stream>>>(
            static_cast<const std::uint32_t*>(w), static_cast<const __nv_bfloat16*>(scales),
            static_cast<__nv_bfloat16*>(out), n, k, group);
    }
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void pack(const std::uint8_t* codes, void* w, std::int64_t n, std::int64_t k, cudaStream_t stream) {
    layout::validate(n, k, k);
    pack_kernel<<<grid_for(n * k / 8), 256, 0, stream>>>(codes, static_cast<std::uint32_t*>(w), n, k);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

void reference_check(const gemm_args& a, double* pairs, int sample_rows, int sample_cols,
                     cudaStream_t stream) {
    check_type(a.type);
    layout::validate(a.n, a.k, a.group);
    const params p = make_params(a);
    const int total = sample_rows * sample_cols;
    const int blocks = (total + 127) / 128;
    if (a.type == CUDA_R_16F) {
        reference_kernel<__half><<<blocks, 128, 0, stream>>>(p, pairs, sample_rows, sample_cols);
    } else {
        reference_kernel<__nv_bfloat16><<<blocks, 128, 0, stream>>>(p, pairs, sample_rows, sample_cols);
    }
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

} // namespace roofline::cuda::w4a16
