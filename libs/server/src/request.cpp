#include "roofline/server/request.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace roofline::server {
namespace {

using json = nlohmann::json;

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string percent_decode(std::string_view s, std::string_view what) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
            const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                throw bad_request("malformed percent-escape in query " + std::string(what));
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

// Printable form of client text for messages: bounded, without control bytes, valid UTF-8 (a multi-byte
// character cut at the bound becomes U+FFFD).
std::string shown(std::string_view s) {
    std::string out = "'";
    for (const char c : s.substr(0, 64)) {
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    }
    out = valid_utf8(out);
    if (s.size() > 64) {
        out += "...";
    }
    return out + "'";
}

bool parse_bool_param(std::string_view v, const std::string& field) {
    std::string lower(v);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "true" || lower == "1" || lower == "yes") {
        return true;
    }
    if (lower == "false" || lower == "0" || lower == "no" || lower.empty()) {
        return false;
    }
    throw invalid_value(field, field + " must be true or false (got " + shown(v) + ")");
}

std::size_t parse_count_param(std::string_view v, const std::string& field, std::size_t lo, std::size_t hi) {
    std::size_t out = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || ptr != v.data() + v.size() || out < lo || out > hi) {
        throw invalid_value(field, field + " must be an integer in [" + std::to_string(lo) + ", " +
                                       std::to_string(hi) + "] (got " + shown(v) + ")");
    }
    return out;
}

const std::string* find_param(const query_params& q, std::string_view key) {
    const std::string* found = nullptr;
    for (const auto& [k, v] : q) {
        if (k == key) {
            if (found != nullptr) {
                throw invalid_value(std::string(key), std::string(key) + " is given more than once");
            }
            found = &v;
        }
    }
    return found;
}

// Nesting depth of a JSON text, counted before parsing so a deeply nested body costs a scan, not a parse.
std::size_t json_depth(std::string_view s) {
    std::size_t depth = 0;
    std::size_t max_depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : s) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            max_depth = std::max(max_depth, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return max_depth;
}

std::string type_name(const json& v) {
    return v.type_name();
}

std::int64_t dimension(const json& body, const char* field) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        throw invalid_value(field, std::string(field) + " is required: an integer in [1, 2147483647]");
    }
    const std::string range = std::string(field) + " must be an integer in [1, 2147483647]";
    std::int64_t v = 0;
    if (it->is_number_unsigned()) {
        const auto u = it->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(max_dimension)) {
            throw invalid_value(field, range + " (got " + std::to_string(u) + ")");
        }
        v = static_cast<std::int64_t>(u);
    } else if (it->is_number_integer()) {
        v = it->get<std::int64_t>();
    } else if (it->is_number_float()) {
        const double d = it->get<double>();
        if (!std::isfinite(d) || d != std::floor(d) || d < 1.0 || d > static_cast<double>(max_dimension)) {
            throw invalid_value(field, range + " (got " + it->dump() + ")");
        }
        v = static_cast<std::int64_t>(d);
    } else {
        throw invalid_value(field, range + " (got a " + type_name(*it) + ")");
    }
    if (v < 1 || v > max_dimension) {
        throw invalid_value(field, range + " (got " + std::to_string(v) + ")");
    }
    return v;
}

precision_id precision_value(const json& v, const std::string& field) {
    if (!v.is_string()) {
        throw invalid_value(field, field + " must be a precision name (" + valid_precision_names(true) +
                                       "), got a " + type_name(v));
    }
    const auto& s = v.get_ref<const std::string&>();
    try {
        return parse_precision(s);
    } catch (const std::invalid_argument&) {
        throw invalid_value(field, "unknown precision " + shown(s) + " in " + field +
                                       "; valid: " + valid_precision_names());
    }
}

std::optional<precision_id> optional_precision(const json& body, const char* field, bool input) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        return std::nullopt;
    }
    const auto p = precision_value(*it, field);
    if (input && !info(p).gemm_input) {
        throw invalid_value(
            field, std::string(field) + " " + std::string(info(p).name) +
                       " is an accumulator format, not a GEMM input; valid: " + valid_precision_names(true));
    }
    return p;
}

// A string field with two allowed values (mode, pacing, roof), named as to_string() names them; absent or
// null leaves `out` as it is.
template <class E>
void two_choice(const json& body, const char* field, E first, E second, E& out) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        return;
    }
    const std::string_view a = to_string(first);
    const std::string_view b = to_string(second);
    const std::string allowed =
        std::string(field) + " must be \"" + std::string(a) + "\" or \"" + std::string(b) + "\"";
    if (!it->is_string()) {
        throw invalid_value(field, allowed + " (got a " + type_name(*it) + ")");
    }
    const auto& s = it->get_ref<const std::string&>();
    if (s == a) {
        out = first;
    } else if (s == b) {
        out = second;
    } else {
        throw invalid_value(field, allowed + " (got " + shown(s) + ")");
    }
}

// Mixed operand pairs some GPU runs (either order): FP8 E4M3 x E5M2 on FP8 tensor cores, and the mixed-input
// GEMMs that widen narrow weights in registers (W8A16, W4A16, W4A8: CUTLASS mixed-input, Marlin, Machete).
// Anything else (NVFP4 x INT8, FP64 x INT4, FP16 x BF16) no hardware runs, so no prediction is made for it.
bool pairing_runs(precision_id a, precision_id b) {
    using p = precision_id;
    if (a == b) {
        return true;
    }
    const auto is = [&](p x, p y) { return (a == x && b == y) || (a == y && b == x); };
    if (info(b).weight_only && a == info(b).default_output) {
        return true; // W4A16 alone: FP16 activations times its weights (our kernel)
    }
    if (is(p::fp8_e4m3, p::fp8_e5m2)) {
        return true;
    }
    for (const auto wide : {p::fp16, p::bf16}) {
        for (const auto narrow : {p::fp8_e4m3, p::fp8_e5m2, p::int8, p::int4}) {
            if (is(wide, narrow)) {
                return true;
            }
        }
    }
    return is(p::fp8_e4m3, p::int4) || is(p::int8, p::int4);
}

constexpr const char* valid_pairings =
    "mixed operands must be FP8_E4M3 x FP8_E5M2, FP16 or BF16 with FP8_E4M3, FP8_E5M2, INT8 or INT4 "
    "(weight-only), "
    "or INT4 with FP8_E4M3 or INT8 (W4A8), in either order; otherwise A and B take the same precision";

const std::vector<std::string_view>& body_fields() {
    static const std::vector<std::string_view> fields{"M",
                                                      "N",
                                                      "K",
                                                      "precision",
                                                      "precisions",
                                                      "a_precision",
                                                      "b_precision",
                                                      "out_precision",
                                                      "beta",
                                                      "iterations",
                                                      "mode",
                                                      "pacing",
                                                      "roof",
                                                      "predict_only",
                                                      "telemetry_seconds"};
    return fields;
}

std::string joined_fields() {
    std::string out;
    for (const auto f : body_fields()) {
        out += (out.empty() ? "" : ", ") + std::string(f);
    }
    return out;
}

} // namespace

std::string valid_utf8(std::string_view s) {
    static constexpr std::string_view replacement = "\xEF\xBF\xBD";
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        // Length and the allowed range of the second byte (RFC 3629, table 3-7 of the Unicode standard).
        std::size_t len = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        }
        bool ok = len > 0 && i + len <= s.size();
        for (std::size_t j = 1; ok && j < len; ++j) {
            const auto b = static_cast<unsigned char>(s[i + j]);
            ok = j == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
        }
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += replacement;
            ++i;
        }
    }
    return out;
}

std::string error_body(const api_error& e) {
    json err{{"code", e.code()}, {"message", e.what()}};
    err["field"] = e.field().empty() && !e.names_empty_field() ? json(nullptr) : json(e.field());
    // replace: a field name is the client's own key ({"\xff": 1}); U+FFFD stands for what is not UTF-8.
    return json{{"error", err}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

query_params parse_query_string(std::string_view text) {
    if (const auto q = text.find('?'); q != std::string_view::npos) {
        text = text.substr(q + 1);
    } else if (!text.empty() && text.front() == '/') {
        return {}; // a path without a query
    }
    if (const auto hash = text.find('#'); hash != std::string_view::npos) {
        text = text.substr(0, hash);
    }
    query_params out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('&', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const auto part = text.substr(start, end - start);
        start = end + 1;
        if (part.empty()) {
            if (end == text.size()) {
                break;
            }
            continue;
        }
        if (out.size() == max_query_params) {
            throw bad_request("too many query parameters (at most " + std::to_string(max_query_params) + ")");
        }
        const auto eq = part.find('=');
        const auto raw_key = part.substr(0, eq);
        const auto raw_value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
        auto key = percent_decode(raw_key, "parameter name");
        if (key.empty() || key.size() > max_query_key_bytes) {
            throw bad_request("query parameter names must be 1 to " + std::to_string(max_query_key_bytes) +
                              " bytes");
        }
        auto value = percent_decode(raw_value, "value of " + shown(key));
        if (value.size() > max_query_value_bytes) {
            throw invalid_value(key, "query value of " + shown(key) + " is longer than " +
                                         std::to_string(max_query_value_bytes) + " bytes");
        }
        out.emplace_back(std::move(key), std::move(value));
        if (end == text.size()) {
            break;
        }
    }
    return out;
}

void reject_unknown_params(const query_params& query, std::initializer_list<std::string_view> allowed) {
    for (const auto& [k, v] : query) {
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
            std::string names;
            for (const auto a : allowed) {
                names += (names.empty() ? "" : ", ") + std::string(a);
            }
            throw invalid_value(k, "unknown query parameter " + shown(k) +
                                       (names.empty() ? "; this route takes none" : "; valid: " + names));
        }
    }
}

analyze_request parse_analyze_request(const query_params& query, std::string_view body_text) {
    reject_unknown_params(query, {"hardware_key", "run_all_precisions"});
    analyze_request r;
    if (const auto* hw = find_param(query, "hardware_key")) {
        if (hw->empty()) {
            throw invalid_value("hardware_key",
                                "hardware_key is empty; leave it out for the server's default");
        }
        r.hardware_key = *hw;
    }
    if (const auto* all = find_param(query, "run_all_precisions")) {
        r.run_all_precisions = parse_bool_param(*all, "run_all_precisions");
    }

    if (body_text.size() > max_body_bytes) {
        throw api_error(413, "payload_too_large",
                        "request body over " + std::to_string(max_body_bytes) + " bytes");
    }
    if (body_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        throw bad_request("the body must be a JSON object such as {\"M\":4096,\"N\":4096,\"K\":4096,"
                          "\"precision\":\"FP16\"}");
    }
    if (json_depth(body_text) > max_json_depth) {
        throw bad_request("JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
    }
    json body;
    try {
        body = json::parse(body_text);
    } catch (const json::exception& e) {
        throw bad_request(std::string("body is not valid JSON: ") + e.what());
    }
    if (!body.is_object()) {
        throw bad_request("the body must be a JSON object, got a " + type_name(body));
    }
    for (const auto& [key, value] : body.items()) {
        if (std::find(body_fields().begin(), body_fields().end(), key) == body_fields().end()) {
            auto e = invalid_value(key, "unknown field " + shown(key) + "; valid: " + joined_fields());
            throw key.empty() ? e.with_empty_field_name() : e;
        }
    }

    r.m = dimension(body, "M");
    r.n = dimension(body, "N");
    r.k = dimension(body, "K");

    if (r.run_all_precisions) {
        r.precisions = default_sweep(); // the seed: the flag ignores `precision`
    } else if (const auto it = body.find("precisions"); it != body.end() && !it->is_null()) {
        if (!it->is_array()) {
            throw invalid_value("precisions",
                                "precisions must be an array of precision names, got a " + type_name(*it));
        }
        if (it->empty() || it->size() > max_precisions_per_request) {
            throw invalid_value("precisions", "precisions must list 1 to " +
                                                  std::to_string(max_precisions_per_request) + " precisions");
        }
        for (const auto& p : *it) {
            const auto id = precision_value(p, "precisions");
            if (std::find(r.precisions.begin(), r.precisions.end(), id) == r.precisions.end()) {
                r.precisions.push_back(id);
            }
        }
    } else if (const auto pr = body.find("precision"); pr != body.end() && !pr->is_null()) {
        r.precisions.push_back(precision_value(*pr, "precision"));
    } else {
        r.precisions.push_back(precision_id::fp16);
    }
    // An accumulator format (INT32) is no GEMM input unless both operands are given explicitly.
    const auto given = [&](const char* f) { return body.contains(f) && !body[f].is_null(); };
    const bool explicit_operands = given("a_precision") && given("b_precision");
    for (const auto p : r.precisions) {
        if (!info(p).gemm_input && !explicit_operands) {
            throw invalid_value(
                r.run_all_precisions ? "run_all_precisions" : "precision",
                std::string(info(p).name) +
                    " is an accumulator format, not a GEMM input; valid: " + valid_precision_names(true));
        }
    }
    r.a_precision = optional_precision(body, "a_precision", true);
    r.b_precision = optional_precision(body, "b_precision", true);
    r.out_precision = optional_precision(body, "out_precision", false);

    if (const auto it = body.find("beta"); it != body.end() && !it->is_null()) {
        if (!it->is_number() || !std::isfinite(it->get<double>())) {
            throw invalid_value("beta", "beta must be a finite number");
        }
        r.beta = it->get<double>();
    }
    if (const auto it = body.find("iterations"); it != body.end() && !it->is_null()) {
        const std::string range =
            "iterations must be an integer in [1, " + std::to_string(max_iterations) + "]";
        if (it->is_number_unsigned() || it->is_number_integer()) {
            const auto v = it->get<std::int64_t>();
            if (it->is_number_unsigned() && it->get<std::uint64_t>() > max_iterations) {
                throw invalid_value("iterations", range);
            }
            if (v < 1 || v > static_cast<std::int64_t>(max_iterations)) {
                throw invalid_value("iterations", range + " (got " + std::to_string(v) + ")");
            }
            r.iterations = static_cast<std::size_t>(v);
        } else {
            throw invalid_value("iterations", range + " (got a " + type_name(*it) + ")");
        }
    }
    two_choice(body, "mode", timing_mode::cold, timing_mode::hot, r.mode);
    if (const auto it = body.find("telemetry_seconds"); it != body.end() && !it->is_null()) {
        const std::string range =
            "telemetry_seconds must be a number in [0, 10] (1 or more gives energy per GEMM)";
        static_assert(max_telemetry_seconds == 10.0, "the message names the limit");
        if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0 ||
            it->get<double>() > max_telemetry_seconds) {
            throw invalid_value("telemetry_seconds", range);
        }
        r.telemetry_seconds = it->get<double>();
    }
    two_choice(body, "pacing", sample_pacing::paced, sample_pacing::continuous, r.pacing);
    two_choice(body, "roof", roof_source::datasheet, roof_source::measured, r.roof);
    if (const auto it = body.find("predict_only"); it != body.end() && !it->is_null()) {
        if (!it->is_boolean()) {
            throw invalid_value("predict_only", "predict_only must be true or false");
        }
        r.predict_only = it->get<bool>();
    }

    for (const auto p : r.precisions) {
        auto problem = make_problem(r.m, r.n, r.k, p, r.a_precision, r.b_precision, r.out_precision, r.beta);
        if (!pairing_runs(problem.a, problem.b)) {
            throw invalid_value(r.b_precision ? "b_precision" : "a_precision",
                                "no GPU runs A in " + std::string(info(problem.a).name) + " with B in " +
                                    std::string(info(problem.b).name) + ": " + valid_pairings);
        }
        try {
            validate(problem);
        } catch (const std::invalid_argument& e) {
            // validate() names the field first ("a_precision FP32 is ...", "M must be ...").
            const std::string msg = e.what();
            throw invalid_value(msg.substr(0, msg.find(' ')), msg);
        }
        r.problems.push_back(problem);
    }
    return r;
}

runs_query parse_runs_query(const query_params& query, std::size_t default_limit, std::size_t max_limit) {
    reject_unknown_params(query,
                          {"hardware_key", "precision", "source", "host", "gpu", "job", "limit", "offset"});
    runs_query r;
    r.limit = default_limit;
    for (const char* name : {"host", "gpu", "job"}) {
        if (const auto* v = find_param(query, name); v != nullptr && !v->empty()) {
            if (v->size() > 255) {
                throw invalid_value(name, std::string(name) + " is at most 255 characters");
            }
            const std::string_view n(name);
            (n == "host" ? r.host : n == "gpu" ? r.gpu : r.job) = *v;
        }
    }
    if (const auto* v = find_param(query, "hardware_key"); v != nullptr && !v->empty()) {
        r.hardware_key = *v;
    }
    if (const auto* v = find_param(query, "precision"); v != nullptr && !v->empty()) {
        try {
            r.precision = std::string(to_string(parse_precision(*v)));
        } catch (const std::invalid_argument&) {
            r.precision = *v; // a mixed label ("INT4×FP16→FP16") matches as written
        }
    }
    if (const auto* v = find_param(query, "source"); v != nullptr && !v->empty()) {
        if (*v != "measured" && *v != "predicted") {
            throw invalid_value("source", "source must be measured or predicted (got " + shown(*v) + ")");
        }
        r.source = *v;
    }
    if (const auto* v = find_param(query, "limit")) {
        r.limit = parse_count_param(*v, "limit", 1, max_limit);
    }
    if (const auto* v = find_param(query, "offset")) {
        r.offset = parse_count_param(*v, "offset", 0, 1000000000);
    }
    return r;
}

std::int64_t parse_run_id(std::string_view text) {
    std::int64_t id = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || id < 1) {
        throw not_found("no run " + shown(text) + ": run ids are positive integers", "id");
    }
    return id;
}

} // namespace roofline::server
