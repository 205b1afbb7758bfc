// Helpers the codecs share (private to libs/core/src/json).
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace roofline::json_detail {

using json = nlohmann::json;

inline json opt(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

// A number or null read back into an optional; absent reads as nullopt.
inline std::optional<double> opt_number(const json& j, const char* field) {
    const auto it = j.find(field);
    return it != j.end() && it->is_number() ? std::optional<double>(it->get<double>()) : std::nullopt;
}

// Rounds for display in JSON so 1365.3333333 stays exact enough yet readable; raw counts carry the truth.
inline double round_sig(double v, int digits = 9) {
    if (v == 0.0 || !std::isfinite(v)) {
        return v;
    }
    const double scale = std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
    return std::round(v * scale) / scale;
}

inline const json& need(const json& j, const char* field) {
    const auto it = j.find(field);
    if (it == j.end()) {
        throw std::invalid_argument(std::string("missing field '") + field + "'");
    }
    return *it;
}

} // namespace roofline::json_detail
