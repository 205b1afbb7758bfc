#pragma once

#include "roofline/core/backend.hpp"

#include <memory>
#include <string>

namespace roofline::cli {

// The GPU backend of this build, or nullptr with `why` set (no CUDA in this build, no device, ...).
[[nodiscard]] std::unique_ptr<gemm_backend> make_local_backend(std::string& why);

} // namespace roofline::cli
