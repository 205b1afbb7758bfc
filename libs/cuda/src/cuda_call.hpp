// cuBLASLt failures as exceptions carrying the native status and the call's text (nvbench's
// NVBENCH_CUDA_CALL), beside ROOFLINE_CUDA_CALL for the runtime. They are thrown inside the library and
// caught in measure(), which turns them into a point with disposition `failed`; nothing escapes to the
// caller.
#pragma once

#include "roofline/cuda/detail/cuda_check.hpp"

#include <cublasLt.h>
#include <stdexcept>
#include <string>

namespace roofline::cuda {

class cublas_error : public std::runtime_error {
  public:
    cublas_error(cublasStatus_t status, const std::string& call, const char* file, int line)
        : std::runtime_error(describe(status, call, file, line)), m_status(status) {}
    [[nodiscard]] cublasStatus_t status() const noexcept { return m_status; }

  private:
    static std::string describe(cublasStatus_t s, const std::string& call, const char* file, int line) {
        return std::string("cuBLASLt status ") + std::to_string(static_cast<int>(s)) + " (" +
               cublasLtGetStatusName(s) + ": " + cublasLtGetStatusString(s) + ") in " + call + " at " + file +
               ":" + std::to_string(line);
    }
    cublasStatus_t m_status;
};

namespace detail {
inline void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
    if (status != CUBLAS_STATUS_SUCCESS) {
        throw cublas_error(status, call, file, line);
    }
}
} // namespace detail

} // namespace roofline::cuda

#define ROOFLINE_CUBLAS_CALL(expr) ::roofline::cuda::detail::check_cublas((expr), #expr, __FILE__, __LINE__)
