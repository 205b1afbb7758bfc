// Measuring a W4A16 problem (INT4 weights with FP16 group scales × FP16 activations) through our kernel, for
// the backend's measure(): no cuBLASLt type exists for it, so it has a path of its own.
#pragma once

#include "roofline/core/backend.hpp"
#include "roofline/core/result.hpp"

#include <cublasLt.h>

namespace roofline::cuda {

// Fills pt (status, time_s, message) and m (timing, error, kernel_path, notes). Decode and small batches
// (M ≤ 64) run our mixed-input kernel; larger M dequantise the weights to FP16 once with our kernel and
// hand the GEMM to cuBLASLt, both timed together (kernel_path says which). Throws cuda_error/cublas_error,
// which measure() turns into a failed point.
void measure_w4a16(const gemm_problem& p, const measure_options& o, int device, cublasLtHandle_t lt,
                   analysis_point& pt, measurement& m);

} // namespace roofline::cuda
