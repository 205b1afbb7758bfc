// s4 mma.sync: native on sm_75..sm_89; on sm_90 and newer ptxas lowers it to a sequence of other
// instructions (measured in docs/THEORY.md, "INT4 on Hopper and Blackwell"). The fragment addressing is
// roofline/core/int4_gemm.hpp's, which CI checks on the host through its emulation of this kernel.
#include "cuda_call.hpp"
#include "kernels/int4_mma.hpp"
#include "roofline/core/int4_layout.hpp"

#include <stdexcept>
#include <string>

namespace roofline::cuda::int4_mma {
namespace {

namespace ref = roofline::int4_gemm;

__device__ __forceinline__ void mma_s4(int (&d)[4], const std::uint32_t (&a)[4],
                                       const std::uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
    // Turing has only m8n8k32 for s4: the m16n8k64 tile is four of them (ref::turing_piece_at, which the
    // host test checks against the PTX ISA's m8n8k32 and m16n8k64 fragment tables).
#pragma unroll
    for (int p = 0; p < ref::turing_piece_count; ++p) {
        const ref::turing_piece piece = ref::turing_piece_at(p);
        asm volatile("mma.sync.aligned.m8n8k32.row.col.s32.s4.s4.s32 {%0,%1}, {%2}, {%3}, {%0,%1};"
                     : "+r"(d[2 * piece.c_half]), "+r"(d[2 * piece.c_half + 1])
                     : "r"(a[piece.a_reg]), "r"(b[piece.b_reg]));
    }
#else
    asm volatile("mma.sync.aligned.m16n8k64.row.col.s32.s4.s4.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

__device__ __forceinline__ void mma_s8(int (&d)[4], const std::uint32_t (&a)[4],
                                       const std::uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
    (void)d, (void)a, (void)b;
    __trap(); // m16n8k32 s8 needs sm_80; the probe is for the GPUs we measure (sm_80 and newer)
#else
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

__device__ __forceinline__ void mma_f16(float (&d)[4], const std::uint32_t (&a)[4],
                                        const std::uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
    (void)d, (void)a, (void)b;
    __trap();
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// One warp per 16×8 tile of C; the fragments come straight from global memory (a check kernel, not a fast
// one).
__global__ void gemm_kernel(const std::uint8_t* a, const std::uint8_t* b, std::int32_t* c, std::int64_t m,
                            std::int64_t n, std::int64_t k) {
    const int lane = static_cast<int>(threadIdx.x) & 31;
    const std::int64_t tile = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    const std::int64_t tiles_n = n / ref::tile_n;
    if (tile >= (m / ref::tile_m) * tiles_n) {
        return;
    }
    const std::int64_t row0 = (tile / tiles_n) * ref::tile_m;
    const std::int64_t col0 = (tile % tiles_n) * ref::tile_n;
    int acc[4] = {0, 0, 0, 0};
    for (std::int64_t k0 = 0; k0 < k; k0 += ref::tile_k) {
        std::uint32_t ra[4];
        std::uint32_t rb[2];
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            ra[r] = *reinterpret_cast<const std::uint32_t*>(a + ref::a_word(row0, k0, lane, r, k));
        }
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            rb[r] = *reinterpret_cast<const std::uint32_t*>(b + ref::b_word(col0, k0, lane, r, k));
        }
        mma_s4(acc, ra, rb);
    }
#pragma unroll
    for (int r = 0; r < 4; ++r) {
        c[(row0 + ref::c_row(lane, r)) * n + col0 + ref::c_col(lane, r)] = acc[r];
    }
}

template <int KIND>
__global__ void probe_kernel(int iterations, std::int32_t* sink) {
    std::uint32_t a[4];
    std::uint32_t b[2];
    const auto seed = static_cast<std::uint32_t>(threadIdx.x * 2654435761u + blockIdx.x);
#pragma unroll
    for (int r = 0; r < 4; ++r) {
        a[r] = seed ^ (0x9E3779B9u * (r + 1));
    }
    b[0] = seed * 3u;
    b[1] = seed * 5u;
    int ai[8][4] = {};
    float af[8][4] = {};
    for (int it = 0; it < iterations; ++it) {
#pragma unroll
        for (int c = 0; c < 8; ++c) {
            if constexpr (KIND == 0) {
                mma_s4(ai[c], a, b);
            } else if constexpr (KIND == 1) {
                mma_s8(ai[c], a, b);
            } else {
                mma_f16(af[c], a, b);
            }
        }
    }
    int total = 0;
#pragma unroll
    for (int c = 0; c < 8; ++c) {
        total += ai[c][0] + ai[c][1] + ai[c][2] + ai[c][3] +
                 static_cast<int>(af[c][0] + af[c][1] + af[c][2] + af[c][3]);
    }
    sink[blockIdx.x * blockDim.x + threadIdx.x] = total;
}

} // namespace

void gemm(const void* a, const void* b, std::int32_t* c, std::int64_t m, std::int64_t n, std::int64_t k,
          cudaStream_t stream) {
    if (m <= 0 || n <= 0 || k <= 0 || m % ref::tile_m != 0 || n % ref::tile_n != 0 || k % ref::tile_k != 0) {
        throw std::invalid_argument("INT4 GEMM: m, n, k = " + std::to_string(m) + ", " + std::to_string(n) +
                                    ", " + std::to_string(k) + " must be positive multiples of 16, 8 and 64");
    }
    const std::int64_t tiles = (m / ref::tile_m) * (n / ref::tile_n);
    const auto blocks = static_cast<unsigned>((tiles + 3) / 4);
    gemm_kernel<<<blocks, 128, 0, stream>>>(static_cast<const std::uint8_t*>(a),
                                            static_cast<const std::uint8_t*>(b), c, m, n, k);
    ROOFLINE_CUDA_CALL(cudaGetLastError());
}

double probe(mma_kind kind, int blocks, int iterations, std::int32_t* sink, cudaStream_t stream) {
    double per_mma = 0.0;
    switch (kind) {
    case mma_kind::s4_m16n8k64:
        probe_kernel<0><<<blocks, 256, 0, stream>>>(iterations, sink);
        per_mma = 2.0 * 16 * 8 * 64;
        break;
    case mma_kind::s8_m16n8k32:
        probe_kernel<1><<<blocks, 256, 0, stream>>>(iterations, sink);
        per_mma = 2.0 * 16 * 8 * 32;
        break;
    case mma_kind::f16_m16n8k16:
        probe_kernel<2><<<blocks, 256, 0, stream>>>(iterations, sink);
        per_mma = 2.0 * 16 * 8 * 16;
        break;
    }
    ROOFLINE_CUDA_CALL(cudaGetLastError());
    return per_mma * 8.0 * iterations * (static_cast<double>(blocks) * 256 / 32);
}

} // namespace roofline::cuda::int4_mma
