#include "telemetry_source.hpp"

#include "roofline/server/api_error.hpp"

namespace roofline::server {
namespace {

// The build has no roofline::telemetry: say so, and what to do, on every call.
class absent_telemetry final : public telemetry_source {
  public:
    [[nodiscard]] bool available() const override { return false; }
    [[nodiscard]] std::string unavailable_reason() const override {
        return "NVML not available: this build of roofline has no telemetry library (libs/telemetry); rebuild "
               "with it on a machine with the NVIDIA driver (libnvidia-ml.so.1) to get clocks, power and "
               "temperature";
    }
    [[nodiscard]] nlohmann::json sample() override {
        throw api_error(503, "nvml_unavailable", unavailable_reason());
    }
};

} // namespace

std::unique_ptr<telemetry_source> make_telemetry_source() { return std::make_unique<absent_telemetry>(); }

} // namespace roofline::server
