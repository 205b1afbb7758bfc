// Which GPU this is, and which GPU architectures this build carries: one definition shared by the engine
// (libs/cuda) and the measured roofs (libs/ceilings). Names no CUDA type.
#pragma once

#include "roofline/core/result.hpp"

#include <string>
#include <vector>

namespace roofline::cuda {

// How many CUDA devices the driver reports; 0 with `why` set when there are none or the driver cannot be
// asked.
[[nodiscard]] int device_count(std::string& why);

// Name, compute capability, SMs, L2 and memory sizes, UUID (NVML's spelling, so telemetry finds the same
// device), PCI bus id, the kernel module's driver version and the CUDA runtime version. cublaslt_version
// stays empty: the engine, which links cuBLASLt, fills it. Throws cuda_error.
[[nodiscard]] device_identity query_device(int device);

// The GPU code this binary carries, as CMake was asked to compile it: "sm_90" (SASS and PTX), "sm_90-real"
// (SASS only), "sm_100a" (arch-specific SASS and PTX), ... in build order.
[[nodiscard]] std::vector<std::string> compiled_archs();

// compiled_archs() as one line: "sm_80 sm_90 sm_100a".
[[nodiscard]] std::string compiled_archs_text();

} // namespace roofline::cuda
