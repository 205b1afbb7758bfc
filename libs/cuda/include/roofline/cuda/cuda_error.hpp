// The one error type for a failed CUDA runtime call, used by the engine (libs/cuda) and the bandwidth kernels
// (libs/ceilings): the native error code, the call's text and where it was made. It names no CUDA type, so
// code that only catches it needs no CUDA header, and it stays C++17 so .cu files can throw it.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace roofline::cuda {

class cuda_error : public std::runtime_error {
  public:
    // text: the runtime's name and sentence for the code ("cudaErrorMemoryAllocation: out of memory").
    cuda_error(int code, std::string call, const std::string& text, const char* file = nullptr, int line = 0)
        : std::runtime_error(describe(code, call, text, file, line)), m_code(code), m_call(std::move(call)) {}
    // The cudaError_t value.
    [[nodiscard]] int code() const noexcept { return m_code; }
    [[nodiscard]] const std::string& call() const noexcept { return m_call; }

  private:
    static std::string describe(int code, const std::string& call, const std::string& text, const char* file,
                                int line) {
        std::string s = "CUDA error " + std::to_string(code) + " (" + text + ") in " + call;
        if (file != nullptr) {
            s += std::string(" at ") + file + ":" + std::to_string(line);
        }
        return s;
    }
    int m_code;
    std::string m_call;
};

} // namespace roofline::cuda
