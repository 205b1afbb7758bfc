#include "roofline/telemetry/nvml.hpp"

#include <cstring>
#include <dlfcn.h>
#include <mutex>

namespace roofline::telemetry::nvml {
namespace {

// Looks up the first of `names` the library exports. memcpy rather than a cast: ISO C++ has no conversion
// from an object pointer to a function pointer, and dlsym returns the former.
template <typename F>
void bind(void* handle, F& slot, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        if (void* sym = dlsym(handle, name)) {
            static_assert(sizeof(F) == sizeof(void*));
            std::memcpy(&slot, &sym, sizeof slot);
            return;
        }
    }
    slot = nullptr;
}

api bind_all(void* h) {
    api a;
    // Versioned symbols first: the bare names are kept for old binaries and may behave like the v1 calls
    // (nvmlInit without _v2 skips GPUs it cannot attach to differently; GetPciInfo v1 fills a shorter
    // struct).
    bind(h, a.init, {"nvmlInit_v2", "nvmlInit"});
    bind(h, a.shutdown, {"nvmlShutdown"});
    bind(h, a.error_string, {"nvmlErrorString"});
    bind(h, a.system_get_driver_version, {"nvmlSystemGetDriverVersion"});
    bind(h, a.device_get_count, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"});
    bind(h, a.device_get_handle_by_index, {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"});
    bind(h, a.device_get_handle_by_uuid, {"nvmlDeviceGetHandleByUUID"});
    bind(h, a.device_get_handle_by_pci_bus_id,
         {"nvmlDeviceGetHandleByPciBusId_v2", "nvmlDeviceGetHandleByPciBusId"});
    bind(h, a.device_get_name, {"nvmlDeviceGetName"});
    bind(h, a.device_get_uuid, {"nvmlDeviceGetUUID"});
    bind(h, a.device_get_pci_info, {"nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2"});
    bind(h, a.device_get_cuda_compute_capability, {"nvmlDeviceGetCudaComputeCapability"});
    bind(h, a.device_get_clock_info, {"nvmlDeviceGetClockInfo"});
    bind(h, a.device_get_max_clock_info, {"nvmlDeviceGetMaxClockInfo"});
    bind(h, a.device_get_power_usage, {"nvmlDeviceGetPowerUsage"});
    bind(h, a.device_get_enforced_power_limit, {"nvmlDeviceGetEnforcedPowerLimit"});
    bind(h, a.device_get_total_energy_consumption, {"nvmlDeviceGetTotalEnergyConsumption"});
    bind(h, a.device_get_temperature, {"nvmlDeviceGetTemperature"});
    bind(h, a.device_get_utilization_rates, {"nvmlDeviceGetUtilizationRates"});
    bind(h, a.device_get_memory_info, {"nvmlDeviceGetMemoryInfo"});
    bind(h, a.device_get_clocks_event_reasons,
         {"nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"});
    bind(h, a.device_get_field_values, {"nvmlDeviceGetFieldValues"});
    bind(h, a.device_get_serial, {"nvmlDeviceGetSerial"});
    bind(h, a.device_get_curr_pcie_link_generation, {"nvmlDeviceGetCurrPcieLinkGeneration"});
    bind(h, a.device_get_max_pcie_link_generation, {"nvmlDeviceGetMaxPcieLinkGeneration"});
    bind(h, a.device_get_curr_pcie_link_width, {"nvmlDeviceGetCurrPcieLinkWidth"});
    bind(h, a.device_get_max_pcie_link_width, {"nvmlDeviceGetMaxPcieLinkWidth"});
    return a;
}

std::string code_text(return_t code) {
    return std::string(return_name(code)) + " (" + std::to_string(code) + ")";
}

} // namespace

std::string_view return_name(return_t code) noexcept {
    switch (code) {
    case 0:
        return "Success";
    case 1:
        return "Uninitialized";
    case 2:
        return "Invalid Argument";
    case 3:
        return "Not Supported";
    case 4:
        return "Insufficient Permissions";
    case 5:
        return "Already Initialized";
    case 6:
        return "Not Found";
    case 7:
        return "Insufficient Size";
    case 8:
        return "Insufficient External Power";
    case 9:
        return "Driver Not Loaded";
    case 10:
        return "Timeout";
    case 11:
        return "Interrupt Request Issue";
    case 12:
        return "NVML Shared Library Not Found";
    case 13:
        return "Function Not Found";
    case 14:
        return "Corrupted infoROM";
    case 15:
        return "GPU is lost";
    case 16:
        return "GPU requires restart";
    case 17:
        return "Operating System Call Failed";
    case 18:
        return "RM has detected an NVML/RM version mismatch";
    case 19:
        return "In use by another client";
    case 20:
        return "Insufficient Memory";
    case 21:
        return "No data";
    case 22:
        return "vGPU ECC not supported";
    case 23:
        return "Insufficient resources";
    case 24:
        return "Frequency not supported";
    case 25:
        return "Argument version mismatch";
    case 26:
        return "Deprecated";
    case 27:
        return "Not Ready";
    case 28:
        return "GPU Not Found";
    case 29:
        return "Invalid State";
    default:
        return "Unknown Error";
    }
}

error::error(return_t code, std::string call, const std::string& library_text)
    : std::runtime_error(call + " failed: " + library_text), m_code(code), m_call(std::move(call)) {}

library::~library() {
    if (m_api.shutdown != nullptr) {
        m_api.shutdown(); // nothing to do with a failure here: we are letting go either way
    }
    if (m_handle != nullptr) {
        dlclose(m_handle);
    }
}

std::shared_ptr<library> library::open(std::string& why, const char* soname) {
    void* h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        const char* detail = dlerror();
        why = std::string(soname) +
              " not found: install the NVIDIA driver (it ships NVML), or run where one is "
              "installed" +
              (detail != nullptr ? std::string(" [") + detail + "]" : std::string());
        return nullptr;
    }
    const api fns = bind_all(h);
    if (fns.init == nullptr || fns.device_get_handle_by_index == nullptr) {
        why = std::string(soname) + " lacks nvmlInit/nvmlDeviceGetHandleByIndex: not a usable NVML";
        dlclose(h);
        return nullptr;
    }
    const return_t r = fns.init();
    if (r != success) {
        const std::string text =
            fns.error_string != nullptr ? fns.error_string(r) : std::string(return_name(r));
        why = "nvmlInit_v2 failed: " + text + " (" + std::to_string(r) + ")" +
              (r == error_driver_not_loaded ? ": the NVIDIA kernel driver is not loaded" : "");
        dlclose(h);
        return nullptr;
    }
    return std::shared_ptr<library>(new library(h, fns));
}

std::shared_ptr<library> library::shared(std::string& why) {
    static std::mutex mutex;
    static std::weak_ptr<library> cached;
    static std::string
        cached_why; // a failure is remembered too: dlopen of a missing library will not improve
    const std::lock_guard lock(mutex);
    if (auto lib = cached.lock()) {
        return lib;
    }
    if (!cached_why.empty()) {
        why = cached_why;
        return nullptr;
    }
    auto lib = open(why);
    if (lib) {
        cached = lib;
    } else {
        cached_why = why;
    }
    return lib;
}

std::shared_ptr<library> library::from_api(const api& fns, std::string& why) {
    if (fns.init == nullptr || fns.device_get_handle_by_index == nullptr) {
        why = "NVML function table lacks nvmlInit/nvmlDeviceGetHandleByIndex";
        return nullptr;
    }
    const return_t r = fns.init();
    if (r != success) {
        why = "nvmlInit_v2 failed: " + code_text(r);
        return nullptr;
    }
    return std::shared_ptr<library>(new library(nullptr, fns));
}

std::string library::describe(return_t code) const {
    if (m_api.error_string != nullptr) {
        if (const char* s = m_api.error_string(code)) {
            return std::string(s) + " (" + std::to_string(code) + ")";
        }
    }
    return code_text(code);
}

void library::check(return_t code, const char* call) const {
    if (code != success) {
        throw error(code, call, describe(code));
    }
}

} // namespace roofline::telemetry::nvml
