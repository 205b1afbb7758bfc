#include "cli_common.hpp"

#include "roofline/core/gemm.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace roofline::cli {

output_format parse_format(std::string_view s) {
    if (s == "table") {
        return output_format::table;
    }
    if (s == "json") {
        return output_format::json;
    }
    if (s == "csv") {
        return output_format::csv;
    }
    throw usage_error("--format must be one of table, json, csv (got '" + std::string(s) + "')");
}

std::int64_t parse_dimension(std::string_view text, std::string_view field) {
    const std::string range = " must be an integer in [1, 2147483647]";
    std::int64_t v = 0;
    const auto* first = text.data();
    const auto* last = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(first, last, v);
    if (text.empty() || ec == std::errc::invalid_argument || ptr != last) {
        throw usage_error(std::string(field) + range + " (got '" + std::string(text) + "': not an integer)");
    }
    if (ec == std::errc::result_out_of_range || v > max_dimension) {
        throw usage_error(std::string(field) + range + " (got '" + std::string(text) + "': too large)");
    }
    if (v < 1) {
        throw usage_error(std::string(field) + range + " (got " + std::to_string(v) + ")");
    }
    return v;
}

void parse_shape(std::string_view text, std::int64_t& m, std::int64_t& n, std::int64_t& k) {
    std::string_view parts[3];
    std::size_t count = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == 'x' || text[i] == 'X' || text[i] == '*') {
            if (count == 3) {
                count = 4;
                break;
            }
            parts[count++] = text.substr(start, i - start);
            start = i + 1;
        }
    }
    if (count != 3) {
        throw usage_error("--shape must be MxNxK, e.g. 4096x4096x4096 (got '" + std::string(text) + "')");
    }
    m = parse_dimension(parts[0], "M");
    n = parse_dimension(parts[1], "N");
    k = parse_dimension(parts[2], "K");
}

double parse_number(std::string_view text, std::string_view field) {
    char* end = nullptr;
    const std::string s(text);
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
        throw usage_error(std::string(field) + " must be a finite number (got '" + s + "')");
    }
    return v;
}

hardware_registry load_registry(const std::string& data_dir) {
    std::string dir = data_dir;
    if (dir.empty()) {
        if (const char* env = std::getenv("ROOFLINE_HARDWARE_DIR"); env != nullptr) {
            dir = env;
        }
    }
    return dir.empty() ? hardware_registry::builtin() : hardware_registry::load_directory(dir);
}

} // namespace roofline::cli
