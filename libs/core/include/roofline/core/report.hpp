// JSON, CSV and table renderings of analysis results: the one place that turns structs into text, shared by
// the CLI, the server and the worker process (which sends its points back as JSON).
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace roofline {

inline constexpr int report_schema_version = 1;
[[nodiscard]] std::string_view tool_version() noexcept;

// A count as a JSON number: an exact integer up to 2^64−1, a double beyond.
[[nodiscard]] nlohmann::json count_json(count_t v);

[[nodiscard]] nlohmann::json to_json(const gemm_problem& p);
[[nodiscard]] nlohmann::json to_json(const precision_roof& r);
[[nodiscard]] nlohmann::json to_json(const hardware_entry& h); // the whole entry, sources included
[[nodiscard]] nlohmann::json roofs_json(const hardware_entry& h); // bandwidth plus one roof per precision
[[nodiscard]] nlohmann::json to_json(const timing_stats& t);
[[nodiscard]] nlohmann::json to_json(const device_identity& d);
[[nodiscard]] device_identity device_from_json(const nlohmann::json& j); // missing fields stay empty
[[nodiscard]] nlohmann::json to_json(const telemetry_summary& t);
[[nodiscard]] nlohmann::json to_json(const measurement& m);
[[nodiscard]] nlohmann::json to_json(const analysis_point& p);

// Inverse of to_json(analysis_point) for the fields that are not derived (the worker protocol, the store).
// Throws std::invalid_argument naming the field.
[[nodiscard]] analysis_point point_from_json(const nlohmann::json& j);

struct gap_analysis;
[[nodiscard]] nlohmann::json to_json(const gap_analysis& g);

// {"schema_version", "tool_version", "hardware": roofs, "points": [...]}; measured points gain "gap".
[[nodiscard]] nlohmann::json analysis_document(const hardware_entry& hw, const std::vector<analysis_point>& points);

[[nodiscard]] std::string points_csv(const std::vector<analysis_point>& points);
[[nodiscard]] std::string points_table(const hardware_entry& hw, const std::vector<analysis_point>& points);
[[nodiscard]] std::string hardware_table(const std::vector<hardware_entry>& entries);
[[nodiscard]] std::string hardware_detail(const hardware_entry& h);

// "1.37e+11" style helpers used by tables: engineering formatting with SI prefix.
[[nodiscard]] std::string format_si(double v, std::string_view unit, int digits = 3);

} // namespace roofline
