// ROOFLINE_CUDA_CALL (nvbench's NVBENCH_CUDA_CALL): throws roofline::cuda::cuda_error with the code, the
// call's text, the file and the line. For CUDA-compiled code only (it includes the runtime API); C++17 for
// the .cu files.
#pragma once

#include "roofline/cuda/cuda_error.hpp"

#include <cuda_runtime_api.h>

namespace roofline::cuda::detail {

inline std::string error_text(cudaError_t code) {
    return std::string(cudaGetErrorName(code)) + ": " + cudaGetErrorString(code);
}

inline void check_cuda(cudaError_t code, const char* call, const char* file, int line) {
    if (code != cudaSuccess) {
        throw cuda_error(static_cast<int>(code), call, error_text(code), file, line);
    }
}

} // namespace roofline::cuda::detail

#define ROOFLINE_CUDA_CALL(expr) ::roofline::cuda::detail::check_cuda((expr), #expr, __FILE__, __LINE__)
