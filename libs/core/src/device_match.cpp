#include "roofline/core/device_match.hpp"

namespace roofline {

hardware_choice choose_hardware(const hardware_registry& registry, std::string_view requested,
                                const device_identity* device, std::string_view no_gpu_default,
                                std::string_view field) {
    hardware_choice c;
    if (!requested.empty()) {
        c.entry = &registry.at(requested, field);
        c.matched_by = "requested: " + std::string(requested);
        return c;
    }
    if (device == nullptr || device->name.empty()) {
        c.entry = &registry.at(no_gpu_default);
        c.matched_by = "default (no GPU): " + std::string(no_gpu_default);
        return c;
    }
    const std::string described =
        "'" + device->name + "' (sm " + device->compute_capability +
        (device->sm_count > 0 ? ", " + std::to_string(device->sm_count) + " SMs" : "") + ")";
    if (const auto* e = registry.match_device(device->name, device->compute_capability, device->sm_count)) {
        c.entry = e;
        c.matched_by = "device " + described + " matched " + e->key;
        return c;
    }
    // The stand-in: the default itself when it has the device's compute capability (an unknown sm 9.0 GPU
    // gets h100-sxm, as the server always gave it), else the registry's first entry of that capability.
    if (const auto* d = registry.find(no_gpu_default);
        d != nullptr && d->compute_capability == device->compute_capability) {
        c.entry = d;
    }
    for (const auto& e : registry.entries()) {
        if (c.entry == nullptr && e.compute_capability == device->compute_capability) {
            c.entry = &e;
        }
    }
    if (c.entry == nullptr) {
        c.entry = &registry.at(no_gpu_default);
    }
    c.matched_by = "unknown device " + described + ": stand-in " + c.entry->key;
    c.warning = "the GPU " + described + " is not in the hardware registry; its roofs here are " +
                c.entry->name + "'s (" + c.entry->key +
                "), which may be wrong for it. Pass --hardware KEY (API: \"hardware\") or add a "
                "data/hardware entry.";
    return c;
}

void annotate_hardware_choice(nlohmann::json& document, const hardware_choice& choice) {
    if (document.contains("hardware") && document["hardware"].is_object()) {
        document["hardware"]["matched_by"] = choice.matched_by;
    }
    if (!choice.warning.empty()) {
        if (!document.contains("warnings") || !document["warnings"].is_array()) {
            document["warnings"] = nlohmann::json::array();
        }
        document["warnings"].push_back(choice.warning);
    }
}

} // namespace roofline
