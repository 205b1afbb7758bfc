// Pieces every subcommand shares: strict number parsing with field names, the registry, output formats.
#pragma once

#include "roofline/core/hardware.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace roofline::cli {

// Bad input from the user: printed as "error: <message>", exit code 2.
class usage_error : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

enum class output_format { table, json, csv };
[[nodiscard]] output_format parse_format(std::string_view s);

// A dimension in [1, 2^31−1]; `field` names it in the error ("M", "N", "K").
[[nodiscard]] std::int64_t parse_dimension(std::string_view text, std::string_view field);
// "4096x4096x4096" (x, X or *) into M, N, K.
void parse_shape(std::string_view text, std::int64_t& m, std::int64_t& n, std::int64_t& k);
[[nodiscard]] double parse_number(std::string_view text, std::string_view field);

// The built-in registry, or the files in `data_dir` when given (also $ROOFLINE_HARDWARE_DIR).
[[nodiscard]] hardware_registry load_registry(const std::string& data_dir);

} // namespace roofline::cli
