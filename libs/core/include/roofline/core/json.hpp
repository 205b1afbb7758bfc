// The JSON codecs of the core's types, one place (libs/core/src/json/): to_json and *_from_json side by side
// for each type. The documents they write are defined in schemas/ (point.schema.json, hardware.schema.json,
// ...); schema.cli.test.ts validates what the binary emits against those files.
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace roofline {

struct gap_analysis;

inline constexpr int report_schema_version = 1;
[[nodiscard]] std::string_view tool_version() noexcept;

// A count as a JSON number: an exact integer up to 2^64−1, a double beyond.
[[nodiscard]] nlohmann::json count_json(count_t v);

// Hardware (hardware.schema.json).
[[nodiscard]] nlohmann::json to_json(const precision_roof& r);
[[nodiscard]] nlohmann::json to_json(const hardware_entry& h); // the whole entry, sources included
[[nodiscard]] nlohmann::json
roofs_json(const hardware_entry& h); // HardwareRoofs: bandwidth plus one roof each

// A GPU's identity (device.schema.json); missing fields stay empty.
[[nodiscard]] nlohmann::json to_json(const device_identity& d);
[[nodiscard]] device_identity device_from_json(const nlohmann::json& j);

// Telemetry of one measurement (telemetry.schema.json#/$defs/TelemetrySummary).
[[nodiscard]] nlohmann::json to_json(const telemetry_summary& t);
[[nodiscard]] telemetry_summary telemetry_from_json(const nlohmann::json& j);

// The parts of a point (point.schema.json).
[[nodiscard]] nlohmann::json to_json(const gemm_problem& p);
[[nodiscard]] nlohmann::json to_json(const timing_stats& t);
[[nodiscard]] timing_stats timing_from_json(const nlohmann::json& j);
[[nodiscard]] nlohmann::json to_json(const accuracy& a);
[[nodiscard]] accuracy accuracy_from_json(const nlohmann::json& j);
[[nodiscard]] nlohmann::json to_json(const measurement& m);
[[nodiscard]] measurement measurement_from_json(const nlohmann::json& j);
// The point's "roof" member: the estimate against its hardware, and the fraction a measured rate reached.
[[nodiscard]] nlohmann::json roof_json(const roofline_estimate& e, double flops_per_s);
[[nodiscard]] roofline_estimate roof_from_json(const nlohmann::json& j, const analysis_point& p);
[[nodiscard]] nlohmann::json to_json(const gap_analysis& g);

// One point. point_from_json reads back what is not derived, the stored roof included (the worker protocol,
// the store); throws std::invalid_argument naming the field.
[[nodiscard]] nlohmann::json to_json(const analysis_point& p);
[[nodiscard]] analysis_point point_from_json(const nlohmann::json& j);

// A point as a document shows it: to_json plus, for a measured point with a time, "gap" (why it sits below
// its roof on `hw`). The CLI's and the server's answers both write points through this.
[[nodiscard]] nlohmann::json point_document(const hardware_entry& hw, const analysis_point& p);
[[nodiscard]] nlohmann::json points_document(const hardware_entry& hw,
                                             const std::vector<analysis_point>& points);

// `roofline analyze --format json` (answer.schema.json#/$defs/AnalysisDocument).
[[nodiscard]] nlohmann::json analysis_document(const hardware_entry& hw,
                                               const std::vector<analysis_point>& points);

} // namespace roofline
