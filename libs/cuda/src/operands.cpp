#include "operands.hpp"

#include "algo_select.hpp"
#include "format.hpp"
#include "kernels.hpp"

#include <cmath>
#include <stdexcept>

namespace roofline::cuda {
namespace {

std::int64_t round_up(std::int64_t v, std::int64_t to) {
    return (v + to - 1) / to * to;
}

double bytes_of(cudaDataType_t t, std::int64_t r, std::int64_t c) {
    const double e = static_cast<double>(r) * static_cast<double>(c);
    return t == CUDA_R_4F_E2M1 ? std::ceil(e / 2) : e * static_cast<double>(storage_bytes(t, 1, 1));
}

// Scale tensors are tiled in 128 x 4 blocks (cuBLASLt's block-scaling layout): both sides rounded up.
std::int64_t scale_bytes(const gemm_plan& plan, std::int64_t rows, std::int64_t k) {
    const auto blocks = round_up((k + plan.scale_block - 1) / plan.scale_block, 4);
    return round_up(rows, 128) * blocks;
}

} // namespace

phase_outcome allocate_operands(const gemm_problem& p, const gemm_plan& plan, const std::string& device_name,
                                gemm_operands& ops) {
    ops.need_a = bytes_of(plan.a_type, p.m, p.k);
    ops.need_b = bytes_of(plan.b_type, p.n, p.k);
    ops.need_d = bytes_of(plan.d_type, p.m, p.n);
    ops.need_c = p.reads_c() || plan.c_type != plan.d_type ? bytes_of(plan.c_type, p.m, p.n) : 0.0;
    ops.need_scales = plan.block_scaled
                          ? static_cast<double>(scale_bytes(plan, p.m, p.k) + scale_bytes(plan, p.n, p.k))
                          : 0.0;
    const double need = ops.need_a + ops.need_b + ops.need_c + ops.need_d + ops.need_scales;
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    ROOFLINE_CUDA_CALL(cudaMemGetInfo(&free_bytes, &total_bytes));
    // Headroom for cuBLASLt's own allocations and the context's growth.
    const double headroom = 64.0 * mib + 0.01 * static_cast<double>(total_bytes);
    if (need + headroom > static_cast<double>(free_bytes)) {
        return phase_outcome::stop(
            disposition::invalid_problem,
            "does not fit on " + device_name + ": the operands need " + format_bytes(need) + " (A " +
                format_bytes(ops.need_a) + ", B " + format_bytes(ops.need_b) +
                (ops.need_c > 0 ? ", C " + format_bytes(ops.need_c) : std::string()) + ", D " +
                format_bytes(ops.need_d) + ") plus " + format_bytes(headroom) + " headroom, but " +
                format_bytes(static_cast<double>(free_bytes)) + " of " +
                format_bytes(static_cast<double>(total_bytes)) + " are free; choose a smaller shape");
    }
    ops.a = device_buffer(static_cast<std::size_t>(ops.need_a));
    ops.b = device_buffer(static_cast<std::size_t>(ops.need_b));
    ops.d = device_buffer(static_cast<std::size_t>(ops.need_d));
    ops.c = device_buffer(static_cast<std::size_t>(ops.need_c));
    if (plan.block_scaled) {
        ops.a_scales = device_buffer(static_cast<std::size_t>(scale_bytes(plan, p.m, p.k)));
        ops.b_scales = device_buffer(static_cast<std::size_t>(scale_bytes(plan, p.n, p.k)));
    }
    return phase_outcome::go_on();
}

namespace {

void upload(const std::vector<std::uint8_t>& host, const device_buffer& dev, cudaStream_t stream) {
    if (host.size() != dev.bytes()) {
        throw std::logic_error("block-scaled operand: " + std::to_string(host.size()) +
                               " bytes packed for a " + std::to_string(dev.bytes()) + "-byte buffer");
    }
    ROOFLINE_CUDA_CALL(cudaMemcpyAsync(dev.get(), host.data(), host.size(), cudaMemcpyHostToDevice, stream));
}

void fill_block_scaled(const gemm_problem& p, const gemm_plan& plan, std::uint64_t seed, gemm_operands& ops,
                       cudaStream_t stream) {
    const auto format = plan.a_type == CUDA_R_4F_E2M1 ? block_format::nvfp4 : block_format::mxfp8;
    // Both operands K-major: A is M x K, B is N x K, each with its scale tensor of rows x K/block.
    ops.host_a = random_block_scaled(format, p.m, p.k, seed);
    ops.host_b = random_block_scaled(format, p.n, p.k, seed ^ 0xB0B0B0B0ull);
    upload(ops.host_a->data, ops.a, stream);
    upload(ops.host_b->data, ops.b, stream);
    upload(ops.host_a->scales, ops.a_scales, stream);
    upload(ops.host_b->scales, ops.b_scales, stream);
    ops.alpha = static_cast<double>(ops.host_a->tensor_scale * ops.host_b->tensor_scale);
}

} // namespace

void fill_operands(const gemm_problem& p, const gemm_plan& plan, std::uint64_t seed, gemm_operands& ops,
                   void* scalars, std::array<float, 4>& host_scalars, cudaStream_t stream) {
    if (plan.block_scaled) {
        fill_block_scaled(p, plan, seed, ops, stream);
    } else {
        kernels::fill_random(ops.a.get(), p.m * p.k, plan.a_type, plan.input_range, seed, stream);
        kernels::fill_random(ops.b.get(), p.n * p.k, plan.b_type, plan.input_range, seed ^ 0xB0B0B0B0ull,
                             stream);
    }
    if (p.reads_c()) {
        kernels::fill_random(ops.c.get(), p.m * p.n, plan.c_type, plan.integer ? plan.input_range : 1.0,
                             seed ^ 0xC0C0C0C0ull, stream);
    }
    // D = d_scale · (A·B + beta·C) for FP8 outputs: |A·B| is about range²·√K/3 for uniform inputs.
    ops.d_scale = plan.d_scaled
                      ? 3.0 / (plan.input_range * plan.input_range * std::sqrt(static_cast<double>(p.k)))
                      : 1.0;
    host_scalars = {1.0f, 1.0f, static_cast<float>(ops.d_scale), 1.0f};
    // One scalar per 256-byte slot: cuBLASLt refuses FP8 kernels (CUBLAS_STATUS_NOT_SUPPORTED at launch) when
    // a scale pointer is only 4-byte aligned.
    ROOFLINE_CUDA_CALL(cudaMemcpy2DAsync(scalars, scalar_slot, host_scalars.data(), sizeof(float),
                                         sizeof(float), host_scalars.size(), cudaMemcpyHostToDevice, stream));
}

} // namespace roofline::cuda
