// The operands of one GEMM measurement: does the problem fit in free memory, the device buffers, and random
// inputs drawn afresh for every measurement.
#pragma once

#include "gemm_plan.hpp"
#include "phase.hpp"
#include "resources.hpp"
#include "roofline/core/block_scaled.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace roofline::cuda {

struct gemm_operands {
    double need_a = 0, need_b = 0, need_c = 0, need_d = 0, need_scales = 0; // bytes
    device_buffer a, b, c, d, a_scales, b_scales;
    double d_scale = 1.0; // FP8 output: D = d_scale · (A·B + beta·C) keeps D inside the format's range
    double alpha = 1.0;   // block-scaled: the product of the two per-tensor scales
    // Block-scaled plans: the operands as packed on the host (roofline::core), which the reference reads.
    std::optional<block_scaled_matrix> host_a, host_b;

    [[nodiscard]] double operand_bytes(bool reads_c) const {
        return need_a + need_b + (reads_c ? need_c : 0.0) + need_d;
    }
    // C is read only when beta != 0; when C's type differs from D's (FP8 output) it still needs its own
    // buffer, since cuBLASLt accepts C aliasing D only with identical layouts.
    [[nodiscard]] const void* c_ptr(const gemm_problem& p, const gemm_plan& plan) const {
        return p.reads_c() || plan.c_type != plan.d_type ? c.get() : d.get();
    }
};

// Sizes the operands (in doubles first: M·K·8 can exceed 64 bits for the largest allowed dimensions) and
// allocates them; invalid_problem with the sizes in words when they do not fit next to the headroom.
phase_outcome allocate_operands(const gemm_problem& p, const gemm_plan& plan, const std::string& device_name,
                                gemm_operands& ops);

// Random A, B (and C when read) in the plan's types and range, drawn on the GPU; block-scaled A and B are
// drawn and packed on the host by roofline::core (random codes, random non-unit block and tensor scales, the
// 128x4 tiled scale layout) and copied over, so the GPU runs exactly the packing the CPU tests check. The
// scalars (A scale, B scale, D scale, each in its own 256-byte slot of `scalars`) queued on `stream`.
void fill_operands(const gemm_problem& p, const gemm_plan& plan, std::uint64_t seed, gemm_operands& ops,
                   void* scalars, std::array<float, 4>& host_scalars, cudaStream_t stream);

} // namespace roofline::cuda
