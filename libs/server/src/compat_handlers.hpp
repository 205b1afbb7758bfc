// The original client: the seed's React page ("Kernel Spot Check", a Vite dev server on :5173) reads fields
// our own answer names differently or does not carry. This layer is additive: our API stays the primary
// contract (docs/API.md); the original form is answered only when asked for (docs/API.md, "The original
// client").
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"
#include "roofline/server/request.hpp"
#include "telemetry_source.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace roofline::server::compat {

// The Accept profile that asks for the original form per request.
inline constexpr std::string_view original_media_type = "application/vnd.roofline.original+json";

// True when an Accept header names original_media_type.
[[nodiscard]] bool asks_original_form(std::string_view accept) noexcept;

// Our answer to POST /api/analyze (its text) recast for the original client: `hardware` is the GPU's name
// (our roofs object moves to `hardware_roofs`), `simulated` lists the timed predictions with `shape`,
// `bottleneck` and source "simulated", `measured` keeps only points with a time (with `shape` and
// `bandwidth_gb_s`; the others move to `not_measured` with their messages), and `recommendation` says which
// precision this GEMM runs fastest at on this GPU.
[[nodiscard]] std::string original_analyze_answer(std::string_view answer, const hardware_entry& hw,
                                                  const analyze_request& request,
                                                  const std::vector<analysis_point>& predicted,
                                                  const std::vector<analysis_point>& measured);

// {"precision", "method", "reason", "predicted_speedup", "memory_bound", "memory_savings_pct", "basis"}: the
// fastest precision the hardware runs for this shape by the roofline model, or by measurement where
// `measured` has timed points; null when the hardware runs none of the candidates.
[[nodiscard]] nlohmann::json recommendation(const hardware_entry& hw, const analyze_request& request,
                                            const std::vector<analysis_point>& measured);

// GET /api/nvml/status's body: device_name, gpu_clock_mhz, power_draw_w, power_limit_w, temperature_c,
// mem_used_mb, mem_total_mb, gpu_utilization_pct (null where NVML gives no reading).
[[nodiscard]] nlohmann::json nvml_status_json(const gpu_status& s);

} // namespace roofline::server::compat
