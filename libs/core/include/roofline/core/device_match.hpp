// Which registry entry's roofs an analysis uses, and why: chosen by key, matched from the device CUDA
// reports, or a stand-in for a GPU the registry does not know — named in the answer, never only on stderr.
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace roofline {

struct hardware_choice {
    const hardware_entry* entry = nullptr;
    std::string
        matched_by;      // "requested: h200", "device 'NVIDIA H200' (sm 9.0, 132 SMs)", "unknown device ..."
    std::string warning; // non-empty when the roofs are a stand-in (unknown GPU)
};

// `requested` (a key or alias; empty for none) wins; else the device (when `device` has a name); else
// `no_gpu_default`. An unknown device gets `no_gpu_default` when that has its compute capability, else the
// registry's first entry of that capability (else
// `no_gpu_default`) with a warning naming the device. Throws std::invalid_argument for an unknown
// `requested`.
[[nodiscard]] hardware_choice choose_hardware(const hardware_registry& registry, std::string_view requested,
                                              const device_identity* device,
                                              std::string_view no_gpu_default = "b10",
                                              std::string_view field = "--hardware");

// Adds `hardware.matched_by` and, for a stand-in, a `warnings` entry to an analysis document.
void annotate_hardware_choice(nlohmann::json& document, const hardware_choice& choice);

} // namespace roofline
