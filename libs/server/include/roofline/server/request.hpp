// Requests parsed into native types at the edge: nothing behind these functions sees JSON or raw text.
//
// Every function here either returns a fully validated struct or throws api_error (400 malformed, 413 too
// large, 422 invalid value with the field named). No other exception escapes: the fuzz target holds them to
// it.
#pragma once

#include "roofline/core/analysis.hpp"
#include "roofline/core/backend.hpp"
#include "roofline/core/gemm.hpp"
#include "roofline/core/precision.hpp"
#include "roofline/core/result.hpp"
#include "roofline/server/api_error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roofline::server {

// Bounds on what a client may send (beyond them: 400/413/422, never unbounded work or memory).
inline constexpr std::size_t max_body_bytes = 64 * 1024;
inline constexpr std::size_t max_query_params = 32;
inline constexpr std::size_t max_query_key_bytes = 64;
inline constexpr std::size_t max_query_value_bytes = 256;
inline constexpr std::size_t max_json_depth = 8;
using roofline::max_iterations;
using roofline::max_precisions_per_request;
inline constexpr double max_telemetry_seconds = max_telemetry_window_s;
inline constexpr std::size_t max_runs_page = 1000;
inline constexpr std::size_t max_csv_runs = 10000;

// Decoded query parameters in the order given.
using query_params = std::vector<std::pair<std::string, std::string>>;

// The part after '?' (or a whole target: everything up to the first '?' is skipped). '+' is a space, %XX a
// byte. Throws 400 for a bad escape or too many parameters, 422 for an over-long value.
[[nodiscard]] query_params parse_query_string(std::string_view query_or_target);

using roofline::roof_source; // the analysis use case's (core/analysis.hpp)

struct analyze_request {
    std::string hardware_key; // empty: the server's default (the local GPU's entry, else b10)
    bool run_all_precisions = false;
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::vector<precision_id> precisions; // resolved: the sweep, `precisions` or `precision`; never empty
    std::optional<precision_id> a_precision;
    std::optional<precision_id> b_precision;
    std::optional<precision_id> out_precision;
    double beta = 0.0;
    std::size_t iterations = 30;
    timing_mode mode = timing_mode::cold;
    sample_pacing pacing = sample_pacing::paced;
    double telemetry_seconds = 0.1; // NVML watches the timed samples at least this long; >= 1 s gives energy
    roof_source roof = roof_source::datasheet;
    bool predict_only = false;
    std::vector<gemm_problem> problems; // one per precision, validated
};

// POST /api/analyze: query (hardware_key, run_all_precisions) and the JSON body.
[[nodiscard]] analyze_request parse_analyze_request(const query_params& query, std::string_view body);

struct runs_query {
    std::optional<std::string> hardware_key;
    std::optional<std::string> precision; // canonical name when it parses as one, else as given
    std::optional<std::string> source;    // measured | predicted
    std::optional<std::string> host;      // the node's host name
    std::optional<std::string> gpu;       // the GPU's index on its node, UUID or PCI bus id
    std::optional<std::string> job;       // the scheduler's job id (roofline fleet submit)
    std::size_t limit = 50;
    std::size_t offset = 0;
};

// GET /api/runs and /api/runs.csv (default_limit/max_limit differ between the two).
[[nodiscard]] runs_query parse_runs_query(const query_params& query, std::size_t default_limit = 50,
                                          std::size_t max_limit = max_runs_page);

// "/api/runs/{id}": a positive integer, else 404 (an id that cannot exist names no run).
[[nodiscard]] std::int64_t parse_run_id(std::string_view text);

// `s` with every byte that is not part of a well-formed UTF-8 sequence (overlong forms, surrogates and code
// points past U+10FFFF included) replaced by U+FFFD: client bytes that reach a message stay valid JSON text.
[[nodiscard]] std::string valid_utf8(std::string_view s);

// The error body {"error": {"code", "message", "field"}} of `e`; always valid JSON, whatever bytes a client
// put into the message or the field's name.
[[nodiscard]] std::string error_body(const api_error& e);

// Throws 422 when a query has a parameter outside `allowed`.
void reject_unknown_params(const query_params& query, std::initializer_list<std::string_view> allowed);

} // namespace roofline::server
