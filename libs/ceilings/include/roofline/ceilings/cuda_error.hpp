// A failed CUDA runtime call: its error code and the call's text. C++17 so the .cu files can throw it.
#pragma once

#include <stdexcept>
#include <string>

namespace roofline::ceilings {

class cuda_error : public std::runtime_error {
  public:
    cuda_error(int code, std::string call, const std::string& text)
        : std::runtime_error(call + " failed: " + text), m_code(code), m_call(std::move(call)) {}
    [[nodiscard]] int code() const noexcept { return m_code; }
    [[nodiscard]] const std::string& call() const noexcept { return m_call; }

  private:
    int m_code;
    std::string m_call;
};

} // namespace roofline::ceilings
