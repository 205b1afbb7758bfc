#include "roofline/telemetry/telemetry.hpp"

namespace roofline::telemetry {
namespace {

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

} // namespace

monitor::monitor(unsigned device_index) : m_epoch(std::chrono::steady_clock::now()) {
    std::string why;
    auto lib = nvml::library::shared(why);
    device_selector sel;
    sel.index = device_index;
    m_reader = open_device(lib, sel, why);
    m_status = {m_reader != nullptr, m_reader ? std::string() : "NVML not available: " + why};
}

monitor::monitor(std::shared_ptr<nvml::library> lib, const device_selector& sel)
    : m_epoch(std::chrono::steady_clock::now()) {
    std::string why = lib ? "" : "no NVML library";
    m_reader = open_device(lib, sel, why);
    m_status = {m_reader != nullptr, m_reader ? std::string() : "NVML not available: " + why};
}

monitor::~monitor() = default;

std::optional<device_info> monitor::device() const {
    const std::lock_guard lock(m_mutex);
    return m_reader ? std::optional(m_reader->info()) : std::nullopt;
}

std::optional<sample> monitor::read_now() {
    const std::lock_guard lock(m_mutex);
    if (!m_reader) {
        return std::nullopt;
    }
    return m_reader->read(std::chrono::duration<double>(std::chrono::steady_clock::now() - m_epoch).count());
}

std::optional<memory_usage> monitor::memory_now() {
    const std::lock_guard lock(m_mutex);
    if (!m_reader) {
        return std::nullopt;
    }
    return m_reader->memory();
}

nlohmann::json to_json(const sample& s) {
    return {{"time_s", s.time_s},
            {"sm_clock_mhz", opt(s.sm_clock_mhz)},
            {"mem_clock_mhz", opt(s.mem_clock_mhz)},
            {"power_w", opt(s.power_w)},
            {"temperature_c", opt(s.temperature_c)},
            {"utilization_pct", opt(s.utilization_pct)},
            {"memory_utilization_pct", opt(s.memory_utilization_pct)},
            {"throttle_reasons", s.clock_event_bits ? clock_event_reasons(*s.clock_event_bits)
                                                    : std::vector<std::string>{}}};
}

nlohmann::json to_json(const device_info& d) {
    return {{"index", d.index},
            {"name", d.name},
            {"uuid", d.uuid},
            {"pci_bus_id", d.pci_bus_id},
            {"driver_version", d.driver_version},
            {"compute_capability", d.compute_capability},
            {"power_limit_w", opt(d.power_limit_w)},
            {"max_sm_clock_mhz", opt(d.max_sm_clock_mhz)},
            {"max_mem_clock_mhz", opt(d.max_mem_clock_mhz)},
            {"instant_power", d.instant_power},
            {"energy_counter", d.energy_counter}};
}

nlohmann::json to_json(const telemetry_status& s) { return {{"available", s.available}, {"reason", s.reason}}; }

} // namespace roofline::telemetry
