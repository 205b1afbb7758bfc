// JSON, CSV and table renderings of model estimates, spot checks and batches (CLI and server share them).
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/workload/batch_file.hpp"
#include "roofline/core/workload/model_gemms.hpp"
#include "roofline/core/workload/spot_check.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace roofline::workload {

inline constexpr int workload_schema_version = 1;

[[nodiscard]] nlohmann::json to_json(const model_config& c);
[[nodiscard]] nlohmann::json to_json(const model_estimate& e);
// {"schema_version", "kind": "model", "model", "step", "hardware", "backend", "precisions": [...]}
[[nodiscard]] nlohmann::json model_document(const model_workload& w,
                                            const std::vector<model_estimate>& estimates,
                                            const hardware_entry& hw, const std::string& backend_note);
[[nodiscard]] std::string model_table(const model_workload& w, const std::vector<model_estimate>& estimates,
                                      const hardware_entry& hw);
[[nodiscard]] std::string model_csv(const std::vector<model_estimate>& estimates);

[[nodiscard]] nlohmann::json to_json(const spot_result& s);
[[nodiscard]] nlohmann::json spot_document(const spot_result& s, const hardware_entry& hw);
[[nodiscard]] std::string spot_table(const spot_result& s, const hardware_entry& hw);
[[nodiscard]] std::string spot_csv(const spot_result& s);

[[nodiscard]] nlohmann::json to_json(const batch_error& e);

} // namespace roofline::workload

namespace roofline::workload {

// A batch's answer: {"schema_version", "tool_version", "kind": "batch", "backend", "hardware", "format",
// "cases": [{"index", "line", "label"}], "errors": [...], "predicted": [points], "measured": [points]}.
// predicted[i] and (when measured is not empty) measured[i] belong to cases[i].
[[nodiscard]] nlohmann::json batch_document(const hardware_entry& hw, const batch_input& input,
                                            const std::vector<analysis_point>& predicted,
                                            const std::vector<analysis_point>& measured,
                                            const std::string& backend);

} // namespace roofline::workload
