#include "roofline/core/precision.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace roofline {
// Generated from data/precisions.json by cmake/embed_files.cmake.
const std::vector<std::pair<std::string, std::string>>& builtin_precision_files();

namespace {

// The catalogue is data/precisions.json, embedded at build time (the web app reads the same file). Row i is
// precision_id i: the enum names the rows the code refers to, the file holds everything about them.
struct catalogue_data {
    std::deque<std::string> text; // owns what the string_views of the rows point at
    std::vector<std::vector<std::string_view>> aliases;
    std::vector<precision_info> rows;
    std::vector<precision_id> sweep;
};

std::string_view keep(catalogue_data& c, std::string s) {
    return c.text.emplace_back(std::move(s));
}

[[noreturn]] void broken(const std::string& why) {
    // The file is part of the build and checked against schemas/precisions.schema.json by the tests; a bad
    // one is a broken build, not a user error.
    std::fprintf(stderr, "roofline: data/precisions.json (embedded): %s\n", why.c_str());
    std::abort();
}

catalogue_data load_catalogue() {
    using json = nlohmann::json;
    const auto& files = builtin_precision_files();
    if (files.empty()) {
        broken("missing");
    }
    const auto doc = json::parse(files.front().second, nullptr, false);
    if (!doc.is_object() || !doc.contains("precisions") || !doc["precisions"].is_array()) {
        broken("not a catalogue");
    }
    const auto& rows = doc["precisions"];
    if (rows.size() != precision_count) {
        broken("has " + std::to_string(rows.size()) + " rows; precision_id has " +
               std::to_string(precision_count));
    }
    catalogue_data c;
    try {
        for (const auto& r : rows) {
            auto& list = c.aliases.emplace_back();
            for (const auto& a : r.at("aliases")) {
                list.push_back(keep(c, a.get<std::string>()));
            }
        }
        const auto find = [&](const std::string& name) {
            for (std::size_t i = 0; i < rows.size(); ++i) {
                if (rows[i].at("name").get<std::string>() == name) {
                    return static_cast<precision_id>(i);
                }
            }
            broken("no row named '" + name + "'");
        };
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            precision_info p{};
            p.id = static_cast<precision_id>(i);
            p.name = keep(c, r.at("name").get<std::string>());
            p.display_name = keep(c, r.at("display_name").get<std::string>());
            p.storage_bits = r.at("storage_bits").get<unsigned>();
            p.scale_block = r.at("scale_block").get<unsigned>();
            p.scale_bits = r.at("scale_bits").get<unsigned>();
            p.scale_format = keep(c, r.at("scale_format").get<std::string>());
            p.kind = r.at("integer").get<bool>() ? number_kind::integer : number_kind::floating;
            p.default_output = find(r.at("default_output").get<std::string>());
            p.gemm_input = r.at("gemm_input").get<bool>();
            p.colour = keep(c, r.at("colour").get<std::string>());
            p.summary = keep(c, r.at("summary").get<std::string>());
            p.weight_only = r.value("weight_only", false);
            p.aliases = c.aliases[i];
            c.rows.push_back(p);
        }
        for (const auto& name : doc.at("default_sweep")) {
            c.sweep.push_back(find(name.get<std::string>()));
        }
    } catch (const json::exception& e) {
        broken(e.what());
    }
    return c;
}

const catalogue_data& catalogue_rows() {
    static const catalogue_data c = load_catalogue();
    return c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

std::span<const precision_info> all_precisions() noexcept {
    return catalogue_rows().rows;
}

const precision_info& info(precision_id id) noexcept {
    return catalogue_rows().rows[static_cast<std::size_t>(id)];
}

std::string_view to_string(precision_id id) noexcept {
    return info(id).name;
}

std::string valid_precision_names(bool gemm_inputs_only) {
    std::string out;
    for (const auto& p : all_precisions()) {
        if (gemm_inputs_only && !p.gemm_input) {
            continue;
        }
        if (!out.empty()) {
            out += ", ";
        }
        out += p.name;
    }
    return out;
}

namespace {

const precision_info* find_precision(std::string_view wanted) {
    for (const auto& p : all_precisions()) {
        if (iequals(wanted, p.name) ||
            std::ranges::any_of(p.aliases, [&](auto a) { return iequals(wanted, a); })) {
            return &p;
        }
    }
    return nullptr;
}

std::string unknown_precision(std::string_view wanted, bool gemm_inputs_only) {
    return "unknown precision '" + std::string(wanted) +
           "'; valid: " + valid_precision_names(gemm_inputs_only) +
           " (case-insensitive; aliases such as fp8, e5m2, half, bfloat16 work too)";
}

} // namespace

precision_id parse_precision(std::string_view text) {
    const auto wanted = trim(text);
    if (const auto* p = find_precision(wanted)) {
        return p->id;
    }
    throw std::invalid_argument(unknown_precision(wanted, false));
}

std::vector<precision_id> parse_precision_list(std::string_view text) {
    std::vector<precision_id> out;
    if (iequals(trim(text), "all")) {
        for (const auto& p : all_precisions()) {
            if (p.gemm_input) {
                out.push_back(p.id);
            }
        }
        return out;
    }
    // A list names the inputs to analyze: it offers (and takes) GEMM inputs only, never an accumulator.
    while (true) {
        const auto comma = text.find(',');
        const auto piece = trim(text.substr(0, comma));
        if (piece.empty()) {
            throw std::invalid_argument("empty precision in list; valid: " + valid_precision_names(true) +
                                        " or all");
        }
        const auto* p = find_precision(piece);
        if (p == nullptr) {
            throw std::invalid_argument(unknown_precision(piece, true));
        }
        if (!p->gemm_input) {
            throw std::invalid_argument(std::string(p->name) +
                                        " is an accumulator and output format, not a GEMM input; valid: " +
                                        valid_precision_names(true));
        }
        if (std::ranges::find(out, p->id) == out.end()) {
            out.push_back(p->id);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    return out;
}

std::vector<precision_id> default_sweep() {
    return catalogue_rows().sweep;
}

} // namespace roofline
