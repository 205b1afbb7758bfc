// NVML, loaded at run time: our own declarations of the few calls we use, a table of function pointers
// filled by dlsym (or by a test with fakes), and a typed error.
//
// Why not nvml.h: it is not installed on every build machine (the driver ships libnvidia-ml.so.1, the header
// comes with the CUDA toolkit or the GPU Deployment Kit), and a machine without the driver must still build
// and benchmark. The layouts below follow nvml.h (driver 5xx); static_asserts pin the sizes we depend on.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace roofline::telemetry::nvml {

using return_t = int; // nvmlReturn_t
inline constexpr return_t success = 0;
inline constexpr return_t error_uninitialized = 1;
inline constexpr return_t error_invalid_argument = 2;
inline constexpr return_t error_not_supported = 3;
inline constexpr return_t error_no_permission = 4;
inline constexpr return_t error_not_found = 6;
inline constexpr return_t error_insufficient_size = 7;
inline constexpr return_t error_driver_not_loaded = 9;
inline constexpr return_t error_library_not_found = 12;
inline constexpr return_t error_function_not_found = 13;
inline constexpr return_t error_gpu_is_lost = 15;
inline constexpr return_t error_unknown = 999;

// NVML's own names for its return codes ("Not Supported"), without needing the library.
[[nodiscard]] std::string_view return_name(return_t code) noexcept;

struct device_st; // opaque, NVML's struct nvmlDevice_st
using device_t = device_st*;

inline constexpr int clock_graphics = 0; // nvmlClockType_t
inline constexpr int clock_sm = 1;
inline constexpr int clock_mem = 2;
inline constexpr int temperature_gpu = 0; // nvmlTemperatureSensors_t

inline constexpr unsigned field_power_average = 185; // NVML_FI_DEV_POWER_AVERAGE, mW
inline constexpr unsigned field_power_instant = 186; // NVML_FI_DEV_POWER_INSTANT, mW

struct utilization_t { // nvmlUtilization_t
    unsigned gpu;      // % of the last period a kernel ran
    unsigned memory;   // % of the last period device memory was read or written
};

// nvmlValueType_t
inline constexpr int value_double = 0;
inline constexpr int value_unsigned_int = 1;
inline constexpr int value_unsigned_long = 2;
inline constexpr int value_unsigned_long_long = 3;
inline constexpr int value_signed_long_long = 4;
inline constexpr int value_signed_int = 5;
inline constexpr int value_unsigned_short = 6;

union value_t { // nvmlValue_t
    double d;
    unsigned int ui;
    unsigned long ul;
    unsigned long long ull;
    long long sll;
    int si;
    unsigned short us;
};

struct field_value_t { // nvmlFieldValue_t
    unsigned field_id;
    unsigned scope_id;
    long long timestamp_us;
    long long latency_us;
    int value_type;
    return_t nvml_return;
    value_t value;
};
static_assert(sizeof(field_value_t) == 40, "nvmlFieldValue_t is 40 bytes in nvml.h");

struct memory_t { // nvmlMemory_t (v1, what nvmlDeviceGetMemoryInfo fills), bytes
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};
static_assert(sizeof(memory_t) == 24, "nvmlMemory_t is 24 bytes in nvml.h");

struct pci_info_t { // nvmlPciInfo_t (what nvmlDeviceGetPciInfo_v3 fills)
    char bus_id_legacy[16];
    unsigned domain;
    unsigned bus;
    unsigned device;
    unsigned pci_device_id;
    unsigned pci_subsystem_id;
    char bus_id[32];
    // Room in case a later driver's struct grows: NVML writes at most its own size, and a short buffer would
    // be overrun silently, so we give it more than nvml.h's 68 bytes.
    unsigned char reserved[64];
};

// The calls we use. A null pointer means the library lacks the symbol; readers treat that as "not supported".
struct api {
    return_t (*init)() = nullptr;     // nvmlInit_v2, else nvmlInit
    return_t (*shutdown)() = nullptr; // nvmlShutdown
    const char* (*error_string)(return_t) = nullptr;
    return_t (*system_get_driver_version)(char*, unsigned) = nullptr;
    return_t (*device_get_count)(unsigned*) = nullptr;                     // _v2 first
    return_t (*device_get_handle_by_index)(unsigned, device_t*) = nullptr; // _v2 first
    return_t (*device_get_handle_by_uuid)(const char*, device_t*) = nullptr;
    return_t (*device_get_handle_by_pci_bus_id)(const char*, device_t*) = nullptr; // _v2 first
    return_t (*device_get_name)(device_t, char*, unsigned) = nullptr;
    return_t (*device_get_uuid)(device_t, char*, unsigned) = nullptr;
    return_t (*device_get_pci_info)(device_t, pci_info_t*) = nullptr; // _v3, _v2 first
    return_t (*device_get_cuda_compute_capability)(device_t, int*, int*) = nullptr;
    return_t (*device_get_clock_info)(device_t, int, unsigned*) = nullptr;
    return_t (*device_get_max_clock_info)(device_t, int, unsigned*) = nullptr;
    return_t (*device_get_power_usage)(device_t,
                                       unsigned*) = nullptr; // mW; a 1 s average on Ampere and newer
    return_t (*device_get_enforced_power_limit)(device_t, unsigned*) = nullptr;               // mW
    return_t (*device_get_total_energy_consumption)(device_t, unsigned long long*) = nullptr; // mJ since load
    return_t (*device_get_temperature)(device_t, int, unsigned*) = nullptr;                   // °C
    return_t (*device_get_utilization_rates)(device_t, utilization_t*) = nullptr;
    return_t (*device_get_memory_info)(device_t, memory_t*) = nullptr; // device memory in use / total
    // nvmlDeviceGetCurrentClocksEventReasons; the older name ...ThrottleReasons where the driver predates it.
    return_t (*device_get_clocks_event_reasons)(device_t, unsigned long long*) = nullptr;
    return_t (*device_get_field_values)(device_t, int, field_value_t*) = nullptr;
    return_t (*device_get_serial)(device_t, char*,
                                  unsigned) = nullptr; // the board's serial (not every board)
    // The PCIe link as trained now and at most (the node check's "placement": a link trained down).
    return_t (*device_get_curr_pcie_link_generation)(device_t, unsigned*) = nullptr;
    return_t (*device_get_max_pcie_link_generation)(device_t, unsigned*) = nullptr;
    return_t (*device_get_curr_pcie_link_width)(device_t, unsigned*) = nullptr;
    return_t (*device_get_max_pcie_link_width)(device_t, unsigned*) = nullptr;
};

// A failed NVML call: the return code and the call's text, as nvbench's nvml::call_failed carries them.
class error : public std::runtime_error {
  public:
    error(return_t code, std::string call, const std::string& library_text);
    [[nodiscard]] return_t code() const noexcept { return m_code; }
    [[nodiscard]] const std::string& call() const noexcept { return m_call; }

  private:
    return_t m_code;
    std::string m_call;
};

// An initialised NVML: the function table plus, when loaded from disk, the dlopen handle. nvmlShutdown and
// dlclose run when the last owner lets go (NVML counts init/shutdown pairs itself).
class library {
  public:
    library(const library&) = delete; // owns one nvmlInit and one dlopen reference, released exactly once
    library& operator=(const library&) = delete;
    ~library();

    // dlopen(soname) and nvmlInit. nullptr with `why` set ("libnvidia-ml.so.1 not found: install the NVIDIA
    // driver", "nvmlInit_v2 failed: Driver Not Loaded (9)", ...) when NVML cannot be used. Never throws.
    [[nodiscard]] static std::shared_ptr<library> open(std::string& why,
                                                       const char* soname = "libnvidia-ml.so.1");
    // One process-wide instance shared by every probe and monitor (nvmlInit can take a second without
    // persistence mode, so it is paid once). Same contract as open().
    [[nodiscard]] static std::shared_ptr<library> shared(std::string& why);
    // A table of functions supplied by the caller (tests inject fakes here); calls its init. Never throws.
    [[nodiscard]] static std::shared_ptr<library> from_api(const api& fns, std::string& why);

    [[nodiscard]] const api& fns() const noexcept { return m_api; }
    // Throws nvml::error naming `call` when code != success.
    void check(return_t code, const char* call) const;
    // "Not Supported (3)" with the library's own text where it has one.
    [[nodiscard]] std::string describe(return_t code) const;

  private:
    library(void* handle, const api& fns) : m_handle(handle), m_api(fns) {}
    void* m_handle; // dlopen handle; null for an injected table
    api m_api;
};

} // namespace roofline::telemetry::nvml
