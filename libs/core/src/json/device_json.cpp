// Codecs of a GPU's identity and of a measurement's telemetry (schemas/device.schema.json,
// telemetry.schema.json).
#include "json_util.hpp"
#include "roofline/core/json.hpp"

namespace roofline {

using namespace json_detail;

json to_json(const device_identity& d) {
    json j{{"name", d.name},
           {"compute_capability", d.compute_capability},
           {"sm_count", d.sm_count},
           {"driver_version", d.driver_version},
           {"cuda_runtime_version", d.cuda_runtime_version},
           {"cublaslt_version", d.cublaslt_version},
           {"uuid", d.uuid},
           {"pci_bus_id", d.pci_bus_id},
           {"l2_bytes", d.l2_bytes},
           {"memory_bytes", d.memory_bytes}};
    // Written only when known, so documents of one-GPU runs read as before.
    if (!d.serial.empty()) {
        j["serial"] = d.serial;
    }
    if (d.index) {
        j["index"] = *d.index;
    }
    return j;
}

device_identity device_from_json(const json& d) {
    device_identity id;
    id.name = d.value("name", "");
    id.compute_capability = d.value("compute_capability", "");
    id.sm_count = d.value("sm_count", 0);
    id.driver_version = d.value("driver_version", "");
    id.cuda_runtime_version = d.value("cuda_runtime_version", "");
    id.cublaslt_version = d.value("cublaslt_version", "");
    id.uuid = d.value("uuid", "");
    id.pci_bus_id = d.value("pci_bus_id", "");
    id.serial = d.value("serial", "");
    if (const auto i = d.find("index"); i != d.end() && i->is_number_integer()) {
        id.index = i->get<std::int64_t>();
    }
    id.l2_bytes = d.value("l2_bytes", 0.0);
    id.memory_bytes = d.value("memory_bytes", 0.0);
    return id;
}

json to_json(const telemetry_summary& t) {
    json j{{"available", t.available}};
    if (!t.available) {
        j["unavailable_reason"] = t.unavailable_reason;
        return j;
    }
    j.update({{"samples", t.samples},
              {"sample_rate_hz", t.sample_rate_hz},
              {"sm_clock_mean_mhz", opt(t.sm_clock_mean_mhz)},
              {"sm_clock_min_mhz", opt(t.sm_clock_min_mhz)},
              {"sm_clock_max_mhz", opt(t.sm_clock_max_mhz)},
              {"mem_clock_mean_mhz", opt(t.mem_clock_mean_mhz)},
              {"power_mean_w", opt(t.power_mean_w)},
              {"power_limit_w", opt(t.power_limit_w)},
              {"energy_j", opt(t.energy_j)},
              {"energy_per_gemm_j", opt(t.energy_per_gemm_j)},
              {"energy_source", t.energy_source},
              {"gemm_power_w", opt(t.gemm_power_w)},
              {"region_s", t.region_s},
              {"temperature_max_c", opt(t.temperature_max_c)},
              {"utilization_mean_pct", opt(t.utilization_mean_pct)},
              {"throttle_reasons", t.throttle_reasons},
              {"low_clock_samples", t.low_clock_samples}});
    return j;
}

telemetry_summary telemetry_from_json(const json& j) {
    telemetry_summary s;
    s.available = j.value("available", false);
    s.unavailable_reason = j.value("unavailable_reason", "");
    s.samples = j.value("samples", std::size_t{0});
    s.sample_rate_hz = j.value("sample_rate_hz", 0.0);
    s.sm_clock_mean_mhz = opt_number(j, "sm_clock_mean_mhz");
    s.sm_clock_min_mhz = opt_number(j, "sm_clock_min_mhz");
    s.sm_clock_max_mhz = opt_number(j, "sm_clock_max_mhz");
    s.mem_clock_mean_mhz = opt_number(j, "mem_clock_mean_mhz");
    s.power_mean_w = opt_number(j, "power_mean_w");
    s.power_limit_w = opt_number(j, "power_limit_w");
    s.energy_j = opt_number(j, "energy_j");
    s.energy_per_gemm_j = opt_number(j, "energy_per_gemm_j");
    s.energy_source = j.value("energy_source", "");
    s.gemm_power_w = opt_number(j, "gemm_power_w");
    s.region_s = j.value("region_s", 0.0);
    s.temperature_max_c = opt_number(j, "temperature_max_c");
    s.utilization_mean_pct = opt_number(j, "utilization_mean_pct");
    s.throttle_reasons = j.value("throttle_reasons", std::vector<std::string>{});
    s.low_clock_samples = j.value("low_clock_samples", std::size_t{0});
    return s;
}

} // namespace roofline
