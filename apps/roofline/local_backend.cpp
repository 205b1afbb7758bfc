#include "local_backend.hpp"

#ifdef ROOFLINE_HAVE_CUDA
#include "paths.hpp"
#include "roofline/cuda/backend.hpp"
#include "roofline/cuda/device_info.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>
#endif

#ifdef ROOFLINE_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif

namespace roofline::cli {

#ifdef ROOFLINE_HAVE_CUDA
namespace {

// The engine's settings from this process's environment: the engine itself reads none.
cuda::engine_settings engine_settings_from_env() {
    cuda::engine_settings s;
    s.cache_dir = algorithm_cache_dir();
    if (const char* layouts = std::getenv("ROOFLINE_LAYOUTS"); layouts != nullptr) {
        std::istringstream in(layouts);
        for (std::string l; std::getline(in, l, ',');) {
            if (!l.empty()) {
                s.only_layouts.push_back(l);
            }
        }
    }
    if (const char* w = std::getenv("ROOFLINE_WARMUP_SECONDS"); w != nullptr && *w != '\0') {
        char* end = nullptr;
        const double v = std::strtod(w, &end);
        if (end != w && *end == '\0' && v >= 0.0 && v <= 10.0) {
            s.warmup_s = v;
        } else {
            std::cerr << "warning: ROOFLINE_WARMUP_SECONDS='" << w
                      << "' is not a number of seconds from 0 to 10; the pacing's default warm-up is used\n";
        }
    }
    return s;
}

} // namespace
#endif

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
    return cuda::make_backend(engine_settings_from_env(), why);
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
