#include "local_backend.hpp"

#ifdef ROOFLINE_HAVE_CUDA
#include "roofline/cuda/backend.hpp"
#include "roofline/cuda/device_info.hpp"
#endif

#ifdef ROOFLINE_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif

namespace roofline::cli {

std::string board_serial(const device_identity& device) {
#ifdef ROOFLINE_HAVE_TELEMETRY
    std::string why;
    const auto lib = telemetry::nvml::library::shared(why);
    if (!lib) {
        return {};
    }
    const auto reader = telemetry::open_device(lib, {std::nullopt, device.pci_bus_id, device.uuid}, why);
    return reader ? reader->info().serial : std::string();
#else
    (void)device;
    return {};
#endif
}

std::unique_ptr<gemm_backend> make_local_backend(std::string& why) {
#ifdef ROOFLINE_HAVE_CUDA
    return cuda::make_backend(why);
#else
    why = "this build has no CUDA backend (built without nvcc); predictions only";
    return nullptr;
#endif
}

std::string gpu_code_summary() {
#ifdef ROOFLINE_HAVE_CUDA
    return "GPU code " + cuda::compiled_archs_text();
#else
    return "prediction-only build, no GPU code";
#endif
}

} // namespace roofline::cli
