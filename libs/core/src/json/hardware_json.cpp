// Codecs of the hardware registry's types (schemas/hardware.schema.json).
#include "json_util.hpp"
#include "roofline/core/json.hpp"
#include "roofline/core/roofline_model.hpp"

namespace roofline {
namespace {

using namespace json_detail;

json sourced(const sourced_value& v, double scale = 1.0) {
    json j{{"value", v.value ? json(*v.value / scale) : json(nullptr)}, {"source", v.source}};
    if (!v.note.empty()) {
        j["note"] = v.note;
    }
    return j;
}

json to_json(const precision_peak& pk) {
    json p{{"supported", pk.supported}};
    if (pk.supported) {
        p["flops_per_s"] = opt(pk.flops_per_s);
        p["tflops"] = pk.flops_per_s ? json(*pk.flops_per_s / 1e12) : json(nullptr);
        p["source"] = pk.source;
        p["halved_from_sparse"] = pk.halved_from_sparse;
        if (!pk.derivation.empty()) {
            p["derivation"] = pk.derivation;
        }
    } else {
        p["reason"] = pk.reason;
    }
    if (!pk.note.empty()) {
        p["note"] = pk.note;
    }
    return p;
}

} // namespace

json to_json(const precision_roof& r) {
    json j{{"precision", to_string(r.precision)},
           {"colour", info(r.precision).colour},
           {"available", r.available},
           {"bandwidth_bytes_per_s", r.bandwidth_bytes_per_s}};
    if (r.available) {
        j["peak_flops_per_s"] = r.peak_flops_per_s;
        j["peak_tflops"] = round_sig(r.peak_flops_per_s / 1e12);
        j["ridge_ai"] = round_sig(r.ridge_ai);
    } else {
        j["reason"] = r.reason;
    }
    return j;
}

json roofs_json(const hardware_entry& h) {
    json roofs = json::array();
    for (const auto& pk : h.peaks) {
        roofs.push_back(to_json(roof_for(h, pk.precision)));
    }
    return {{"key", h.key},
            {"name", h.name},
            {"memory_bandwidth_bytes_per_s", opt(h.memory_bandwidth_bytes_per_s.value)},
            {"roofs", roofs}};
}

json to_json(const hardware_entry& h) {
    json peaks = json::object();
    for (const auto& pk : h.peaks) {
        peaks[std::string(to_string(pk.precision))] = to_json(pk);
    }
    return {{"key", h.key},
            {"name", h.name},
            {"aliases", h.aliases},
            {"vendor", h.vendor},
            {"architecture", h.architecture},
            {"compute_capability", h.compute_capability},
            {"memory_type", h.memory_type},
            {"sm_count", sourced(h.sm_count)},
            {"boost_clock_hz", sourced(h.boost_clock_hz)},
            {"memory_bytes", sourced(h.memory_bytes)},
            {"memory_bandwidth_bytes_per_s", sourced(h.memory_bandwidth_bytes_per_s)},
            {"l2_bytes", sourced(h.l2_bytes)},
            {"tdp_w", sourced(h.tdp_w)},
            {"peaks", peaks},
            {"roofs", roofs_json(h)["roofs"]}};
}

} // namespace roofline
