// The roofline: attainable rate = min(peak, AI × bandwidth) for one hardware entry and precision.
#pragma once

#include "roofline/core/gemm.hpp"
#include "roofline/core/hardware.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace roofline {

enum class bound_kind : std::uint8_t {
    memory,      // AI below the ridge: bandwidth limits
    compute,     // AI at or above the ridge: the precision's peak limits
    unsupported, // the hardware has no such precision
    unknown,     // the hardware supports it but its peak is not published
};

[[nodiscard]] std::string_view to_string(bound_kind b) noexcept;

// The roofs one hardware entry offers one precision (independent of the shape).
struct precision_roof {
    precision_id precision{};
    bool available = false;           // supported and peak known
    std::string reason;               // when !available
    double peak_flops_per_s = 0.0;    // compute roof
    double bandwidth_bytes_per_s = 0; // memory roof slope
    double ridge_ai = 0.0;            // FLOP/byte where the two roofs meet
};

// The precision whose tensor-core rate a (possibly mixed) GEMM runs at: the wider of A and B
// (W4A16 runs at FP16's rate: INT4 weights are widened in registers).
[[nodiscard]] precision_id compute_precision(const gemm_problem& p) noexcept;

[[nodiscard]] precision_roof roof_for(const hardware_entry& hw, precision_id p);

struct roofline_estimate {
    precision_roof roof;
    double ai = 0.0;
    double memory_roof_flops_per_s = 0.0; // AI × bandwidth
    double attainable_flops_per_s = 0.0;  // min(memory roof, peak); 0 (none) when the peak is unknown
    bound_kind bound = bound_kind::unsupported;
    double predicted_time_s = 0.0; // max(FLOPs/peak, bytes/bandwidth); bytes/bandwidth alone if peak unknown
};

[[nodiscard]] roofline_estimate estimate(const hardware_entry& hw, const gemm_problem& p,
                                         const gemm_traffic& t);

// Measured rate as a fraction of the attainable roof at its AI; nullopt when no roof applies.
[[nodiscard]] std::optional<double> fraction_of_roof(const roofline_estimate& e, double measured_flops_per_s);

} // namespace roofline
