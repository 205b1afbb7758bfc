// A measured hardware profile: what `roofline ceilings` found on one GPU (memory and compute roofs, with the
// device's identity and clocks), stored as JSON in the cache so analyses can use roof=measured.
//
// CUDA-free: the server and the CLI read profiles on machines without a GPU.
#pragma once

#include "roofline/core/gemm.hpp"
#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roofline {

inline constexpr int measured_profile_schema_version = 1;

struct measured_bandwidth {
    std::string name;              // "dram_read", "dram_write", "dram_copy", "dram_copy_memcpy", "l2_read"
    std::string kernel;            // how it was measured
    double bytes_per_s = 0.0;      // median launch; read + written bytes counted
    double best_bytes_per_s = 0.0; // fastest launch
    double buffer_bytes = 0.0;
};

struct measured_compute {
    precision_id precision{};
    disposition status = disposition::not_run;
    std::string message;
    double burst_flops_per_s = 0.0; // best median over the searched shapes
    std::optional<gemm_problem> best_problem;
    std::string algorithm;
    std::optional<double> sustained_flops_per_s;
    double sustained_seconds = 0.0;
    std::optional<telemetry_summary> sustained_telemetry; // clocks and power during the sustained run
};

struct measured_profile {
    int schema_version = measured_profile_schema_version;
    std::string tool_version;
    std::string created_at; // ISO 8601, UTC
    device_identity device;
    std::string hardware_key; // the registry entry the device matched; empty for an unknown GPU
    std::optional<double> sm_clock_max_mhz;
    std::optional<double> mem_clock_max_mhz;
    std::optional<double> power_limit_w;
    std::string nvml_driver_version; // the NVIDIA driver ("580.159.04"), when NVML answered
    double wall_seconds = 0.0;       // how long `roofline ceilings` took
    std::vector<measured_bandwidth> bandwidth;
    std::vector<measured_compute> compute;
    std::vector<std::string> notes;

    [[nodiscard]] const measured_bandwidth* find_bandwidth(std::string_view name) const;
    [[nodiscard]] const measured_compute* find_compute(precision_id p) const;
    // The memory roof a measured analysis uses: the fastest device-memory figure (read-only or copy).
    [[nodiscard]] std::optional<double> memory_roof_bytes_per_s() const;
};

[[nodiscard]] nlohmann::json to_json(const measured_profile& p);
// Throws std::invalid_argument naming the field.
[[nodiscard]] measured_profile measured_profile_from_json(const nlohmann::json& j);

// <dir>/<uuid>.json, the UUID reduced to [A-Za-z0-9-] ("local" when empty).
[[nodiscard]] std::filesystem::path profile_path(const std::filesystem::path& dir, std::string_view uuid);
// Writes atomically (temporary file, then rename). Throws std::runtime_error naming the path.
void save_profile(const measured_profile& p, const std::filesystem::path& file);
// Throws std::runtime_error (unreadable, not JSON) or std::invalid_argument (bad field), naming the path.
[[nodiscard]] measured_profile load_profile(const std::filesystem::path& file);
// The profile for `uuid` in `dir`, or when uuid is empty the newest one there; nullopt when there is none.
// Files that do not parse are skipped (their reasons land in `skipped`, when given).
[[nodiscard]] std::optional<measured_profile> find_profile(const std::filesystem::path& dir,
                                                           std::string_view uuid,
                                                           std::vector<std::string>* skipped = nullptr);

// A registry-shaped entry whose roofs are the measured ones, so estimate() and the reports work unchanged
// (roof=measured). Key "<datasheet key or 'local'>-measured". Precisions measured as passed get their burst
// rate as peak; precisions measured as unsupported are unsupported; the rest keep the datasheet's support
// flag with no figure ("not measured"). Bandwidth: memory_roof_bytes_per_s(). Throws std::invalid_argument
// when the profile has no memory figure.
[[nodiscard]] hardware_entry measured_hardware_entry(const measured_profile& p,
                                                     const hardware_entry* datasheet);

} // namespace roofline
