// CSV and table renderings of analysis results, shared by the CLI and the server. The JSON codecs are in
// json.hpp (libs/core/src/json/).
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/json.hpp" // the codecs, for the callers that write both
#include "roofline/core/result.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace roofline {

[[nodiscard]] std::string points_csv(const std::vector<analysis_point>& points);
[[nodiscard]] std::string points_table(const hardware_entry& hw, const std::vector<analysis_point>& points);
[[nodiscard]] std::string hardware_table(const std::vector<hardware_entry>& entries);
[[nodiscard]] std::string hardware_detail(const hardware_entry& h);

// "1.37e+11" style helpers used by tables: engineering formatting with SI prefix.
[[nodiscard]] std::string format_si(double v, std::string_view unit, int digits = 3);

} // namespace roofline
