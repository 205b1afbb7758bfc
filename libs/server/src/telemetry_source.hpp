// Live GPU telemetry for /api/telemetry: NVML through roofline::telemetry when the build has it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace roofline::server {

// The GPU's state now, for the original client's /api/nvml/status (compat_handlers.cpp). Absent readings stay
// empty (a GPU without a memory clock, a sensor NVML does not expose).
struct gpu_status {
    std::string device_name;
    std::optional<double> sm_clock_mhz;
    std::optional<double> power_w;
    std::optional<double> power_limit_w;
    std::optional<double> temperature_c;
    std::optional<double> memory_used_bytes;
    std::optional<double> memory_total_bytes;
    std::optional<double> utilization_pct;
};

class telemetry_source {
  public:
    telemetry_source() = default;
    telemetry_source(const telemetry_source&) = delete;
    telemetry_source& operator=(const telemetry_source&) = delete;
    virtual ~telemetry_source() = default;
    [[nodiscard]] virtual bool available() const = 0;
    [[nodiscard]] virtual std::string unavailable_reason() const = 0;
    // One sample: {"time_s", "sm_clock_mhz", "mem_clock_mhz", "power_w", "temperature_c", "utilization_pct",
    // "throttle_reasons"}. Throws api_error 503 when unavailable.
    [[nodiscard]] virtual nlohmann::json sample() = 0;
    // Throws api_error 503 when unavailable, like sample().
    [[nodiscard]] virtual gpu_status status_now() = 0;
};

[[nodiscard]] std::unique_ptr<telemetry_source> make_telemetry_source();

} // namespace roofline::server
