#pragma once

#include "roofline/core/backend.hpp"

#include <memory>
#include <string>

namespace roofline::cli {

// The GPU backend of this build, or nullptr with `why` set (no CUDA in this build, no device, ...).
[[nodiscard]] std::unique_ptr<gemm_backend> make_local_backend(std::string& why);

// The board's serial from NVML (CUDA does not know it), so runs and points name the physical board. Empty
// where NVML is missing or the board reports none.
[[nodiscard]] std::string board_serial(const device_identity& device);

// The GPU code this binary carries, for --version and doctor: "GPU code sm_90 sm_100a ..." or, without CUDA,
// "prediction-only build, no GPU code".
[[nodiscard]] std::string gpu_code_summary();

} // namespace roofline::cli
