// Why is a measured point below its roof? A pure function from the point (its timing, roofline estimate and
// telemetry) and the hardware entry to a list of causes with figures: the SM clock against the clock the
// datasheet roof assumes, throttle reasons, samples under 75% of the maximum clock, wave quantization of the
// algorithm's output tiles over the SMs, the memory roof for small M, and launch overhead for tiny GEMMs.
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roofline {

struct tile_shape {
    std::int64_t m = 0; // output rows per tile (CTA)
    std::int64_t n = 0; // output columns per tile
    std::int64_t split_k = 1;
};

// The tile an engine names in its algorithm text ("..., tile 256x128, ..., split-K 2, ..."); nullopt when it
// names none (cuBLASLt answers "UNDEFINED" for many Hopper kernels).
[[nodiscard]] std::optional<tile_shape> parse_tile(std::string_view algorithm);

// The SM clock a datasheet's tensor peaks are derived at. Vendors quote peaks at a clock below the maximum
// boost (H100 SXM: 989 TFLOP/s at 1830 MHz, boost 1980), and the registry records that derivation in the
// boost clock's note ("... x 1.83 GHz = 989 TFLOP/s", "correspond to 1830 MHz"): that clock when the note
// gives one, else the boost clock, else nullopt.
[[nodiscard]] std::optional<double> datasheet_roof_clock_mhz(const hardware_entry& hw);

enum class gap_kind : std::uint8_t {
    clock,             // SM clock under the one the roof assumes
    throttle,          // clock-event reasons NVML reported (power cap, thermal, ...)
    low_clock_samples, // samples under 75% of the maximum SM clock (nvbench's rule)
    wave_quantization, // the last wave of output tiles leaves SMs idle
    memory_roof,       // below the ridge: bandwidth, not the tensor cores, bounds it
    launch_overhead,   // so short that launch and setup are a large share
    remaining,         // what the causes above do not explain
};
[[nodiscard]] std::string_view to_string(gap_kind k) noexcept;

struct gap_reason {
    gap_kind kind{};
    std::string message; // one sentence with the figures
    // The share of the roof this cause alone leaves reachable (0..1), where it can be estimated.
    std::optional<double> roof_fraction;
};

struct gap_options {
    int sm_count = 0;               // 0: the point's device, else the hardware entry
    std::optional<tile_shape> tile; // overrides what parse_tile finds in the algorithm text
    std::optional<double>
        roof_clock_mhz; // the clock the datasheet peak assumes; default: datasheet_roof_clock_mhz
    double launch_overhead_below_s = 10e-6;
};

struct gap_analysis {
    bool applicable = false; // a measured point with a roof; false: `reasons` holds one line saying why not
    double measured_flops_per_s = 0.0;
    double roof_flops_per_s = 0.0; // attainable at the point's AI (the hardware entry's roofs)
    std::optional<double> fraction_of_roof;
    std::optional<double> roof_at_clock_flops_per_s; // the attainable roof with the compute roof rescaled to
                                                     // the mean SM clock it ran at
    std::optional<double> fraction_of_roof_at_clock;
    std::vector<gap_reason> reasons;
};

[[nodiscard]] gap_analysis analyze_gap(const analysis_point& p, const hardware_entry& hw,
                                       const gap_options& o = {});

// "  below the roof: ..." lines for the terminal table, one per reason.
[[nodiscard]] std::string gap_lines(const gap_analysis& g);

// Telemetry of one measured point for the terminal: clocks, power, energy per GEMM, TFLOP/s per watt, peak
// temperature, throttle reasons, low-clock samples; or "telemetry: unavailable (<reason>)". `flops_per_gemm`
// gives TFLOP/s/W = FLOPs / joules per GEMM; time_per_gemm_s is the fallback (rate / mean power) when there
// is no energy counter.
[[nodiscard]] std::string telemetry_lines(const telemetry_summary& t, double flops_per_gemm,
                                          double time_per_gemm_s = 0.0);

} // namespace roofline
