#include "roofline/core/workload/batch_file.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

namespace roofline::workload {
namespace {

using json = nlohmann::json;

constexpr std::string_view columns_text =
    "m, n, k, shape, precision, a_precision, b_precision, out_precision, label";
constexpr std::array<std::string_view, 9> columns{
    "m", "n", "k", "shape", "precision", "a_precision", "b_precision", "out_precision", "label"};
bool known_column(std::string_view c) {
    return std::ranges::find(columns, c) != columns.end();
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

std::string lower(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::vector<std::string> split(std::string_view line, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const auto end = line.find(sep, start);
        out.push_back(
            trim(line.substr(start, end == std::string_view::npos ? line.size() - start : end - start)));
        if (end == std::string_view::npos) {
            return out;
        }
        start = end + 1;
    }
}

// A failure of one field of one case.
struct field_error {
    std::string field;
    std::string message;
};

std::int64_t dimension(const std::string& text, const std::string& field) {
    std::int64_t v = 0;
    const auto* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || p != end || v < 1 || v > max_dimension) {
        throw field_error{field, "must be an integer in [1, 2147483647] (got '" + text.substr(0, 40) + "')"};
    }
    return v;
}

precision_id precision_field(const std::string& text, const std::string& field) {
    try {
        return parse_precision(text);
    } catch (const std::invalid_argument& e) {
        throw field_error{field, e.what()};
    }
}

// Fields by column name -> one validated case.
batch_case make_case(const std::map<std::string, std::string>& f, std::size_t line) {
    auto get = [&](const char* name) -> std::optional<std::string> {
        const auto it = f.find(name);
        if (it == f.end() || it->second.empty()) {
            return std::nullopt;
        }
        return it->second;
    };
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    if (const auto shape = get("shape")) {
        std::string s = lower(*shape);
        std::ranges::replace(s, '*', 'x');
        const auto parts = split(s, 'x');
        if (parts.size() != 3) {
            throw field_error{"shape", "must be MxNxK (got '" + shape->substr(0, 40) + "')"};
        }
        m = dimension(parts[0], "shape");
        n = dimension(parts[1], "shape");
        k = dimension(parts[2], "shape");
    } else {
        for (const char* name : {"m", "n", "k"}) {
            if (!get(name)) {
                throw field_error{name, "missing (give m, n and k, or shape)"};
            }
        }
        m = dimension(*get("m"), "m");
        n = dimension(*get("n"), "n");
        k = dimension(*get("k"), "k");
    }
    const auto p = precision_field(get("precision").value_or("FP16"), "precision");
    std::optional<precision_id> a, b, out;
    if (const auto v = get("a_precision")) {
        a = precision_field(*v, "a_precision");
    }
    if (const auto v = get("b_precision")) {
        b = precision_field(*v, "b_precision");
    }
    if (const auto v = get("out_precision")) {
        out = precision_field(*v, "out_precision");
    }
    batch_case c;
    c.line = line;
    c.problem = make_problem(m, n, k, p, a, b, out);
    try {
        validate(c.problem);
    } catch (const std::invalid_argument& e) {
        throw field_error{"precision", e.what()};
    }
    c.label = get("label").value_or(c.problem.shape_label() + " " + c.problem.precision_label());
    return c;
}

void check_limit(std::size_t count, std::size_t limit) {
    if (count > limit) {
        throw batch_refused("cases", "the batch has " + std::to_string(count) + " cases; the limit is " +
                                         std::to_string(limit) + " per batch: split it into several batches");
    }
}

batch_input parse_csv(std::string_view text, std::size_t limit) {
    batch_input in;
    in.format = "csv";
    std::vector<std::string> header;
    std::size_t line_no = 0;
    std::size_t start = 0;
    std::vector<std::pair<std::size_t, std::vector<std::string>>> rows;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        ++line_no;
        auto line = trim(text.substr(start, end - start));
        start = end + 1;
        if (line.empty() || line.front() == '#') {
            continue;
        }
        auto fields = split(line, ',');
        if (header.empty() && rows.empty() && !fields.empty() && !fields[0].empty() &&
            !std::isdigit(static_cast<unsigned char>(fields[0][0]))) {
            for (auto& h : fields) {
                h = lower(h);
                if (!known_column(h)) {
                    throw batch_refused("header", "line " + std::to_string(line_no) + ": unknown column '" +
                                                      h.substr(0, 40) +
                                                      "'; columns: " + std::string(columns_text));
                }
            }
            header = fields;
            continue;
        }
        rows.emplace_back(line_no, std::move(fields));
    }
    check_limit(rows.size(), limit);
    for (auto& [line, fields] : rows) {
        std::vector<std::string> names = header;
        if (names.empty()) {
            const bool shaped = !fields.empty() && lower(fields[0]).find('x') != std::string::npos;
            names = shaped ? std::vector<std::string>{"shape", "precision", "label"}
                           : std::vector<std::string>{"m", "n", "k", "precision", "label"};
        }
        try {
            if (fields.size() > names.size()) {
                throw field_error{"columns", "has " + std::to_string(fields.size()) +
                                                 " fields; expected at most " + std::to_string(names.size())};
            }
            std::map<std::string, std::string> f;
            for (std::size_t i = 0; i < fields.size(); ++i) {
                f[names[i]] = fields[i];
            }
            in.cases.push_back(make_case(f, line));
        } catch (const field_error& e) {
            in.errors.push_back(
                {line, e.field, "line " + std::to_string(line) + ", field '" + e.field + "': " + e.message});
        }
    }
    return in;
}

batch_input parse_json(std::string_view text, std::size_t limit) {
    batch_input in;
    in.format = "json";
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw batch_refused("body", std::string("the batch is not valid JSON: ") + e.what());
    }
    const json* cases = &doc;
    if (doc.is_object()) {
        if (!doc.contains("cases")) {
            throw batch_refused("cases", "a JSON batch is an array of cases or an object with \"cases\"");
        }
        cases = &doc["cases"];
    }
    if (!cases->is_array()) {
        throw batch_refused("cases", "must be an array of {m, n, k, precision} objects");
    }
    check_limit(cases->size(), limit);
    std::size_t index = 0;
    for (const auto& c : *cases) {
        ++index;
        try {
            if (!c.is_object()) {
                throw field_error{"case", "must be an object with m, n, k and precision"};
            }
            std::map<std::string, std::string> f;
            for (const auto& [key, value] : c.items()) {
                if (!known_column(key)) {
                    throw field_error{key, "unknown; fields: " + std::string(columns_text)};
                }
                if (value.is_string()) {
                    f[key] = value.get<std::string>();
                } else if (value.is_number_integer() || value.is_number_unsigned()) {
                    f[key] = std::to_string(value.get<std::int64_t>());
                } else {
                    throw field_error{key, "must be a string or an integer (got " +
                                               value.dump().substr(0, 40) + ")"};
                }
            }
            in.cases.push_back(make_case(f, index));
        } catch (const field_error& e) {
            in.errors.push_back(
                {index, e.field,
                 "case " + std::to_string(index) + ", field '" + e.field + "': " + e.message});
        }
    }
    return in;
}

} // namespace

batch_input parse_batch(std::string_view text, std::size_t limit) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        throw batch_refused("cases",
                            "the batch is empty: give one case per line (m,n,k,precision) or a JSON array");
    }
    auto in = (text[first] == '[' || text[first] == '{') ? parse_json(text, limit) : parse_csv(text, limit);
    if (in.cases.empty() && in.errors.empty()) {
        throw batch_refused("cases", "the batch holds no case");
    }
    return in;
}

} // namespace roofline::workload
