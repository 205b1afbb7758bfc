// The reference half of the verification pairs for block-scaled GEMMs (NVFP4, MXFP8), from roofline::core's
// CPU model of what cuBLASLt reads. CUDA-free (roofline_cuda_host): the CPU test that plants a wrong scale
// layout runs the same code the engine runs on a Blackwell.
#pragma once

#include "roofline/core/block_scaled.hpp"

#include <cstdint>
#include <vector>

namespace roofline::cuda {

// The s-th of `count` indices spread evenly over [0, extent), first and last included; every index when
// extent <= count. The same formula as the GPU's reference kernel (kernels.cu: spread_index), so both sample
// the same elements.
[[nodiscard]] std::int64_t spread_index(int s, int count, std::int64_t extent);

// pairs holds (result, reference) for the sample_rows x sample_cols grid over the stored D (rows of `first` x
// rows of `second`: cuBLASLt's A and B, i.e. our A and B, or B and A when D is transposed), row of the grid
// outermost. Writes each reference: Σ_k first(i, k) · second(j, k) (tensor scales included), the block scales
// read with `order` (tiled_128x4 is what cuBLASLt reads; anything else is a planted fault).
void block_scaled_reference(const block_scaled_matrix& first, const block_scaled_matrix& second,
                            int sample_rows, int sample_cols, std::vector<double>& pairs,
                            scale_layout::kind order = scale_layout::kind::tiled_128x4);

} // namespace roofline::cuda
