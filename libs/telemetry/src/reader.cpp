#include "roofline/telemetry/telemetry.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace roofline::telemetry {
namespace {

bool unsupported(nvml::return_t r) {
    return r == nvml::error_not_supported || r == nvml::error_function_not_found ||
           r == nvml::error_no_permission;
}

std::string upper(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

// "0000:19:00.0", "00000000:19:00.0", "19:00.0" → {domain, bus, device}; nullopt when it does not parse.
std::optional<std::array<unsigned, 3>> parse_bus_id(const std::string& s) {
    unsigned domain = 0;
    unsigned bus = 0;
    unsigned dev = 0;
    unsigned fn = 0;
    if (std::sscanf(s.c_str(), "%x:%x:%x.%x", &domain, &bus, &dev, &fn) == 4) {
        return std::array{domain, bus, dev};
    }
    if (std::sscanf(s.c_str(), "%x:%x.%x", &bus, &dev, &fn) == 3) {
        return std::array{0U, bus, dev};
    }
    return std::nullopt;
}

} // namespace

std::vector<std::string> clock_event_reasons(std::uint64_t bits) {
    static constexpr std::array<std::pair<std::uint64_t, const char*>, 9> names{{
        {0x1, "GPU idle"},
        {0x2, "application clocks setting"},
        {0x4, "power cap"},
        {0x8, "hardware slowdown"},
        {0x10, "sync boost"},
        {0x20, "thermal slowdown (software)"},
        {0x40, "thermal slowdown (hardware)"},
        {0x80, "power brake (hardware)"},
        {0x100, "display clock setting"},
    }};
    std::vector<std::string> out;
    std::uint64_t known = 0;
    for (const auto& [bit, name] : names) {
        known |= bit;
        if ((bits & bit) != 0) {
            out.emplace_back(name);
        }
    }
    for (int i = 0; i < 64; ++i) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        if ((bits & bit) != 0 && (known & bit) == 0) {
            char buf[48];
            std::snprintf(buf, sizeof buf, "unknown reason 0x%llx", static_cast<unsigned long long>(bit));
            out.emplace_back(buf);
        }
    }
    return out;
}

std::optional<double> field_value_number(const nvml::field_value_t& v) {
    if (v.nvml_return != nvml::success) {
        return std::nullopt;
    }
    switch (v.value_type) {
    case nvml::value_double:
        return v.value.d;
    case nvml::value_unsigned_int:
        return static_cast<double>(v.value.ui);
    case nvml::value_unsigned_long:
        return static_cast<double>(v.value.ul);
    case nvml::value_unsigned_long_long:
        return static_cast<double>(v.value.ull);
    case nvml::value_signed_long_long:
        return static_cast<double>(v.value.sll);
    case nvml::value_signed_int:
        return static_cast<double>(v.value.si);
    case nvml::value_unsigned_short:
        return static_cast<double>(v.value.us);
    default:
        return std::nullopt;
    }
}

device_reader::device_reader(std::shared_ptr<nvml::library> lib, nvml::device_t handle, unsigned index)
    : m_lib(std::move(lib)), m_handle(handle) {
    const auto& f = m_lib->fns();
    m_info.index = index;
    char buf[256] = {};
    if (f.device_get_name != nullptr) {
        m_lib->check(f.device_get_name(m_handle, buf, sizeof buf), "nvmlDeviceGetName");
        m_info.name = buf;
    }
    if (f.device_get_uuid != nullptr && f.device_get_uuid(m_handle, buf, sizeof buf) == nvml::success) {
        m_info.uuid = buf;
    }
    nvml::pci_info_t pci{};
    if (f.device_get_pci_info != nullptr && f.device_get_pci_info(m_handle, &pci) == nvml::success) {
        pci.bus_id[sizeof pci.bus_id - 1] = '\0';
        m_info.pci_bus_id = pci.bus_id;
    }
    if (f.device_get_serial != nullptr && f.device_get_serial(m_handle, buf, sizeof buf) == nvml::success) {
        m_info.serial = buf;
    }
    const auto link = [&](auto fn, std::optional<int>& out) {
        unsigned x = 0;
        if (fn != nullptr && fn(m_handle, &x) == nvml::success && x > 0) {
            out = static_cast<int>(x);
        }
    };
    link(f.device_get_curr_pcie_link_generation, m_info.pcie_generation);
    link(f.device_get_max_pcie_link_generation, m_info.pcie_generation_max);
    link(f.device_get_curr_pcie_link_width, m_info.pcie_width);
    link(f.device_get_max_pcie_link_width, m_info.pcie_width_max);
    if (f.system_get_driver_version != nullptr &&
        f.system_get_driver_version(buf, sizeof buf) == nvml::success) {
        m_info.driver_version = buf;
    }
    int major = 0;
    int minor = 0;
    if (f.device_get_cuda_compute_capability != nullptr &&
        f.device_get_cuda_compute_capability(m_handle, &major, &minor) == nvml::success) {
        m_info.compute_capability = std::to_string(major) + "." + std::to_string(minor);
    }
    unsigned v = 0;
    if (f.device_get_enforced_power_limit != nullptr &&
        f.device_get_enforced_power_limit(m_handle, &v) == nvml::success) {
        m_info.power_limit_w = v / 1000.0;
    }
    if (f.device_get_max_clock_info != nullptr) {
        if (f.device_get_max_clock_info(m_handle, nvml::clock_sm, &v) == nvml::success && v > 0) {
            m_info.max_sm_clock_mhz = v;
        }
        if (f.device_get_max_clock_info(m_handle, nvml::clock_mem, &v) == nvml::success && v > 0) {
            m_info.max_mem_clock_mhz = v;
        }
    }
    if (f.device_get_field_values != nullptr) {
        nvml::field_value_t fv{};
        fv.field_id = nvml::field_power_instant;
        m_info.instant_power = f.device_get_field_values(m_handle, 1, &fv) == nvml::success &&
                               field_value_number(fv).has_value();
    }
    unsigned long long mj = 0;
    m_info.energy_counter = f.device_get_total_energy_consumption != nullptr &&
                            f.device_get_total_energy_consumption(m_handle, &mj) == nvml::success;
    m_power_avg = f.device_get_power_usage != nullptr;
    m_sm_clock = m_mem_clock = f.device_get_clock_info != nullptr;
    m_temperature = f.device_get_temperature != nullptr;
    m_utilization = f.device_get_utilization_rates != nullptr;
    m_reasons = f.device_get_clocks_event_reasons != nullptr;
}

std::optional<double> device_reader::clock(int type, bool& supported) {
    if (!supported) {
        return std::nullopt;
    }
    unsigned mhz = 0;
    const auto r = m_lib->fns().device_get_clock_info(m_handle, type, &mhz);
    if (r == nvml::success) {
        return mhz;
    }
    supported = !unsupported(r);
    return std::nullopt;
}

sample device_reader::read(double time_s) {
    const auto& f = m_lib->fns();
    sample s;
    s.time_s = time_s;
    s.sm_clock_mhz = clock(nvml::clock_sm, m_sm_clock);
    s.mem_clock_mhz = clock(nvml::clock_mem, m_mem_clock);
    if (m_info.instant_power) {
        nvml::field_value_t fv{};
        fv.field_id = nvml::field_power_instant;
        if (f.device_get_field_values(m_handle, 1, &fv) == nvml::success) {
            if (const auto mw = field_value_number(fv)) {
                s.power_w = *mw / 1000.0;
            }
        }
    }
    if (!s.power_w && m_power_avg) {
        unsigned mw = 0;
        const auto r = f.device_get_power_usage(m_handle, &mw);
        if (r == nvml::success) {
            s.power_w = mw / 1000.0;
        } else {
            m_power_avg = !unsupported(r);
        }
    }
    if (m_temperature) {
        unsigned c = 0;
        const auto r = f.device_get_temperature(m_handle, nvml::temperature_gpu, &c);
        if (r == nvml::success) {
            s.temperature_c = c;
        } else {
            m_temperature = !unsupported(r);
        }
    }
    if (m_utilization) {
        nvml::utilization_t u{};
        const auto r = f.device_get_utilization_rates(m_handle, &u);
        if (r == nvml::success) {
            s.utilization_pct = u.gpu;
            s.memory_utilization_pct = u.memory;
        } else {
            m_utilization = !unsupported(r);
        }
    }
    if (m_reasons) {
        unsigned long long bits = 0;
        const auto r = f.device_get_clocks_event_reasons(m_handle, &bits);
        if (r == nvml::success) {
            s.clock_event_bits = bits;
        } else {
            m_reasons = !unsupported(r);
        }
    }
    return s;
}

std::optional<memory_usage> device_reader::memory() {
    nvml::memory_t m{};
    const auto& f = m_lib->fns();
    if (f.device_get_memory_info == nullptr || f.device_get_memory_info(m_handle, &m) != nvml::success) {
        return std::nullopt;
    }
    return memory_usage{static_cast<double>(m.used), static_cast<double>(m.total)};
}

std::optional<double> device_reader::energy_j() {
    if (!m_info.energy_counter) {
        return std::nullopt;
    }
    unsigned long long mj = 0;
    if (m_lib->fns().device_get_total_energy_consumption(m_handle, &mj) != nvml::success) {
        return std::nullopt;
    }
    return static_cast<double>(mj) / 1000.0;
}

std::unique_ptr<device_reader> open_device(const std::shared_ptr<nvml::library>& lib,
                                           const device_selector& sel, std::string& why) {
    if (!lib) {
        why = why.empty() ? "NVML not available" : why;
        return nullptr;
    }
    const auto& f = lib->fns();
    unsigned count = 0;
    if (f.device_get_count != nullptr) {
        if (const auto r = f.device_get_count(&count); r != nvml::success) {
            why = "nvmlDeviceGetCount_v2 failed: " + lib->describe(r);
            return nullptr;
        }
        if (count == 0) {
            why = "NVML sees no GPU";
            return nullptr;
        }
    }
    // The NVML index of a handle, found by walking the devices (the handle itself does not carry it).
    const auto index_of = [&](nvml::device_t h) -> unsigned {
        for (unsigned i = 0; i < count; ++i) {
            nvml::device_t d = nullptr;
            if (f.device_get_handle_by_index(i, &d) == nvml::success && d == h) {
                return i;
            }
        }
        return 0;
    };
    try {
        nvml::device_t h = nullptr;
        if (!sel.pci_bus_id.empty()) {
            const auto want = parse_bus_id(sel.pci_bus_id);
            // NVML's lookup wants its own spelling; walking the devices and comparing numbers accepts CUDA's
            // too.
            if (f.device_get_handle_by_pci_bus_id != nullptr &&
                f.device_get_handle_by_pci_bus_id(sel.pci_bus_id.c_str(), &h) == nvml::success) {
                return std::make_unique<device_reader>(lib, h, index_of(h));
            }
            for (unsigned i = 0; want && i < count && f.device_get_pci_info != nullptr; ++i) {
                nvml::device_t d = nullptr;
                nvml::pci_info_t pci{};
                if (f.device_get_handle_by_index(i, &d) == nvml::success &&
                    f.device_get_pci_info(d, &pci) == nvml::success && pci.domain == (*want)[0] &&
                    pci.bus == (*want)[1] && pci.device == (*want)[2]) {
                    return std::make_unique<device_reader>(lib, d, i);
                }
            }
        }
        if (!sel.uuid.empty() && f.device_get_handle_by_uuid != nullptr) {
            std::string uuid = sel.uuid;
            if (upper(uuid.substr(0, 4)) != "GPU-" && upper(uuid.substr(0, 4)) != "MIG-") {
                uuid = "GPU-" + uuid;
            }
            if (f.device_get_handle_by_uuid(uuid.c_str(), &h) == nvml::success) {
                return std::make_unique<device_reader>(lib, h, index_of(h));
            }
        }
        if ((!sel.pci_bus_id.empty() || !sel.uuid.empty()) && !sel.index && count != 1) {
            // With several GPUs a guess could watch the wrong one; with one there is nothing to confuse.
            why = "no NVML device matches PCI bus id '" + sel.pci_bus_id + "' or UUID '" + sel.uuid + "'";
            return nullptr;
        }
        const unsigned index = sel.index.value_or(0);
        if (count > 0 && index >= count) {
            why = "NVML device " + std::to_string(index) + " does not exist (NVML sees " +
                  std::to_string(count) + ")";
            return nullptr;
        }
        lib->check(f.device_get_handle_by_index(index, &h), "nvmlDeviceGetHandleByIndex_v2");
        return std::make_unique<device_reader>(lib, h, index);
    } catch (const nvml::error& e) {
        why = e.what();
        return nullptr;
    }
}

} // namespace roofline::telemetry
