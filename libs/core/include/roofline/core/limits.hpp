// The bounds on what an analysis may ask for, written once: the CLI and the server check requests against
// these, and schemas/analyze-request.schema.json states the same numbers (limits_test.cpp checks the two
// agree).
#pragma once

#include <cstddef>
#include <cstdint>

namespace roofline {

inline constexpr std::int64_t max_dimension = 2147483647; // 2^31 − 1: cuBLASLt's int32 sizes
inline constexpr std::size_t max_iterations = 100000;     // timed samples per precision
inline constexpr std::size_t max_precisions_per_request = 16;
// The longest telemetry window a request may ask for (CLI --telemetry-seconds, API telemetry_seconds).
inline constexpr double max_telemetry_window_s = 10.0;

} // namespace roofline
