#include "telemetry_source.hpp"

#include "roofline/server/api_error.hpp"

#ifdef ROOFLINE_SERVER_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif

namespace roofline::server {
namespace {

#ifdef ROOFLINE_SERVER_HAVE_TELEMETRY
// NVML through roofline::telemetry's monitor (device 0). The server never loads CUDA, but NVML is only the
// driver's management library: reading it here does not touch the GPU the worker measures on.
class nvml_telemetry final : public telemetry_source {
  public:
    [[nodiscard]] bool available() const override { return m_monitor.status().available; }
    [[nodiscard]] std::string unavailable_reason() const override {
        const auto& why = m_monitor.status().reason;
        const std::string prefix = "NVML not available";
        return (why.rfind(prefix, 0) == 0 ? why : prefix + ": " + why) +
               ". Live clocks, power and temperature need the NVIDIA driver (libnvidia-ml.so.1) on the "
               "machine "
               "that runs `roofline serve`; analyses still work";
    }
    [[nodiscard]] nlohmann::json sample() override {
        if (!available()) {
            throw api_error(503, "nvml_unavailable", unavailable_reason());
        }
        const auto s = m_monitor.read_now();
        if (!s) {
            throw api_error(503, "nvml_unavailable",
                            "NVML not available: the device did not answer a reading");
        }
        return telemetry::to_json(*s);
    }
    [[nodiscard]] gpu_status status_now() override {
        if (!available()) {
            throw api_error(503, "nvml_unavailable", unavailable_reason());
        }
        const auto s = m_monitor.read_now();
        if (!s) {
            throw api_error(503, "nvml_unavailable",
                            "NVML not available: the device did not answer a reading");
        }
        gpu_status g;
        if (const auto d = m_monitor.device()) {
            g.device_name = d->name;
            g.power_limit_w = d->power_limit_w;
        }
        g.sm_clock_mhz = s->sm_clock_mhz;
        g.power_w = s->power_w;
        g.temperature_c = s->temperature_c;
        g.utilization_pct = s->utilization_pct;
        if (const auto m = m_monitor.memory_now()) {
            g.memory_used_bytes = m->used_bytes;
            g.memory_total_bytes = m->total_bytes;
        }
        return g;
    }

  private:
    telemetry::monitor m_monitor;
};
#else
// The build has no roofline::telemetry: say so, and what to do, on every call.
class absent_telemetry final : public telemetry_source {
  public:
    [[nodiscard]] bool available() const override { return false; }
    [[nodiscard]] std::string unavailable_reason() const override {
        return "NVML not available: this build of roofline has no telemetry library (libs/telemetry); "
               "rebuild "
               "with it on a machine with the NVIDIA driver (libnvidia-ml.so.1) to get clocks, power and "
               "temperature";
    }
    [[nodiscard]] nlohmann::json sample() override {
        throw api_error(503, "nvml_unavailable", unavailable_reason());
    }
    [[nodiscard]] gpu_status status_now() override {
        throw api_error(503, "nvml_unavailable", unavailable_reason());
    }
};
#endif

} // namespace

std::unique_ptr<telemetry_source> make_telemetry_source() {
#ifdef ROOFLINE_SERVER_HAVE_TELEMETRY
    return std::make_unique<nvml_telemetry>();
#else
    return std::make_unique<absent_telemetry>();
#endif
}

} // namespace roofline::server
