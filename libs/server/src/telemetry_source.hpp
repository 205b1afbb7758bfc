// Live GPU telemetry for /api/telemetry: NVML through roofline::telemetry when the build has it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace roofline::server {

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
};

[[nodiscard]] std::unique_ptr<telemetry_source> make_telemetry_source();

} // namespace roofline::server
