// A C ABI over our W4A16 and INT4 kernels so bench.py can call them through ctypes on PyTorch's tensors, in
// the same process as torch.mm and torch._weight_int4pack_mm. Bench-only: the engine calls the C++ API.
#include "kernels/int4_mma.hpp"
#include "kernels/w4a16.hpp"

#include <cuda_runtime_api.h>
#include <exception>
#include <string>

namespace {
std::string last_error;
template <typename F>
int guarded(F&& f) {
    try {
        f();
        return 0;
    } catch (const std::exception& e) {
        last_error = e.what();
        return -1;
    }
}
namespace w = roofline::cuda::w4a16;
w::gemm_args make(const void* x, const void* wq, const void* s, void* out, int bf16, long long m, long long n,
                  long long k, long long group, long long sm, long long sn, void* ws) {
    w::gemm_args a;
    a.x = x;
    a.w = wq;
    a.scales = s;
    a.out = out;
    a.type = bf16 != 0 ? CUDA_R_16BF : CUDA_R_16F;
    a.m = m;
    a.n = n;
    a.k = k;
    a.group = group;
    a.out_stride_m = sm;
    a.out_stride_n = sn;
    a.workspace = ws;
    return a;
}
} // namespace

extern "C" {
const char* rl_last_error() {
    return last_error.c_str();
}
unsigned long long rl_w4a16_workspace_bytes(long long m, long long n) {
    return w::workspace_bytes(m, n);
}
// tiles <= 0: choose_config's pick. Writes the config used (tiles, depth, splits, stages, bulk, lean) to
// cfg_out[6] when not null.
int rl_w4a16_gemm(const void* x, const void* wq, const void* s, void* out, int bf16, long long m, long long n,
                  long long k, long long group, long long sm, long long sn, void* ws, int tiles, int depth,
                  int splits, int stages, int bulk, int lean, int* cfg_out, void* stream) {
    return guarded([&] {
        w::config c;
        if (tiles <= 0) {
            int dev = 0;
            int sms = 0;
            cudaGetDevice(&dev);
            cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
            c = w::choose_config(m, n, k, sms);
        } else {
            c.tiles = tiles;
            c.depth = depth;
            c.splits = splits;
            c.stages = stages;
            c.bulk = bulk != 0;
            c.lean = lean;
        }
        if (cfg_out != nullptr) {
            cfg_out[0] = c.tiles;
            cfg_out[1] = c.depth;
            cfg_out[2] = c.splits;
            cfg_out[3] = c.stages;
            cfg_out[4] = c.bulk ? 1 : 0;
            cfg_out[5] = c.lean;
        }
        w::gemm(make(x, wq, s, out, bf16, m, n, k, group, sm, sn, ws), c, static_cast<cudaStream_t>(stream));
    });
}
int rl_w4a16_pack(const void* codes, void* wq, long long n, long long k, void* stream) {
    return guarded([&] {
        w::pack(static_cast<const std::uint8_t*>(codes), wq, n, k, static_cast<cudaStream_t>(stream));
    });
}
int rl_w4a16_dequantize(const void* wq, const void* s, void* out, int bf16, long long n, long long k,
                        long long group, void* stream) {
    return guarded([&] {
        w::dequantize(wq, s, out, bf16 != 0 ? CUDA_R_16BF : CUDA_R_16F, n, k, group,
                      static_cast<cudaStream_t>(stream));
    });
}
int rl_w4a16_check(const void* x, const void* wq, const void* s, const void* out, int bf16, long long m,
                   long long n, long long k, long long group, long long sm, long long sn, double* pairs,
                   int rows, int cols, void* stream) {
    return guarded([&] {
        w::reference_check(make(x, wq, s, const_cast<void*>(out), bf16, m, n, k, group, sm, sn, nullptr),
                           pairs, rows, cols, static_cast<cudaStream_t>(stream));
    });
}
int rl_int4_gemm(const void* a, const void* b, int* c, long long m, long long n, long long k, void* stream) {
    return guarded(
        [&] { roofline::cuda::int4_mma::gemm(a, b, c, m, n, k, static_cast<cudaStream_t>(stream)); });
}
// kind 0 = s4 m16n8k64, 1 = s8 m16n8k32, 2 = f16 m16n8k16. Returns the operations issued via *ops.
int rl_mma_probe(int kind, int blocks, int iterations, int* sink, double* ops, void* stream) {
    return guarded([&] {
        *ops = roofline::cuda::int4_mma::probe(static_cast<roofline::cuda::int4_mma::mma_kind>(kind), blocks,
                                               iterations, sink, static_cast<cudaStream_t>(stream));
    });
}
}
