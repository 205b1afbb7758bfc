// GPU telemetry through NVML: identity, live samples, and a background sampler that watches the timed region
// of a measurement (the roofline::measurement_probe the GPU engine calls).
//
// Everything here works without NVML: the library is loaded at run time, and when it is missing every entry
// point says so (status().reason, telemetry_summary::unavailable_reason) instead of failing.
//
// For the server (GET /api/telemetry and its stream), the whole API is:
//
//     roofline::telemetry::monitor mon;          // device 0; never throws
//     if (!mon.status().available) { 503 with mon.status().reason }
//     if (auto s = mon.read_now()) { body = roofline::telemetry::to_json(*s); }   // thread-safe
//
// read_now() costs a few NVML calls (well under a millisecond); call it at a few Hz from any thread.
#pragma once

#include "roofline/core/backend.hpp"
#include "roofline/core/result.hpp"
#include "roofline/telemetry/nvml.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace roofline::telemetry {

// What NVML says a device is. Figures it cannot give stay empty.
struct device_info {
    unsigned index = 0; // NVML's index (PCI order; CUDA's order may differ)
    std::string name;
    std::string uuid;       // "GPU-xxxxxxxx-..."
    std::string pci_bus_id; // "00000000:19:00.0"
    std::string serial;     // the board's serial; empty where NVML has none (GeForce boards, some others)
    std::optional<int> pcie_generation; // the link as trained now, and the most it can do
    std::optional<int> pcie_generation_max;
    std::optional<int> pcie_width;
    std::optional<int> pcie_width_max;
    std::string driver_version;
    std::string compute_capability; // "9.0"
    std::optional<double> power_limit_w;
    std::optional<double> max_sm_clock_mhz;
    std::optional<double> max_mem_clock_mhz;
    bool instant_power = false; // NVML_FI_DEV_POWER_INSTANT answers; else power is GetPowerUsage's average
    bool energy_counter = false;
};

// One reading. Absent fields: the device or driver did not answer that query.
struct sample {
    double time_s = 0.0; // since the owner's epoch (region start for a probe, construction for a monitor)
    std::optional<double> sm_clock_mhz;
    std::optional<double> mem_clock_mhz;
    std::optional<double> power_w;
    std::optional<double> temperature_c;
    std::optional<double> utilization_pct;         // GPU busy %
    std::optional<double> memory_utilization_pct;  // device-memory busy %
    std::optional<std::uint64_t> clock_event_bits; // nvmlClocksEventReasons bit mask
};

// Device memory in use (all processes) and in all, bytes.
struct memory_usage {
    double used_bytes = 0.0;
    double total_bytes = 0.0;
};

// The clock-event ("throttle") reason bits in words, lowest bit first: "GPU idle", "power cap", "thermal
// slowdown (software)", ... Unknown bits come back as "unknown reason 0x...".
[[nodiscard]] std::vector<std::string> clock_event_reasons(std::uint64_t bits);

// A field value as a double according to its value type; nullopt when its own return code is an error.
[[nodiscard]] std::optional<double> field_value_number(const nvml::field_value_t& v);

// The timed region a summary covers.
struct region {
    double seconds = 0.0;                 // wall time between begin() and end()
    std::optional<double> energy_begin_j; // the energy counter, when the device has one
    std::optional<double> energy_end_j;
    std::size_t gemm_count = 0;
    double timed_s = 0.0; // GPU time of the GEMMs (sum of samples)
    double rest_s = 0.0;  // paced sampling: GPU time resting between samples
    std::optional<double> rest_power_w;
};

// The summary a measured point stores. Rules:
// - SM clock mean/min over samples; sm_clock_max_mhz is the device's maximum (what "low clock" is judged by).
// - low_clock_samples: samples with SM clock < 75% of that maximum (nvbench's throttle rule).
// - energy_j: over the region, and only for a region of 1 s or more (the counter ticks in coarse steps and
// the
//   power readings lag: shorter regions get none, and energy_source says why): the energy counter's
//   difference, else the mean sampled power times the region's length (energy_source says which).
//   energy_per_gemm_j apportions it to the GEMMs by their
//   share of the region's time (timed_s / seconds, at most 1), then divides by gemm_count: the region also
//   holds L2 flushes and host gaps that are not the GEMM's. With paced sampling the rests draw far less than
//   the GEMMs, so their energy (rest_power_w × rest_s) is taken out first and the share is of the time left;
//   gemm_power_w = energy_per_gemm_j / (timed_s / gemm_count). Without a rest power, paced regions get no
//   per-GEMM energy rather than a diluted one, nor one whose power would exceed 1.5 × the power limit.
// - throttle_reasons: every reason bit seen in any sample, in words, except "GPU idle", which is listed only
//   when it was set in most samples (a host gap between samples sets it briefly; most samples idle means the
//   GPU was starved).
[[nodiscard]] telemetry_summary summarize(const std::vector<sample>& samples, const region& r,
                                          const device_info& device);

// Reads one NVML device. Calls a device answers NOT_SUPPORTED (or the library lacks) are remembered and not
// asked again. Thread-compatible: one thread at a time (the probe and the monitor serialise their use).
class device_reader {
  public:
    // Throws nvml::error when the device cannot be opened.
    device_reader(std::shared_ptr<nvml::library> lib, nvml::device_t handle, unsigned index);

    [[nodiscard]] const device_info& info() const noexcept { return m_info; }
    [[nodiscard]] sample read(double time_s);
    [[nodiscard]] std::optional<double> energy_j(); // the cumulative counter, joules
    // Not part of read(): the measurement probe samples at 200 Hz and has no use for it.
    [[nodiscard]] std::optional<memory_usage> memory();

  private:
    std::optional<double> clock(int type, bool& supported);
    std::shared_ptr<nvml::library> m_lib;
    nvml::device_t m_handle;
    device_info m_info;
    bool m_sm_clock = true;
    bool m_mem_clock = true;
    bool m_power_avg = true;
    bool m_temperature = true;
    bool m_utilization = true;
    bool m_reasons = true;
};

// Selecting the NVML device: CUDA and NVML may number GPUs differently (CUDA_VISIBLE_DEVICES, fastest-first
// order), so a PCI bus id or UUID from the CUDA side is the reliable key; the index is the fallback.
struct device_selector {
    std::optional<unsigned> index;
    std::string pci_bus_id; // as CUDA prints it ("0000:19:00.0") or NVML ("00000000:19:00.0")
    std::string uuid;       // "GPU-..." or the bare hex
};

// Opens the device `sel` names on `lib`. nullptr with `why` when there is none. Never throws.
[[nodiscard]] std::unique_ptr<device_reader> open_device(const std::shared_ptr<nvml::library>& lib,
                                                         const device_selector& sel, std::string& why);

struct sampler_options {
    std::chrono::microseconds interval{5000}; // 200 Hz asked; the achieved rate is in the summary
};

// The measurement probe: a background thread samples between begin() and end(); the energy counter is read at
// both ends. Without NVML, end() answers available=false with the reason.
class nvml_probe final : public measurement_probe {
  public:
    nvml_probe(std::unique_ptr<device_reader> reader, sampler_options options = {});
    explicit nvml_probe(std::string unavailable_reason); // a probe that only reports why it has nothing
    ~nvml_probe() override;

    void begin() override;
    [[nodiscard]] telemetry_summary end(const probe_counts& counts) override;

    [[nodiscard]] bool available() const noexcept { return m_reader != nullptr; }
    [[nodiscard]] const std::string& unavailable_reason() const noexcept { return m_why; }
    [[nodiscard]] const device_info* device() const noexcept {
        return m_reader ? &m_reader->info() : nullptr;
    }
    // The last region's raw samples and wall time (benchmarks compare energy sources with them).
    [[nodiscard]] const std::vector<sample>& last_samples() const noexcept { return m_samples; }
    [[nodiscard]] double last_region_s() const noexcept { return m_region_s; }

  private:
    struct worker;
    std::unique_ptr<device_reader> m_reader;
    sampler_options m_options;
    std::string m_why;
    std::unique_ptr<worker> m_worker;
    std::optional<double> m_energy_begin;
    std::chrono::steady_clock::time_point m_start;
    std::vector<sample> m_samples;
    double m_region_s = 0.0;
};

// The probe for NVML device `device_index` (NVML's numbering). Always returns a probe: when NVML or the
// device is missing, `why` says so and the probe's summaries carry available=false with that reason.
[[nodiscard]] std::unique_ptr<nvml_probe> make_probe(unsigned device_index, std::string& why);
// The probe for the device the GPU engine measures on: matched by PCI bus id, then UUID, then index 0.
[[nodiscard]] std::unique_ptr<nvml_probe> make_probe(const device_identity& device, std::string& why);
// Same, on a given library (tests).
[[nodiscard]] std::unique_ptr<nvml_probe> make_probe(const std::shared_ptr<nvml::library>& lib,
                                                     const device_selector& sel, std::string& why,
                                                     sampler_options options = {});

struct telemetry_status {
    bool available = false;
    std::string reason; // why not, in words a user can act on
};

// Live readings for the web app's monitor panel. Thread-safe.
class monitor {
  public:
    explicit monitor(unsigned device_index = 0);
    monitor(std::shared_ptr<nvml::library> lib, const device_selector& sel); // tests; lib may be null
    monitor(const monitor&) = delete;
    monitor& operator=(const monitor&) = delete;
    ~monitor();

    [[nodiscard]] const telemetry_status& status() const noexcept { return m_status; }
    [[nodiscard]] std::optional<device_info> device() const;
    // One reading now (time_s since the monitor was made); nullopt when unavailable.
    [[nodiscard]] std::optional<sample> read_now();
    [[nodiscard]] std::optional<memory_usage> memory_now();

  private:
    telemetry_status m_status;
    std::unique_ptr<device_reader> m_reader;
    std::chrono::steady_clock::time_point m_epoch;
    mutable std::mutex m_mutex;
};

// {"time_s", "sm_clock_mhz", "mem_clock_mhz", "power_w", "temperature_c", "utilization_pct",
//  "memory_utilization_pct", "throttle_reasons": [...]} (docs/API.md, GET /api/telemetry); absent → null.
[[nodiscard]] nlohmann::json to_json(const sample& s);
[[nodiscard]] nlohmann::json to_json(const device_info& d);
[[nodiscard]] nlohmann::json to_json(const telemetry_status& s); // {"available", "reason"}

} // namespace roofline::telemetry
