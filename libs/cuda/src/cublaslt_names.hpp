// Names of cuBLASLt enum values, generated from the installed cublasLt.h (see cmake/cublaslt_names.cmake).
#pragma once

#include <string>

namespace roofline::cuda {

[[nodiscard]] std::string matmul_tile_name(unsigned id);   // "256x128"
[[nodiscard]] std::string matmul_stages_name(unsigned id); // "64xAUTO"
[[nodiscard]] std::string cluster_shape_name(unsigned id); // "2x1x1"

} // namespace roofline::cuda
