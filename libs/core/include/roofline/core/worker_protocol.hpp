// The line protocol between a supervisor (the server) and `roofline worker`, the process that owns the GPU.
//
// One JSON object per line. Supervisor → worker:
//   {"id": 7, "problem": {M, N, K, a_precision, b_precision, out_precision, beta}, "options": {...}}
//   {"id": 8, "command": "device"}            -> {"id": 8, "device": {...}} or {"id":8,"error":{...}}
// Worker → supervisor:
//   {"id": 7, "point": <to_json(analysis_point)>}   or   {"id": 7, "error": {"code": "...", "message":
//   "..."}}
// A sticky CUDA error, a crash or a hang kills only the worker; the supervisor reports that precision as
// failed and starts a fresh worker for the next one.
#pragma once

#include "roofline/core/backend.hpp"

#include <nlohmann/json.hpp>

namespace roofline {

[[nodiscard]] nlohmann::json to_json(const measure_options& o);
// Throws std::invalid_argument naming the field.
[[nodiscard]] measure_options measure_options_from_json(const nlohmann::json& j);
[[nodiscard]] gemm_problem problem_from_json(const nlohmann::json& j);

} // namespace roofline
