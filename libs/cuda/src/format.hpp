// Numbers and byte counts in the engine's notes and messages. CUDA-free.
#pragma once

#include <string>
#include <vector>

namespace roofline::cuda {

[[nodiscard]] std::string format_bytes(double b);                      // "32.0 MiB", "1.50 GiB"
[[nodiscard]] std::string format_number(double v, int digits = 3);     // %g with `digits` significant digits
[[nodiscard]] std::string join(const std::vector<std::string>& parts); // comma-separated

} // namespace roofline::cuda
