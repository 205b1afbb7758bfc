// Our W4A16 GEMM for decode and small batches (M up to 16 per block, more by stacking M chunks).
//
// Shape of the kernel (why each choice):
// - Decode is a stream of weights: every byte is read once, so the kernel is built to keep enough bytes in
//   flight (HBM3e needs ~3.4 MB chip-wide, ~26 KB per SM) and every SM busy. A block is 8 warps on the same
//   1, 2 or 4 row tiles (16 rows of N each); the warps take turns along K (warp w: chunks w, w + 8, ...), so
//   the block reads 8·depth consecutive 512-byte chunks per tile per step, and each warp has the next step's
//   weights in flight while it multiplies the current one. K is split over blocks only when N alone gives
//   too few blocks; the partial sums then meet in an FP32 workspace (atomics, the last block writes).
// - The weight is the mma's A operand (16 rows of N × 16 of K) and the activations the B operand (8 columns
//   of M): at M = 1..8 one m16n8k16 wastes at most 7/8 of the tensor core instead of 15/16, and the weight,
//   which is the whole of the traffic, maps onto the fragment that holds the most values per lane.
// - The weight is packed offline (roofline/core/w4a16_layout.hpp) so that each lane's 16-byte load is its A
//   fragment of four k-tiles, and so that its B fragments are one contiguous 32-byte run of its activation
//   row: two 16-byte loads from L1/L2 per chunk, no shared memory, no barrier until the end. Weight loads go
//   straight to registers with an L2 evict-first hint and no L1 allocation (each byte is read once), which
//   leaves L1 to the activations that every block of the SM re-reads.
// - Codes become FP16/BF16 with the "magic number" trick: OR the nibbles into the mantissa of 1024 (FP16) or
//   128 (BF16) and subtract the offset, two to four integer and one half2 operation per four values.
// - The group scale is applied to each 64-wide chunk's FP32 partial sum, not to the weights: four FMAs per
//   chunk instead of a multiply per weight, and no rounding of the scaled weight to 16 bits.
// - tiles > 1 reuses each activation fragment for several row tiles: at M = 16 one tile would read four
//   times the weight's bytes of activations from L2.
// Four kernels are compiled (config::lean, config::stages, config::bulk): the lean kernel (the default where
// n is a multiple of 64, the fastest measured in run 4), the register kernel it was derived from (the default
// elsewhere), a per-warp cp.async ring, and the copy engine; docs/THEORY.md ("W4A16") has the numbers.
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
    int units_per_split; // lean kernel: units of G chunks per split
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

// (a & b) | c in one LOP3: written as `(q & mask) | magic` in C++, ptxas emits an AND and an OR (both
// constants cannot be immediates of one LOP3), 8 of the 13 instructions that turned a word into FP16 (SASS of
// run 6). The PTX lop3 with immediate operands has ptxas hold one constant in a register and fuse.
template <std::uint32_t B, std::uint32_t C>
__device__ __forceinline__ std::uint32_t and_or(std::uint32_t a) {
    std::uint32_t d;
    asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(d) : "r"(a), "n"(B), "n"(C));
    return d;
}

template <typename T>
struct ops;

template <>
struct ops<__half> {
    // a[0..3] = codes {0,4}, {1,5}, {2,6}, {3,7} of q as (code - 8) in FP16: one shift, four LOP3, two HADD2
    // and two HFMA2 per eight values.
    static __device__ __forceinline__ void dequant(std::uint32_t q, std::uint32_t (&a)[4]) {
        constexpr std::uint32_t lo = 0x000F000Fu, hi = 0x00F000F0u, magic = 0x64006400u; // 1024 in FP16
        const std::uint32_t q8 = q >> 8;
        a[0] = as_u32(__hsub2(as_h2(and_or<lo, magic>(q)), as_h2(0x64086408u))); // - 1032
        a[1] =
            as_u32(__hfma2(as_h2(and_or<hi, magic>(q)), as_h2(0x2C002C00u), as_h2(0xD480D480u))); // /16 - 72
        a[2] = as_u32(__hsub2(as_h2(and_or<lo, magic>(q8)), as_h2(0x64086408u)));
        a[3] = as_u32(__hfma2(as_h2(and_or<hi, magic>(q8)), as_h2(0x2C002C00u), as_h2(0xD480D480u)));
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
            a[i] = as_u32(__hsub2(as_b2(and_or<lo, magic>(q >> (4 * i))), as_b2(0x43084308u))); // - 136
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

// A lane's B fragments of one chunk for one 8-row block of M: columns 16t .. 16t + 15 of its activation row.
__device__ __forceinline__ void unpack_b(std::uint32_t (&b)[8], uint4 lo, uint4 hi) {
    b[0] = lo.x, b[1] = lo.y, b[2] = lo.z, b[3] = lo.w;
    b[4] = hi.x, b[5] = hi.y, b[6] = hi.z, b[7] = hi.w;
}

// One 512-byte chunk of one row tile: the lane's 16 bytes dequantised k-tile by k-tile, each multiplied with
// the activations of every 8-row block of M, into the chunk's (unscaled) partial sums.
template <typename T, int MT>
__device__ __forceinline__ void mma_chunk(const uint4& w, const std::uint32_t (&b)[MT][8],
                                          float (&part)[MT][4]) {
    const std::uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
    for (int kt = 0; kt < 4; ++kt) {
        std::uint32_t a[4];
        ops<T>::dequant(words[kt], a);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
            ops<T>::mma(part[mt], a, b[mt][2 * kt], b[mt][2 * kt + 1]);
        }
    }
}

// The group scale on a step's FP32 partial sums: rows g (s_lo) and g + 8 (s_hi) of the tile.
template <int MT>
__device__ __forceinline__ void scale_add(float (&acc)[MT][4], const float (&part)[MT][4], float s_lo,
                                          float s_hi) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
        acc[mt][0] = fmaf(s_lo, part[mt][0], acc[mt][0]);
        acc[mt][1] = fmaf(s_lo, part[mt][1], acc[mt][1]);
        acc[mt][2] = fmaf(s_hi, part[mt][2], acc[mt][2]);
        acc[mt][3] = fmaf(s_hi, part[mt][3], acc[mt][3]);
    }
}

// The 8 warps of a block hold partial sums of the same outputs: they meet in shared memory, then the block
// writes its outputs, or adds them into the workspace when K is split (the last block writes and clears).
template <typename T, int MT, int TW>
__device__ __forceinline__ void finish(const params& p, const float (&acc)[TW][MT][4], float* red,
                                       int& am_last) {
    constexpr int MROWS = 8 * MT;
    constexpr int NB = TW * 16; // outputs along N per block
    const int warp = static_cast<int>(threadIdx.x) >> 5;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const int g = lane >> 2;
    const int t = lane & 3;
    const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * MROWS;
    const int mrows = static_cast<int>(p.m - m0 < MROWS ? p.m - m0 : MROWS);
#pragma unroll
    for (int tw = 0; tw < TW; ++tw) {
        const int base = (warp * NB + tw * 16) * MROWS;
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
            red[base + g * MROWS + mt * 8 + 2 * t] = acc[tw][mt][0];
            red[base + g * MROWS + mt * 8 + 2 * t + 1] = acc[tw][mt][1];
            red[base + (g + 8) * MROWS + mt * 8 + 2 * t] = acc[tw][mt][2];
            red[base + (g + 8) * MROWS + mt * 8 + 2 * t + 1] = acc[tw][mt][3];
        }
    }
    __syncthreads();
    T* out = static_cast<T*>(p.out);
    const int outputs = NB * mrows;
    const std::int64_t n0 = static_cast<std::int64_t>(blockIdx.y) * NB;
    for (int i = static_cast<int>(threadIdx.x); i < outputs; i += block_threads) {
        const int nl = i / mrows;
        const int ml = i % mrows;
        float v = 0.0f;
#pragma unroll
        for (int w = 0; w < block_warps; ++w) {
            v += red[(w * NB + nl) * MROWS + ml];
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

// Activations: read-only and re-read by every block of the SM, so through the non-coherent path into L1;
// not volatile, so the compiler may issue them ahead of the mma that waits on them.
__device__ __forceinline__ uint4 load_x(const uint4* p) {
    return __ldg(p);
}

template <typename T>
__device__ __forceinline__ std::uint32_t load_scale_pair(const T* s) {
    const auto lo = static_cast<std::uint32_t>(__ldg(reinterpret_cast<const unsigned short*>(s)));
    const auto hi = static_cast<std::uint32_t>(__ldg(reinterpret_cast<const unsigned short*>(s + 8)));
    return lo | (hi << 16);
}

template <typename T>
__device__ __forceinline__ float scale_lo(std::uint32_t pair);
template <>
__device__ __forceinline__ float scale_lo<__half>(std::uint32_t pair) {
    return __low2float(as_h2(pair));
}
template <>
__device__ __forceinline__ float scale_lo<__nv_bfloat16>(std::uint32_t pair) {
    return __low2float(as_b2(pair));
}
template <typename T>
__device__ __forceinline__ float scale_hi(std::uint32_t pair);
template <>
__device__ __forceinline__ float scale_hi<__half>(std::uint32_t pair) {
    return __high2float(as_h2(pair));
}
template <>
__device__ __forceinline__ float scale_hi<__nv_bfloat16>(std::uint32_t pair) {
    return __high2float(as_b2(pair));
}

// One step's registers of one warp: D chunks × TW tiles of weights and their scale pairs.
template <int TW, int D>
struct stage {
    uint4 w[D][TW];
    std::uint32_t s[D][TW];
};

// MT: m-subtiles of 8 per block (1 or 2); TW: row tiles per block; D: chunks per tile per warp per step.
// Two blocks per SM (128 registers, no spills at tiles·depth = 4, the compiled set): ~32 KB per SM in flight.
// A step of 8 chunks per warp needs more than 128 registers for its two stages; it was never faster (run 3
// predecessor sweeps in bench/w4a16/results/iterations), so it is not compiled.
template <typename T, int MT, int TW, int D>
__global__ void __launch_bounds__(block_threads, (TW * D >= 8 ? 1 : 2)) stream_kernel(params p) {
    constexpr int MROWS = 8 * MT;
    extern __shared__ float red[];
    __shared__ int am_last;

    const int warp = static_cast<int>(threadIdx.x) >> 5;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const int g = lane >> 2;
    const int t = lane & 3;
    const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * MROWS;
    const int mrows = static_cast<int>(p.m - m0 < MROWS ? p.m - m0 : MROWS);
    const std::int64_t tile0 = static_cast<std::int64_t>(blockIdx.y) * TW;
    const std::int64_t n_tiles = p.n / 16;
    const int tiles_here = static_cast<int>(n_tiles - tile0 < TW ? n_tiles - tile0 : TW);
    const std::int64_t chunks_k = p.k / 64;
    const std::int64_t kc_begin = static_cast<std::int64_t>(blockIdx.z) * p.chunks_per_split;
    const std::int64_t kc_end =
        kc_begin + p.chunks_per_split < chunks_k ? kc_begin + p.chunks_per_split : chunks_k;
    // This warp's chunks: kc_begin + warp + 8·i for i < mine.
    const std::int64_t span = kc_end - kc_begin - warp;
    const int mine = span > 0 ? static_cast<int>((span + block_warps - 1) / block_warps) : 0;
    const int steps = (mine + D - 1) / D;
    const T* scales = static_cast<const T*>(p.scales);
    const int group_chunks = static_cast<int>(p.group / 64);

    std::uint64_t policy;
    asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));

    const uint4* wbase = p.w + (tile0 * chunks_k + kc_begin + warp) * 32 + lane;
    const T* sbase = scales + tile0 * 16 + g;
    // Lane (g, t)'s activation run of chunk kc: row m0 + 8·mt + g, columns 64·kc + 16t .. + 15.
    const uint4* xbase[MT];
    bool xvalid[MT];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
        xvalid[mt] = mt * 8 + g < mrows;
        xbase[mt] = static_cast<const uint4*>(p.x) +
                    ((m0 + (xvalid[mt] ? mt * 8 + g : 0)) * p.k + (kc_begin + warp) * 64 + 16 * t) / 8;
    }

    auto fetch = [&](int step, stage<TW, D>& st) {
#pragma unroll
        for (int d = 0; d < D; ++d) {
            const int i = step * D + d;
            if (i < mine) {
                // 32-bit division: a chunk index fits (K < 2^37), and this runs once per chunk.
                const int kc = static_cast<int>(kc_begin) + warp + i * block_warps;
                const std::int64_t srow = static_cast<std::int64_t>(kc / group_chunks) * p.n;
#pragma unroll
                for (int tw = 0; tw < TW; ++tw) {
                    if (tw < tiles_here) {
                        st.w[d][tw] = load_stream(
                            wbase + (static_cast<std::int64_t>(tw) * chunks_k + i * block_warps) * 32,
                            policy);
                        st.s[d][tw] = load_scale_pair(sbase + srow + tw * 16);
                    }
                }
            }
        }
    };

    float acc[TW][MT][4] = {};
    auto compute = [&](int step, const stage<TW, D>& st) {
#pragma unroll
        for (int d = 0; d < D; ++d) {
            const int i = step * D + d;
            if (i >= mine) {
                break;
            }
            std::uint32_t b[MT][8];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                uint4 lo = make_uint4(0, 0, 0, 0);
                uint4 hi = lo;
                if (xvalid[mt]) {
                    const uint4* xp = xbase[mt] + static_cast<std::int64_t>(i) * block_warps * 8;
                    lo = load_x(xp);
                    hi = load_x(xp + 1);
                }
                unpack_b(b[mt], lo, hi);
            }
#pragma unroll
            for (int tw = 0; tw < TW; ++tw) {
                if (tw >= tiles_here) {
                    break;
                }
                float part[MT][4] = {};
                mma_chunk<T, MT>(st.w[d][tw], b, part);
                const float s_lo = scale_lo<T>(st.s[d][tw]);
                const float s_hi = scale_hi<T>(st.s[d][tw]);
                scale_add<MT>(acc[tw], part, s_lo, s_hi);
            }
        }
    };

    // Two register stages: the next step's loads are in flight while the current step is multiplied.
    stage<TW, D> s0;
    stage<TW, D> s1;
    fetch(0, s0);
    for (int step = 0; step < steps; step += 2) {
        fetch(step + 1, s1);
        compute(step, s0);
        fetch(step + 2, s0);
        compute(step + 1, s1);
    }

    finish<T, MT, TW>(p, acc, red, am_last);
}

// ---- the lean kernel: the register kernel's work split with the index arithmetic taken out of the loop ----
// ncu on the H200 (bench/w4a16/results/w4a16_run4_ncu_register.log) found the register kernel at 98 warp
// instructions per 512-byte chunk-tile where the dequantise, mma, scale and load work is ≈ 50: the rest is
// per-chunk 64-bit index products, a 32-bit division for the scale row, and predicates. Issue slots were 49%
// busy from 3.4 warps per scheduler, the stalls split between memory (long scoreboard 2.4 cycles per
// instruction) and fixed-latency dependencies (wait 1.7). This kernel cuts instructions per byte and
// registers:
// - pointers advanced by constants each step (weights, activations, scales), no per-chunk products, no
//   division in the loop (the scale row advances by a per-step count fixed at the start);
// - G consecutive chunks (G·64 columns) of one scale group per step: one scale load and four FMAs per tile
// per
//   G chunks instead of per chunk (G = 2 needs the group to be a multiple of 128, gemm falls back to 1);
// - activation rows past M read row M - 1 instead of being predicated off: the mma's columns are independent,
//   and those output columns are never written;
// - full row tiles only (n a multiple of 16·TW, which choose_config keeps), so no tile predicate;
// - MINB blocks per SM in __launch_bounds__ (3: at most 80 registers, 24 warps per SM).
template <int TW, int G>
struct lean_stage {
    uint4 w[G][TW];
    std::uint32_t s[TW];
};
// With XP the activation fragments travel in the stage too: loaded one step ahead like the weights, because
// at M = 9..16 they no longer fit L1 (16 rows × K) and an L2 hit's latency in front of every step's mma is
// what ncu showed the four-tile kernel waiting on (run 6).
template <int TW, int G, int MT, bool XP>
struct lean_stage_x : lean_stage<TW, G> {
    std::uint32_t b[XP ? G : 1][MT][8];
};

template <typename T, int MT, int TW, int G, int MINB, int S, bool XP>
__global__ void __launch_bounds__(block_threads, MINB) lean_kernel(params p) {
    static_assert(S >= 2, "the lean kernel needs two register stages or more");
    constexpr int MROWS = 8 * MT;
    extern __shared__ float red[];
    __shared__ int am_last;

    const int warp = static_cast<int>(threadIdx.x) >> 5;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const int g = lane >> 2;
    const int t = lane & 3;
    const int m0 = static_cast<int>(blockIdx.x) * MROWS;
    const int mrows = min(static_cast<int>(p.m) - m0, MROWS);
    const int tile0 = static_cast<int>(blockIdx.y) * TW;
    const int chunks_k = static_cast<int>(p.k / 64);
    const int units_k = chunks_k / G;
    const int u_begin = static_cast<int>(blockIdx.z) * p.units_per_split;
    const int u_end = min(u_begin + p.units_per_split, units_k);
    const int u0 = u_begin + warp; // this warp's units: u0 + 8·i for i < mine
    const int mine = u0 < u_end ? (u_end - u0 + block_warps - 1) / block_warps : 0;
    const int n = static_cast<int>(p.n);

    std::uint64_t policy;
    asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));

    const std::size_t tile_stride = static_cast<std::size_t>(chunks_k) * 32; // uint4 per row tile
    const uint4* wp =
        p.w + static_cast<std::size_t>(tile0) * tile_stride + static_cast<std::size_t>(u0) * (G * 32) + lane;
    const uint4* xp[MT];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
        const int row = m0 + min(mt * 8 + g, mrows - 1);
        xp[mt] = static_cast<const uint4*>(p.x) +
                 (static_cast<std::size_t>(row) * static_cast<std::size_t>(p.k) + u0 * (G * 64) + 16 * t) / 8;
    }
    // Scale row of unit u: u / units_per_group. Each step moves 8 units on: whole groups plus a remainder.
    const int per_group = static_cast<int>(p.group / 64) / G;
    const int step_groups = block_warps / per_group;
    const int step_rem = block_warps % per_group;
    int rem = u0 % per_group;
    const T* sp =
        static_cast<const T*>(p.scales) + static_cast<std::size_t>(u0 / per_group) * n + tile0 * 16 + g;

    const std::size_t sp_step = static_cast<std::size_t>(step_groups) * static_cast<std::size_t>(n);
    // live: this step exists for this warp. (Predicated loads instead of the branch were slower in run 6:
    // more registers, spills at two and four blocks per SM.)
    using stage_t = lean_stage_x<TW, G, MT, XP>;
    auto load_b = [&](std::uint32_t(&b)[G][MT][8]) {
#pragma unroll
        for (int c = 0; c < G; ++c) {
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                const uint4 lo = load_x(xp[mt] + c * 8);
                const uint4 hi = load_x(xp[mt] + c * 8 + 1);
                unpack_b(b[c][mt], lo, hi);
            }
        }
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
            xp[mt] += block_warps * G * 8;
        }
    };
    auto fetch = [&](stage_t& st, bool live) {
        if (!live) {
            return;
        }
        if constexpr (XP) {
            load_b(st.b);
        }
#pragma unroll
        for (int c = 0; c < G; ++c) {
#pragma unroll
            for (int tw = 0; tw < TW; ++tw) {
                st.w[c][tw] = load_stream(wp + tw * tile_stride + c * 32, policy);
            }
        }
#pragma unroll
        for (int tw = 0; tw < TW; ++tw) {
            st.s[tw] = load_scale_pair(sp + tw * 16);
        }
        wp += block_warps * G * 32;
        sp += sp_step;
        if (step_rem != 0) { // warp-uniform; zero wherever 8 steps' units are whole groups
            rem += step_rem;
            if (rem >= per_group) {
                rem -= per_group;
                sp += n;
            }
        }
    };

    float acc[TW][MT][4] = {};
    // Tile by tile, so that one tile's partial sums (MT·4 registers) are live rather than every tile's: the
    // G chunks' activation fragments are what stays in registers across the tiles.
    auto compute = [&](const stage_t& st) {
        std::uint32_t now[G][MT][8];
        if constexpr (!XP) {
            load_b(now);
        }
        const auto& b = [&]() -> const std::uint32_t(&)[G][MT][8] {
            if constexpr (XP) {
                return st.b;
            } else {
                return now;
            }
        }();
#pragma unroll
        for (int tw = 0; tw < TW; ++tw) {
            float part[MT][4] = {};
#pragma unroll
            for (int c = 0; c < G; ++c) {
                mma_chunk<T, MT>(st.w[c][tw], b[c], part);
            }
            const float s_lo = scale_lo<T>(st.s[tw]);
            const float s_hi = scale_hi<T>(st.s[tw]);
            scale_add<MT>(acc[tw], part, s_lo, s_hi);
        }
    };

    // S register stages: S - 1 steps' loads in flight while one step is multiplied. The loop is unrolled by S
    // so that every stage index is a constant and the stages stay in registers.
    stage_t st[S];
#pragma unroll
    for (int j = 0; j < S - 1; ++j) {
        fetch(st[j], j < mine);
    }
    for (int i = 0; i < mine; i += S) {
#pragma unroll
        for (int j = 0; j < S; ++j) {
            fetch(st[(j + S - 1) % S], i + j + S - 1 < mine);
            if (i + j < mine) {
                compute(st[j]);
            }
        }
    }

    finish<T, MT, TW>(p, acc, red, am_last);
}

template <typename T, int MT, int TW, int G, int MINB, int S, bool XP = false>
void lean_one(const params& p, dim3 grid, cudaStream_t stream) {
    constexpr int bytes = block_warps * TW * 16 * 8 * MT * static_cast<int>(sizeof(float));
    static const bool configured = [] {
        ROOFLINE_CUDA_CALL(cudaFuncSetAttribute(lean_kernel<T, MT, TW, G, MINB, S, XP>,
                                                cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
        return true;
    }();
    (void)configured;
    lean_kernel<T, MT, TW, G, MINB, S, XP><<<grid, block_threads, bytes, stream>>>(p);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

// ---- the ring kernel: the same work split, the loads through cp.async into a per-warp shared-memory ring
// ---- Written to test whether the register kernel's ~2.1 TB/s plateau is a bytes-in-flight limit: a ring of
// S stages keeps S - 1 steps in flight per warp without registers. Measured (run 3): slower than the register
// kernel everywhere, more stages no help, so the engine never picks it; kept for the sweep. Every lane reads
// back exactly the weight and activation bytes it copied, so those need no barrier; the scales of a chunk (16
// halves of one row tile) are copied by lanes 0..7 and read by all, hence one __syncwarp per step.
template <int MT, int TW, int D>
struct ring_layout {
    static constexpr int w_bytes = TW * D * 512;  // [d·TW + tw][lane] uint4
    static constexpr int x_bytes = D * MT * 1024; // [d·MT + mt][half][lane] uint4
    static constexpr int s_bytes = TW * D * 32;   // [d·TW + tw][16 halves]
    static constexpr int stage_bytes = w_bytes + x_bytes + s_bytes;
};

__device__ __forceinline__ void cp_async16_hint(std::uint32_t dst, const void* src, std::uint64_t policy) {
    asm volatile("cp.async.cg.shared.global.L2::cache_hint [%0], [%1], 16, %2;" ::"r"(dst), "l"(src),
                 "l"(policy));
}
__device__ __forceinline__ void cp_async16(std::uint32_t dst, const void* src) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(dst), "l"(src));
}
__device__ __forceinline__ void cp_async4(std::uint32_t dst, const void* src) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" ::"r"(dst), "l"(src));
}
__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;" ::);
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;" ::"n"(N));
}

template <typename T, int MT, int TW, int D, int S>
__global__ void __launch_bounds__(block_threads, 1) ring_kernel(params p) {
    using L = ring_layout<MT, TW, D>;
    constexpr int MROWS = 8 * MT;
    extern __shared__ uint4 ring_smem[];
    __shared__ int am_last;

    const int warp = static_cast<int>(threadIdx.x) >> 5;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const int g = lane >> 2;
    const int t = lane & 3;
    const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * MROWS;
    const int mrows = static_cast<int>(p.m - m0 < MROWS ? p.m - m0 : MROWS);
    const std::int64_t tile0 = static_cast<std::int64_t>(blockIdx.y) * TW;
    const std::int64_t n_tiles = p.n / 16;
    const int tiles_here = static_cast<int>(n_tiles - tile0 < TW ? n_tiles - tile0 : TW);
    const std::int64_t chunks_k = p.k / 64;
    const std::int64_t kc_begin = static_cast<std::int64_t>(blockIdx.z) * p.chunks_per_split;
    const std::int64_t kc_end =
        kc_begin + p.chunks_per_split < chunks_k ? kc_begin + p.chunks_per_split : chunks_k;
    const std::int64_t span = kc_end - kc_begin - warp;
    const int mine = span > 0 ? static_cast<int>((span + block_warps - 1) / block_warps) : 0;
    const int steps = (mine + D - 1) / D;
    const T* scales = static_cast<const T*>(p.scales);
    const int group_chunks = static_cast<int>(p.group / 64);

    std::uint64_t policy;
    asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));

    const uint4* wbase = p.w + (tile0 * chunks_k + kc_begin + warp) * 32 + lane;
    const T* sbase = scales + tile0 * 16 + 2 * (lane & 7); // lanes 0..7: two halves each
    const uint4* xbase[MT];
    bool xvalid[MT];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
        xvalid[mt] = mt * 8 + g < mrows;
        xbase[mt] = static_cast<const uint4*>(p.x) +
                    ((m0 + (xvalid[mt] ? mt * 8 + g : 0)) * p.k + (kc_begin + warp) * 64 + 16 * t) / 8;
    }
    char* my_ring = reinterpret_cast<char*>(ring_smem) + warp * S * L::stage_bytes;
    const auto ring_addr = static_cast<std::uint32_t>(__cvta_generic_to_shared(my_ring));

    auto issue = [&](int step) {
        const int slot = step % S;
        const std::uint32_t st = ring_addr + static_cast<std::uint32_t>(slot * L::stage_bytes);
#pragma unroll
        for (int d = 0; d < D; ++d) {
            const int i = step * D + d;
            if (i < mine) {
                const int kc = static_cast<int>(kc_begin) + warp + i * block_warps;
                const std::int64_t srow = static_cast<std::int64_t>(kc / group_chunks) * p.n;
#pragma unroll
                for (int tw = 0; tw < TW; ++tw) {
                    if (tw < tiles_here) {
                        cp_async16_hint(st + static_cast<std::uint32_t>((d * TW + tw) * 512 + lane * 16),
                                        wbase +
                                            (static_cast<std::int64_t>(tw) * chunks_k + i * block_warps) * 32,
                                        policy);
                        if (lane < 8) {
                            cp_async4(st + static_cast<std::uint32_t>(L::w_bytes + L::x_bytes +
                                                                      (d * TW + tw) * 32 + lane * 4),
                                      sbase + srow + tw * 16);
                        }
                    }
                }
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    if (xvalid[mt]) {
                        const uint4* xp = xbase[mt] + static_cast<std::int64_t>(i) * block_warps * 8;
                        const std::uint32_t xd =
                            st + static_cast<std::uint32_t>(L::w_bytes + (d * MT + mt) * 1024 + lane * 16);
                        cp_async16(xd, xp);
                        cp_async16(xd + 512, xp + 1);
                    }
                }
            }
        }
        cp_async_commit(); // empty groups too: the wait below counts groups
    };

    float acc[TW][MT][4] = {};
    auto compute = [&](int step) {
        const char* st = my_ring + (step % S) * L::stage_bytes;
#pragma unroll
        for (int d = 0; d < D; ++d) {
            const int i = step * D + d;
            if (i >= mine) {
                break;
            }
            std::uint32_t b[MT][8];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                uint4 lo = make_uint4(0, 0, 0, 0);
                uint4 hi = lo;
                if (xvalid[mt]) {
                    const char* xs = st + L::w_bytes + (d * MT + mt) * 1024 + lane * 16;
                    lo = *reinterpret_cast<const uint4*>(xs);
                    hi = *reinterpret_cast<const uint4*>(xs + 512);
                }
                unpack_b(b[mt], lo, hi);
            }
#pragma unroll
            for (int tw = 0; tw < TW; ++tw) {
                if (tw >= tiles_here) {
                    break;
                }
                const uint4 wv = *reinterpret_cast<const uint4*>(st + (d * TW + tw) * 512 + lane * 16);
                const T* sv = reinterpret_cast<const T*>(st + L::w_bytes + L::x_bytes + (d * TW + tw) * 32);
                const float s_lo = ops<T>::to_float(sv[g]);
                const float s_hi = ops<T>::to_float(sv[g + 8]);
                float part[MT][4] = {};
                mma_chunk<T, MT>(wv, b, part);
                scale_add<MT>(acc[tw], part, s_lo, s_hi);
            }
        }
    };

#pragma unroll
    for (int s = 0; s < S - 1; ++s) {
        issue(s);
    }
    for (int step = 0; step < steps; ++step) {
        cp_async_wait<S - 2>(); // this thread's copies of `step` have landed
        __syncwarp();           // and so have lanes 0..7's scales; every lane is done with step - 1's slot
        issue(step + S - 1);
        compute(step);
    }
    cp_async_wait<0>();
    __syncthreads(); // the reduction below reuses the rings
    finish<T, MT, TW>(p, acc, reinterpret_cast<float*>(ring_smem), am_last);
}

template <int MT, int TW, int D, int S>
constexpr int ring_smem_bytes() {
    constexpr int ring = block_warps * S * ring_layout<MT, TW, D>::stage_bytes;
    constexpr int red = block_warps * TW * 16 * 8 * MT * static_cast<int>(sizeof(float));
    return ring > red ? ring : red;
}

template <typename T, int MT, int TW, int D, int S>
void ring_one(const params& p, dim3 grid, cudaStream_t stream) {
    constexpr int bytes = ring_smem_bytes<MT, TW, D, S>();
    static const bool configured = [] {
        ROOFLINE_CUDA_CALL(cudaFuncSetAttribute(ring_kernel<T, MT, TW, D, S>,
                                                cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
        return true;
    }();
    (void)configured;
    ring_kernel<T, MT, TW, D, S><<<grid, block_threads, bytes, stream>>>(p);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

// ---- the bulk kernel: each step's weights, scales and activations arrive by the copy engine ----
// The second test of the bytes-in-flight hypothesis, with no per-thread load limits at all: one thread per
// block asks the copy engine (cp.async.bulk, plain sm_90) for a whole step: 8 consecutive
// chunks of each of the block's row tiles (4 KB contiguous per tile), the scale rows they touch and the
// activation rows, completing on one mbarrier per stage; the 8 warps then take one chunk each. Measured (run
// 3, 48-96 KB per SM in flight): verified, slower than the register kernel everywhere; kept for the sweep and
// as the base of a copy-engine design once the plateau's cause is known.
template <int MT, int TW>
struct bulk_layout {
    static constexpr int chunks = block_warps;           // per tile per stage: one per warp
    static constexpr int w_bytes = TW * chunks * 512;    // [tw][chunk][lane] uint4
    static constexpr int x_row = chunks * 64 * 2 + 16;   // one activation row, padded: no bank conflicts
    static constexpr int x_bytes = 8 * MT * x_row;       // rows 0 .. 8·MT - 1
    static constexpr int max_groups = chunks + 1;        // scale rows a 512-wide step can touch
    static constexpr int s_bytes = max_groups * TW * 32; // [group - first][tw][16 halves]
    static constexpr int stage_bytes = w_bytes + x_bytes + s_bytes;
    static_assert(stage_bytes % 16 == 0, "bulk copies land on 16-byte boundaries");
};

// The copy engine, mbarrier transactions and the async-proxy fence are sm_90 features: on the older targets
// of a multi-arch build the helpers trap (bulk_one refuses such a GPU before launching).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define ROOFLINE_W4A16_BULK 1
#else
#define ROOFLINE_W4A16_BULK 0
#endif

__device__ __forceinline__ void mbar_init(std::uint32_t bar, unsigned count) {
#if ROOFLINE_W4A16_BULK
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count) : "memory");
#else
    (void)bar, (void)count;
    __trap();
#endif
}
__device__ __forceinline__ void mbar_init_fence() {
#if ROOFLINE_W4A16_BULK
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
#endif
}
// The slot was last read by ordinary loads; order those before the copy engine's writes.
__device__ __forceinline__ void async_proxy_fence() {
#if ROOFLINE_W4A16_BULK
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
#endif
}
__device__ __forceinline__ void mbar_expect_tx(std::uint32_t bar, unsigned bytes) {
#if ROOFLINE_W4A16_BULK
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar), "r"(bytes) : "memory");
#else
    (void)bar, (void)bytes;
    __trap();
#endif
}
__device__ __forceinline__ void mbar_wait(std::uint32_t bar, unsigned parity) {
#if ROOFLINE_W4A16_BULK
    unsigned done = 0;
    for (long long spin = 0; done == 0; ++spin) {
        asm volatile(
            "{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2; selp.u32 %0, 1, 0, p; }"
            : "=r"(done)
            : "r"(bar), "r"(parity)
            : "memory");
        if (spin > (1ll << 26)) {
            __trap(); // a copy that never lands is a bug: fail the launch rather than hang the GPU
        }
    }
#else
    (void)bar, (void)parity;
    __trap();
#endif
}
__device__ __forceinline__ void bulk_copy(std::uint32_t dst, const void* src, unsigned bytes,
                                          std::uint32_t bar) {
#if ROOFLINE_W4A16_BULK
    asm volatile(
        "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(dst),
        "l"(src), "r"(bytes), "r"(bar)
        : "memory");
#else
    (void)dst, (void)src, (void)bytes, (void)bar;
    __trap();
#endif
}
__device__ __forceinline__ void bulk_copy_hint(std::uint32_t dst, const void* src, unsigned bytes,
                                               std::uint32_t bar, std::uint64_t policy) {
#if ROOFLINE_W4A16_BULK
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes.L2::cache_hint [%0], "
                 "[%1], %2, [%3], %4;" ::"r"(dst),
                 "l"(src), "r"(bytes), "r"(bar), "l"(policy)
                 : "memory");
#else
    (void)dst, (void)src, (void)bytes, (void)bar, (void)policy;
    __trap();
#endif
}

template <typename T, int MT, int TW, int S>
__global__ void __launch_bounds__(block_threads, 1) bulk_kernel(params p) {
    using L = bulk_layout<MT, TW>;
    constexpr int MROWS = 8 * MT;
    extern __shared__ uint4 bulk_smem[];
    __shared__ std::uint64_t full[S];
    __shared__ int am_last;

    const int warp = static_cast<int>(threadIdx.x) >> 5;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const int g = lane >> 2;
    const int t = lane & 3;
    const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * MROWS;
    const int mrows = static_cast<int>(p.m - m0 < MROWS ? p.m - m0 : MROWS);
    const std::int64_t tile0 = static_cast<std::int64_t>(blockIdx.y) * TW;
    const std::int64_t n_tiles = p.n / 16;
    const int tiles_here = static_cast<int>(n_tiles - tile0 < TW ? n_tiles - tile0 : TW);
    const std::int64_t chunks_k = p.k / 64;
    const std::int64_t kc_begin = static_cast<std::int64_t>(blockIdx.z) * p.chunks_per_split;
    const std::int64_t kc_end =
        kc_begin + p.chunks_per_split < chunks_k ? kc_begin + p.chunks_per_split : chunks_k;
    const int steps = static_cast<int>((kc_end - kc_begin + L::chunks - 1) / L::chunks);
    const auto smem = static_cast<std::uint32_t>(__cvta_generic_to_shared(bulk_smem));
    const auto bar0 = static_cast<std::uint32_t>(__cvta_generic_to_shared(full));
    const char* smem_c = reinterpret_cast<const char*>(bulk_smem);

    if (threadIdx.x == 0) {
        for (int s = 0; s < S; ++s) {
            mbar_init(bar0 + 8 * s, 1);
        }
        mbar_init_fence();
    }
    __syncthreads();

    // The stage's chunks [kc0, kc0 + n_chunks) and the scale rows [g_first, g_last] they touch.
    auto stage_chunks = [&](int step, std::int64_t& kc0, int& n_chunks, std::int64_t& g_first,
                            int& n_groups) {
        kc0 = kc_begin + static_cast<std::int64_t>(step) * L::chunks;
        n_chunks = static_cast<int>(kc_end - kc0 < L::chunks ? kc_end - kc0 : L::chunks);
        g_first = kc0 * 64 / p.group;
        n_groups = static_cast<int>(((kc0 + n_chunks) * 64 - 1) / p.group - g_first + 1);
    };

    std::uint64_t policy = 0;
    if (threadIdx.x == 0) {
        asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));
    }
    auto issue = [&](int step) { // thread 0 only
        if (step >= steps) {
            return;
        }
        std::int64_t kc0 = 0;
        std::int64_t g_first = 0;
        int n_chunks = 0;
        int n_groups = 0;
        stage_chunks(step, kc0, n_chunks, g_first, n_groups);
        const int slot = step % S;
        const std::uint32_t base = smem + static_cast<std::uint32_t>(slot * L::stage_bytes);
        const std::uint32_t bar = bar0 + 8 * slot;
        const unsigned bytes = static_cast<unsigned>(tiles_here * n_chunks * 512 + mrows * n_chunks * 128 +
                                                     n_groups * tiles_here * 32);
        async_proxy_fence();
        mbar_expect_tx(bar, bytes);
        const auto* wbytes = reinterpret_cast<const char*>(p.w);
        for (int tw = 0; tw < tiles_here; ++tw) {
            bulk_copy_hint(base + static_cast<std::uint32_t>(tw * L::chunks * 512),
                           wbytes + ((tile0 + tw) * chunks_k + kc0) * 512,
                           static_cast<unsigned>(n_chunks * 512), bar, policy);
        }
        const T* x = static_cast<const T*>(p.x);
        for (int r = 0; r < mrows; ++r) {
            bulk_copy(base + static_cast<std::uint32_t>(L::w_bytes + r * L::x_row),
                      x + (m0 + r) * p.k + kc0 * 64, static_cast<unsigned>(n_chunks * 128), bar);
        }
        const T* scales = static_cast<const T*>(p.scales);
        for (int gi = 0; gi < n_groups; ++gi) {
            bulk_copy(base + static_cast<std::uint32_t>(L::w_bytes + L::x_bytes + gi * TW * 32),
                      scales + (g_first + gi) * p.n + tile0 * 16, static_cast<unsigned>(tiles_here * 32),
                      bar);
        }
    };

    float acc[TW][MT][4] = {};
    auto compute = [&](int step) {
        std::int64_t kc0 = 0;
        std::int64_t g_first = 0;
        int n_chunks = 0;
        int n_groups = 0;
        stage_chunks(step, kc0, n_chunks, g_first, n_groups);
        if (warp >= n_chunks) {
            return;
        }
        const char* st = smem_c + (step % S) * L::stage_bytes;
        std::uint32_t b[MT][8];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
            uint4 lo = make_uint4(0, 0, 0, 0);
            uint4 hi = lo;
            if (mt * 8 + g < mrows) {
                const char* xs = st + L::w_bytes + (mt * 8 + g) * L::x_row + warp * 128 + 32 * t;
                lo = *reinterpret_cast<const uint4*>(xs);
                hi = *reinterpret_cast<const uint4*>(xs + 16);
            }
            unpack_b(b[mt], lo, hi);
        }
        const int gi = static_cast<int>((kc0 + warp) * 64 / p.group - g_first);
#pragma unroll
        for (int tw = 0; tw < TW; ++tw) {
            if (tw >= tiles_here) {
                break;
            }
            const uint4 wv = *reinterpret_cast<const uint4*>(st + (tw * L::chunks + warp) * 512 + lane * 16);
            const T* sv = reinterpret_cast<const T*>(st + L::w_bytes + L::x_bytes + (gi * TW + tw) * 32);
            const float s_lo = ops<T>::to_float(sv[g]);
            const float s_hi = ops<T>::to_float(sv[g + 8]);
            float part[MT][4] = {};
            mma_chunk<T, MT>(wv, b, part);
            scale_add<MT>(acc[tw], part, s_lo, s_hi);
        }
    };

    if (threadIdx.x == 0) {
        for (int s = 0; s < S; ++s) {
            issue(s);
        }
    }
    for (int step = 0; step < steps; ++step) {
        mbar_wait(bar0 + 8 * (step % S), static_cast<unsigned>((step / S) & 1));
        compute(step);
        __syncthreads(); // every warp is done with this slot: refill it with step + S
        if (threadIdx.x == 0) {
            issue(step + S);
        }
    }
    finish<T, MT, TW>(p, acc, reinterpret_cast<float*>(bulk_smem), am_last);
}

template <int MT, int TW, int S>
constexpr int bulk_smem_bytes() {
    constexpr int ring = S * bulk_layout<MT, TW>::stage_bytes;
    constexpr int red = block_warps * TW * 16 * 8 * MT * static_cast<int>(sizeof(float));
    return ring > red ? ring : red;
}

template <typename T, int MT, int TW, int S>
void bulk_one(const params& p, dim3 grid, cudaStream_t stream) {
    constexpr int bytes = bulk_smem_bytes<MT, TW, S>();
    static_assert(bytes <= 227 * 1024, "over the H100/H200 shared-memory limit of one block");
    int dev = 0;
    int major = 0;
    ROOFLINE_CUDA_CALL(cudaGetDevice(&dev));
    ROOFLINE_CUDA_CALL(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    if (major < 9) {
        throw std::invalid_argument(
            "W4A16: the bulk kernel (config::bulk) needs the copy engine of sm_90 or newer; "
            "this GPU is sm_" +
            std::to_string(major) + "x");
    }
    static const bool configured = [] {
        ROOFLINE_CUDA_CALL(cudaFuncSetAttribute(bulk_kernel<T, MT, TW, S>,
                                                cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
        return true;
    }();
    (void)configured;
    bulk_kernel<T, MT, TW, S><<<grid, block_threads, bytes, stream>>>(p);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

template <int MT, int TW>
constexpr int stream_smem_bytes() {
    return block_warps * TW * 16 * 8 * MT * static_cast<int>(sizeof(float));
}

template <typename T, int MT, int TW, int D>
void stream_one(const params& p, dim3 grid, cudaStream_t stream) {
    constexpr int bytes = stream_smem_bytes<MT, TW>();
    static const bool configured = [] {
        ROOFLINE_CUDA_CALL(cudaFuncSetAttribute(stream_kernel<T, MT, TW, D>,
                                                cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
        return true;
    }();
    (void)configured;
    stream_kernel<T, MT, TW, D><<<grid, block_threads, bytes, stream>>>(p);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

// The engine's lean configurations (two register stages), and with ROOFLINE_W4A16_SWEEP
// (bench/w4a16/build.sh) the deeper ones a sweep may try without every build compiling them.
template <typename T, int MT>
void launch_lean(const params& p, int tiles, int g, int minb, int stages, bool xp, dim3 grid,
                 cudaStream_t s) {
    switch ((xp ? 10000 : 0) + stages * 1000 + tiles * 100 + g * 10 + minb) {
    case 2422:
        return lean_one<T, MT, 4, 2, 2, 2>(p, grid, s);
    case 2412:
        return lean_one<T, MT, 4, 1, 2, 2>(p, grid, s);
    case 2413:
        return lean_one<T, MT, 4, 1, 3, 2>(p, grid, s);
    case 2223:
        return lean_one<T, MT, 2, 2, 3, 2>(p, grid, s);
    case 2213:
        return lean_one<T, MT, 2, 1, 3, 2>(p, grid, s);
    case 2123:
        return lean_one<T, MT, 1, 2, 3, 2>(p, grid, s);
    case 2113:
        return lean_one<T, MT, 1, 1, 3, 2>(p, grid, s);
    case 2124:
        return lean_one<T, MT, 1, 2, 4, 2>(p, grid, s);
    case 2114:
        return lean_one<T, MT, 1, 1, 4, 2>(p, grid, s);
    case 12122:
        return lean_one<T, MT, 1, 2, 2, 2, true>(p, grid, s);
    case 12112:
        return lean_one<T, MT, 1, 1, 2, 2, true>(p, grid, s);
    case 12212:
        return lean_one<T, MT, 2, 1, 2, 2, true>(p, grid, s);
#ifdef ROOFLINE_W4A16_SWEEP // every G = 2 entry has its G = 1 twin: a group of 64 turns one into the other
    case 3123:
        return lean_one<T, MT, 1, 2, 3, 3>(p, grid, s);
    case 4123:
        return lean_one<T, MT, 1, 2, 3, 4>(p, grid, s);
    case 3124:
        return lean_one<T, MT, 1, 2, 4, 3>(p, grid, s);
    case 4122:
        return lean_one<T, MT, 1, 2, 2, 4>(p, grid, s);
    case 6122:
        return lean_one<T, MT, 1, 2, 2, 6>(p, grid, s);
    case 3113:
        return lean_one<T, MT, 1, 1, 3, 3>(p, grid, s);
    case 3114:
        return lean_one<T, MT, 1, 1, 4, 3>(p, grid, s);
    case 4112:
        return lean_one<T, MT, 1, 1, 2, 4>(p, grid, s);
    case 6112:
        return lean_one<T, MT, 1, 1, 2, 6>(p, grid, s);
    case 3213:
        return lean_one<T, MT, 2, 1, 3, 3>(p, grid, s);
    case 4113:
        return lean_one<T, MT, 1, 1, 3, 4>(p, grid, s);
    case 3412:
        return lean_one<T, MT, 4, 1, 2, 3>(p, grid, s);
    case 3422:
        return lean_one<T, MT, 4, 2, 2, 3>(p, grid, s);
    case 3223:
        return lean_one<T, MT, 2, 2, 3, 3>(p, grid, s);
    case 4222:
        return lean_one<T, MT, 2, 2, 2, 4>(p, grid, s);
    case 4212:
        return lean_one<T, MT, 2, 1, 2, 4>(p, grid, s);
    case 12113:
        return lean_one<T, MT, 1, 1, 3, 2, true>(p, grid, s);
    case 12114:
        return lean_one<T, MT, 1, 1, 4, 2, true>(p, grid, s);
    case 12123:
        return lean_one<T, MT, 1, 2, 3, 2, true>(p, grid, s);
    case 12124:
        return lean_one<T, MT, 1, 2, 4, 2, true>(p, grid, s);
    case 13112:
        return lean_one<T, MT, 1, 1, 2, 3, true>(p, grid, s);
    case 13122:
        return lean_one<T, MT, 1, 2, 2, 3, true>(p, grid, s);
    case 12412:
        return lean_one<T, MT, 4, 1, 2, 2, true>(p, grid, s);
#endif
    default:
        throw std::invalid_argument(
            "W4A16: lean kernel tiles = " + std::to_string(tiles) + ", G = " + std::to_string(g) +
            ", blocks per SM = " + std::to_string(minb) + ", stages = " + std::to_string(stages) +
            (xp ? ", activations prefetched" : "") + " is not compiled (see launch_lean)");
    }
}

template <typename T, int MT>
void launch_stream(const params& p, const config& cfg, dim3 grid, cudaStream_t s) {
    const int key = (cfg.bulk ? 100000 : 0) + cfg.stages * 1000 + cfg.tiles * 100 + cfg.depth;
    switch (key) {
    case 104400:
        return bulk_one<T, MT, 4, 4>(p, grid, s);
    case 103400:
        return bulk_one<T, MT, 4, 3>(p, grid, s);
    case 104200:
        return bulk_one<T, MT, 2, 4>(p, grid, s);
    case 106200:
        return bulk_one<T, MT, 2, 6>(p, grid, s);
    case 108100:
        return bulk_one<T, MT, 1, 8>(p, grid, s);
    case 4401:
        return ring_one<T, MT, 4, 1, 4>(p, grid, s);
    case 3401:
        return ring_one<T, MT, 4, 1, 3>(p, grid, s);
    case 6401:
        return ring_one<T, MT, 4, 1, 6>(p, grid, s);
    case 4202:
        return ring_one<T, MT, 2, 2, 4>(p, grid, s);
    case 4104:
        return ring_one<T, MT, 1, 4, 4>(p, grid, s);
    case 3202:
        return ring_one<T, MT, 2, 2, 3>(p, grid, s);
    case 104:
        return stream_one<T, MT, 1, 4>(p, grid, s);
    case 202:
        return stream_one<T, MT, 2, 2>(p, grid, s);
    case 401:
        return stream_one<T, MT, 4, 1>(p, grid, s);
    default:
        throw std::invalid_argument(
            "W4A16: tiles = " + std::to_string(cfg.tiles) + ", depth = " + std::to_string(cfg.depth) +
            ", stages = " + std::to_string(cfg.stages) + " is not compiled (see launch_stream)");
    }
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
        const std::uint32_t q = w[i];
        const std::int64_t n0 = tile * 16;
        const std::int64_t k0 = kc * 64;
        // Groups are multiples of 64 along K: the 16 columns of a lane lie in one group.
        const std::int64_t grp = (k0 + layout::element_of(lane, word, 0).col) / group;
        const float s_lo = ops<T>::to_float(scales[grp * n + n0 + g]);
        const float s_hi = ops<T>::to_float(scales[grp * n + n0 + g + 8]);
        // Nibbles i and i + 4 are neighbours along K (columns c and c + 1): one 32-bit store for the pair.
#pragma unroll
        for (int nib = 0; nib < 4; ++nib) {
            const auto e = layout::element_of(lane, word, nib);
            const std::int64_t row = n0 + e.row;
            const std::int64_t col = k0 + e.col;
            const float s = (nib & 1) != 0 ? s_hi : s_lo;
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
        std::uint32_t q = 0;
        for (int nib = 0; nib < 8; ++nib) {
            const auto e = layout::element_of(lane, word, nib);
            q |= static_cast<std::uint32_t>(codes[(tile * 16 + e.row) * k + kc * 64 + e.col] & 0xFu)
                 << (4 * nib);
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
    config c;
    const std::int64_t mrows = std::min<std::int64_t>(m, 16);
    const std::int64_t n_tiles = n / 16;
    const std::int64_t chunks_k = k / 64;
    const std::int64_t sms = std::max(sm_count, 1);
    const std::int64_t m_chunks = (m + 15) / 16;
    // Measured on the H200 (bench/w4a16/results/w4a16_run6_sweep_memset.json; THEORY.md, "Run 6"):
    // - every block of one row tile resident at once at two blocks per SM (4096², 4096×14336): one tile, the
    //   activations fetched a step ahead with the weights (at M = 16 they no longer fit L1, and an L2 hit in
    //   front of every step's mma was the wait), 4096×14336 at M = 16 18.4 µs against 22.8 without;
    // - else at M ≤ 8, one tile at four blocks per SM (64 registers; three, chosen by the last wave's fill in
    //   run 5, lost to four on 28672×8192 by 6% once the dequantise took fewer instructions), four tiles at
    //   two where those fill their last wave at least as well (14336×4096 and 28672×8192, 85% either way:
    //   four tiles equal or up to 3% faster);
    // - else at M = 9..16, two tiles with the activations ahead where all those blocks are resident at once
    //   (8192×28672: 55.0 µs against 59.7 for four tiles split twice), four tiles (activations reused over
    //   four tiles from registers, at two blocks per SM) split along K below where more waves are needed.
    const std::int64_t blocks1 = m_chunks * n_tiles;
    const std::int64_t blocks2 = m_chunks * (n_tiles / 2);
    const std::int64_t blocks4 = m_chunks * (n_tiles / 4);
    const auto last_wave_fill = [&](std::int64_t blocks, std::int64_t per_sm) {
        const double waves = static_cast<double>(blocks) / static_cast<double>(sms * per_sm);
        return waves / std::ceil(waves);
    };
    c.depth = 0;
    if (blocks1 <= 2 * sms) {
        c.tiles = 1;
        c.lean = 1022;
    } else if (mrows <= 8 &&
               (n_tiles % 4 != 0 || last_wave_fill(blocks4, 2) < last_wave_fill(blocks1, 4) - 1e-9)) {
        c.tiles = 1;
        c.lean = 24;
    } else if (mrows > 8 && n_tiles % 2 == 0 && blocks2 <= 2 * sms) {
        c.tiles = 2;
        c.lean = 1012;
    } else if (n_tiles % 4 == 0) {
        c.tiles = 4;
        c.lean = 12;
    } else if (mrows > 4 && chunks_k <= 64 && n_tiles <= 2 * sms) {
        // The register kernel (n not a multiple of 64): one row tile per block won at M > 4 on 4096² (run 3).
        c.tiles = 1;
        c.depth = 4;
    } else {
        c.tiles = 4;
        c.depth = 1;
    }
    const std::int64_t blocks = m_chunks * ((n_tiles + c.tiles - 1) / c.tiles);
    // Split K by a power of two (even splits keep every warp's share equal; 3 measured slower than 2 and 4)
    // until about 1.5 blocks per SM exist, never below one full step per warp.
    c.splits = 1;
    while (c.splits < 8 && 2 * blocks * c.splits < 3 * sms &&
           chunks_k / (2 * c.splits) >= static_cast<std::int64_t>(block_warps) * std::max(c.depth, 1)) {
        c.splits *= 2;
    }
    return c;
}

std::size_t workspace_bytes(std::int64_t m, std::int64_t n) {
    const std::int64_t tiles = ((m + 7) / 8) * ((n + 15) / 16); // at least one counter per (m chunk, n block)
    return static_cast<std::size_t>(m * n) * sizeof(float) +
           static_cast<std::size_t>(tiles) * sizeof(unsigned);
}

namespace {
struct lean_decoded {
    int g, minb, stages;
    bool xp;
};
// config::lean's fields. Two chunks per scale step only where a step never straddles two groups.
lean_decoded lean_fields(const config& cfg, std::int64_t group) {
    const int s = cfg.lean / 100 % 10;
    return {cfg.lean / 10 % 10 == 2 && group % 128 == 0 ? 2 : 1, cfg.lean % 10, s == 0 ? 2 : s,
            cfg.lean / 1000 != 0};
}

void gemm_lean(const gemm_args& a, const config& cfg, params& p, int mt, std::int64_t m_chunks,
               cudaStream_t stream) {
    const std::int64_t n_tiles = a.n / 16;
    if (n_tiles % cfg.tiles != 0) {
        throw std::invalid_argument("W4A16: the lean kernel needs n = " + std::to_string(a.n) +
                                    " to be a multiple of 16 * tiles = " + std::to_string(16 * cfg.tiles));
    }
    if (a.m > std::int64_t{1} << 30 || a.n > std::int64_t{1} << 30 || a.k > std::int64_t{1} << 30) {
        throw std::invalid_argument(
            "W4A16: the lean kernel indexes m, n and k in 32 bits (at most 2^30 each)");
    }
    const auto [g, minb, stages, xp] = lean_fields(cfg, a.group);
    const std::int64_t units_k = a.k / 64 / g;
    const std::int64_t splits_wanted = std::clamp<std::int64_t>(cfg.splits, 1, units_k);
    const std::int64_t per = (units_k + splits_wanted - 1) / splits_wanted;
    p.units_per_split = static_cast<int>(per);
    p.chunks_per_split = per * g;
    p.splits = static_cast<int>((units_k + per - 1) / per);
    p.partial = static_cast<float*>(a.workspace);
    p.counters = reinterpret_cast<unsigned*>(static_cast<char*>(a.workspace) + a.m * a.n * sizeof(float));
    if (p.splits > 1 && a.workspace == nullptr) {
        throw std::invalid_argument("W4A16: a split-K configuration needs the workspace");
    }
    const dim3 grid(static_cast<unsigned>(m_chunks), static_cast<unsigned>(n_tiles / cfg.tiles),
                    static_cast<unsigned>(p.splits));
    if (a.type == CUDA_R_16F) {
        mt == 1 ? launch_lean<__half, 1>(p, cfg.tiles, g, minb, stages, xp, grid, stream)
                : launch_lean<__half, 2>(p, cfg.tiles, g, minb, stages, xp, grid, stream);
    } else {
        mt == 1 ? launch_lean<__nv_bfloat16, 1>(p, cfg.tiles, g, minb, stages, xp, grid, stream)
                : launch_lean<__nv_bfloat16, 2>(p, cfg.tiles, g, minb, stages, xp, grid, stream);
    }
}
} // namespace

std::string describe(const config& cfg, std::int64_t group) {
    if (cfg.lean != 0) {
        const auto [g, minb, stages, xp] = lean_fields(cfg, group);
        return "lean kernel, row tiles " + std::to_string(cfg.tiles) + ", " + std::to_string(g) +
               " chunks per scale step, " + std::to_string(minb) + " blocks per SM, " +
               std::to_string(stages) + " register stages" + (xp ? " (activations too)" : "") +
               ", K splits " + std::to_string(cfg.splits);
    }
    return "register kernel, row tiles " + std::to_string(cfg.tiles) + ", depth " +
           std::to_string(cfg.depth) + ", K splits " + std::to_string(cfg.splits);
}

void gemm(const gemm_args& a, const config& cfg, cudaStream_t stream) {
    check_type(a.type);
    layout::validate(a.n, a.k, a.group);
    if (a.m <= 0) {
        throw std::invalid_argument("W4A16: m = " + std::to_string(a.m) + " must be positive");
    }
    params p = make_params(a);
    const int mt = a.m <= 8 ? 1 : 2;
    const std::int64_t m_chunks = (a.m + 8 * mt - 1) / (8 * mt);
    const std::int64_t chunks_k = a.k / 64;
    if (cfg.tiles != 1 && cfg.tiles != 2 && cfg.tiles != 4) {
        throw std::invalid_argument("W4A16: tiles = " + std::to_string(cfg.tiles) + " must be 1, 2 or 4");
    }
    if (cfg.lean != 0) {
        return gemm_lean(a, cfg, p, mt, m_chunks, stream);
    }
    const std::int64_t splits_wanted = std::clamp<std::int64_t>(cfg.splits, 1, chunks_k);
    const std::int64_t per = (chunks_k + splits_wanted - 1) / splits_wanted;
    p.chunks_per_split = per;
    p.splits = static_cast<int>((chunks_k + per - 1) / per);
    p.partial = static_cast<float*>(a.workspace);
    p.counters = reinterpret_cast<unsigned*>(static_cast<char*>(a.workspace) + a.m * a.n * sizeof(float));
    if (p.splits > 1 && a.workspace == nullptr) {
        throw std::invalid_argument("W4A16: a split-K configuration needs the workspace");
    }
    const std::int64_t n_blocks = (a.n / 16 + cfg.tiles - 1) / cfg.tiles;
    const dim3 grid(static_cast<unsigned>(m_chunks), static_cast<unsigned>(n_blocks),
                    static_cast<unsigned>(p.splits));
    if (a.type == CUDA_R_16F) {
        mt == 1 ? launch_stream<__half, 1>(p, cfg, grid, stream)
                : launch_stream<__half, 2>(p, cfg, grid, stream);
    } else {
        mt == 1 ? launch_stream<__nv_bfloat16, 1>(p, cfg, grid, stream)
                : launch_stream<__nv_bfloat16, 2>(p, cfg, grid, stream);
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
