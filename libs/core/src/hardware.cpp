#include "roofline/core/hardware.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace roofline {
namespace {

using json = nlohmann::json;

constexpr int schema_version = 1;

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

class reader {
  public:
    explicit reader(std::string file) : m_file(std::move(file)) {}

    [[noreturn]] void fail(const std::string& field, const std::string& what) const {
        throw registry_error(m_file, field, what);
    }

    const json& member(const json& obj, const std::string& name, const std::string& path) const {
        const auto it = obj.find(name);
        if (it == obj.end()) {
            fail(path, "missing");
        }
        return *it;
    }

    std::string string(const json& obj, const std::string& name, const std::string& path,
                       bool required = true) const {
        const auto it = obj.find(name);
        if (it == obj.end()) {
            if (required) {
                fail(path, "missing");
            }
            return {};
        }
        if (!it->is_string()) {
            fail(path, "must be a string");
        }
        auto s = it->get<std::string>();
        if (required && s.empty()) {
            fail(path, "must not be empty");
        }
        return s;
    }

    // {"value": number|null, "source": "...", "note": "..."}; a null value needs a note saying why.
    sourced_value figure(const json& obj, const std::string& name) const {
        const auto& f = member(obj, name, name);
        if (!f.is_object()) {
            fail(name, "must be an object {value, source[, note]}");
        }
        sourced_value v;
        const auto& val = member(f, "value", name + ".value");
        if (val.is_number()) {
            v.value = val.get<double>();
            if (!(*v.value > 0.0)) {
                fail(name + ".value", "must be positive");
            }
        } else if (!val.is_null()) {
            fail(name + ".value", "must be a number, or null when unknown");
        }
        v.source = string(f, "source", name + ".source");
        v.note = string(f, "note", name + ".note", false);
        if (!v.value && v.note.empty()) {
            fail(name + ".note", "an unknown (null) figure needs a note saying why it is unknown");
        }
        return v;
    }

    precision_peak peak(const json& peaks, const precision_info& p) const {
        const std::string path = "peaks." + std::string(p.name);
        const auto& e = member(peaks, std::string(p.name), path);
        if (!e.is_object()) {
            fail(path, "must be an object");
        }
        precision_peak out;
        out.precision = p.id;
        out.supported = true;
        if (const auto it = e.find("supported"); it != e.end()) {
            if (!it->is_boolean()) {
                fail(path + ".supported", "must be true or false");
            }
            out.supported = it->get<bool>();
        }
        out.note = string(e, "note", path + ".note", false);
        if (!out.supported) {
            out.reason = string(e, "reason", path + ".reason");
            out.source = string(e, "source", path + ".source", false);
            if (e.contains("tflops")) {
                fail(path + ".tflops", "an unsupported precision has no peak");
            }
            return out;
        }
        const auto& t = member(e, "tflops", path + ".tflops");
        if (t.is_number()) {
            const double tf = t.get<double>();
            if (!(tf > 0.0)) {
                fail(path + ".tflops", "must be positive");
            }
            out.flops_per_s = tf * 1e12;
        } else if (!t.is_null()) {
            fail(path + ".tflops", "must be a number (dense TFLOP/s), or null when not published");
        }
        out.source = string(e, "source", path + ".source");
        if (const auto it = e.find("halved_from_sparse"); it != e.end()) {
            if (!it->is_boolean()) {
                fail(path + ".halved_from_sparse", "must be true or false");
            }
            out.halved_from_sparse = it->get<bool>();
        }
        out.derivation = string(e, "derivation", path + ".derivation", false);
        if (out.halved_from_sparse && out.derivation.empty()) {
            fail(path + ".derivation",
                 "a figure halved from a sparse datasheet number must say so (derivation)");
        }
        if (!out.flops_per_s && out.note.empty()) {
            fail(path + ".note", "a supported precision with unknown (null) peak needs a note saying why");
        }
        return out;
    }

  private:
    std::string m_file;
};

} // namespace

const precision_peak& hardware_entry::peak(precision_id id) const {
    const auto it = std::ranges::find(peaks, id, &precision_peak::precision);
    if (it == peaks.end()) {
        throw std::invalid_argument("precision " + std::string(to_string(id)) + " is not a GEMM input");
    }
    return *it;
}

bool hardware_entry::matches(std::string_view key_or_alias) const {
    const auto wanted = lower(key_or_alias);
    return lower(key) == wanted ||
           std::ranges::any_of(aliases, [&](const auto& a) { return lower(a) == wanted; });
}

hardware_entry parse_hardware_entry(std::string_view json_text, const std::string& file_name) {
    const reader r(file_name);
    json doc;
    try {
        doc = json::parse(json_text);
    } catch (const json::parse_error& e) {
        r.fail("(document)", std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) {
        r.fail("(document)", "must be a JSON object");
    }
    const auto& version = r.member(doc, "schema_version", "schema_version");
    if (!version.is_number_integer() || version.get<int>() != schema_version) {
        r.fail("schema_version", "must be " + std::to_string(schema_version));
    }
    hardware_entry h;
    h.file = file_name;
    h.key = r.string(doc, "key", "key");
    if (h.key != lower(h.key) || h.key.find(' ') != std::string::npos) {
        r.fail("key", "must be lower case without spaces (got '" + h.key + "')");
    }
    h.name = r.string(doc, "name", "name");
    h.vendor = r.string(doc, "vendor", "vendor");
    h.architecture = r.string(doc, "architecture", "architecture");
    h.compute_capability = r.string(doc, "compute_capability", "compute_capability");
    if (h.compute_capability.find('.') == std::string::npos) {
        r.fail("compute_capability", "must look like '9.0' (got '" + h.compute_capability + "')");
    }
    h.memory_type = r.string(doc, "memory_type", "memory_type");
    if (const auto it = doc.find("aliases"); it != doc.end()) {
        if (!it->is_array()) {
            r.fail("aliases", "must be an array of strings");
        }
        for (const auto& a : *it) {
            if (!a.is_string() || a.get<std::string>().empty()) {
                r.fail("aliases", "must be an array of non-empty strings");
            }
            h.aliases.push_back(a.get<std::string>());
        }
    }
    if (const auto it = doc.find("cuda_device_names"); it != doc.end()) {
        if (!it->is_array()) {
            r.fail("cuda_device_names", "must be an array of strings");
        }
        for (const auto& a : *it) {
            if (!a.is_string() || a.get<std::string>().empty()) {
                r.fail("cuda_device_names", "must be an array of non-empty strings");
            }
            h.cuda_device_names.push_back(a.get<std::string>());
        }
    }
    h.sm_count = r.figure(doc, "sm_count");
    h.boost_clock_hz = r.figure(doc, "boost_clock_mhz");
    if (h.boost_clock_hz.value) {
        *h.boost_clock_hz.value *= 1e6;
    }
    h.memory_bytes = r.figure(doc, "memory_bytes");
    h.memory_bandwidth_bytes_per_s = r.figure(doc, "memory_bandwidth_bytes_per_s");
    if (!h.memory_bandwidth_bytes_per_s.value) {
        // Without bandwidth there is no memory roof at all: the entry would be useless.
        r.fail("memory_bandwidth_bytes_per_s.value", "is required (the memory roof)");
    }
    h.l2_bytes = r.figure(doc, "l2_bytes");
    h.tdp_w = r.figure(doc, "tdp_w");
    const auto& peaks = r.member(doc, "peaks", "peaks");
    if (!peaks.is_object()) {
        r.fail("peaks", "must be an object keyed by precision name");
    }
    for (const auto& [name, value] : peaks.items()) {
        const auto& key = name; // clang before 16 cannot capture a structured binding in a lambda
        const auto known = std::ranges::any_of(all_precisions(),
                                               [&](const auto& p) { return p.gemm_input && p.name == key; });
        if (!known) {
            r.fail("peaks." + name, "unknown precision; valid: " + valid_precision_names(true));
        }
    }
    for (const auto& p : all_precisions()) {
        if (!p.gemm_input) {
            continue;
        }
        if (p.weight_only && !peaks.contains(std::string(p.name))) {
            // W4A16 upcasts its weights in registers and multiplies on the activations' tensor cores: its
            // compute roof is that format's (a file may still give its own figure).
            auto derived = r.peak(peaks, info(p.default_output));
            derived.precision = p.id;
            derived.derivation = std::string(info(p.default_output).name) +
                                 "'s peak: the weights are upcast in registers, the tensor cores run " +
                                 std::string(info(p.default_output).name);
            h.peaks.push_back(std::move(derived));
            continue;
        }
        h.peaks.push_back(r.peak(peaks, p));
    }
    return h;
}

hardware_registry
hardware_registry::from_texts(const std::vector<std::pair<std::string, std::string>>& files) {
    hardware_registry reg;
    std::set<std::string> names;
    for (const auto& [file, text] : files) {
        auto entry = parse_hardware_entry(text, file);
        std::vector<std::string> all_names{lower(entry.key)};
        for (const auto& a : entry.aliases) {
            all_names.push_back(lower(a));
        }
        for (const auto& n : all_names) {
            if (!names.insert(n).second) {
                throw registry_error(file, n == lower(entry.key) ? "key" : "aliases",
                                     "'" + n + "' is already used by another entry");
            }
        }
        reg.m_entries.push_back(std::move(entry));
    }
    return reg;
}

hardware_registry hardware_registry::load_directory(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) {
        throw registry_error(dir.string(), "(directory)", "not a directory");
    }
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.is_regular_file() && e.path().extension() == ".json") {
            paths.push_back(e.path());
        }
    }
    std::ranges::sort(paths);
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& p : paths) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in && !in.eof()) {
            throw registry_error(p.string(), "(document)", "cannot be read");
        }
        files.emplace_back(p.string(), text.str());
    }
    if (files.empty()) {
        throw registry_error(dir.string(), "(directory)", "holds no *.json hardware files");
    }
    return from_texts(files);
}

hardware_registry hardware_registry::builtin() {
    return from_texts(builtin_hardware_files());
}

const hardware_entry* hardware_registry::find(std::string_view key_or_alias) const {
    const auto it = std::ranges::find_if(m_entries, [&](const auto& e) { return e.matches(key_or_alias); });
    return it == m_entries.end() ? nullptr : &*it;
}

const hardware_entry* hardware_registry::match_device(std::string_view device_name,
                                                      std::string_view compute_capability,
                                                      int sm_count) const {
    // An exact CUDA name first ("Orin"), told apart by the SM count when the device gives one.
    for (const auto& e : m_entries) {
        if (e.compute_capability != compute_capability) {
            continue;
        }
        const bool named = std::ranges::any_of(e.cuda_device_names,
                                               [&](const auto& n) { return lower(n) == lower(device_name); });
        const bool sms_agree =
            sm_count <= 0 || !e.sm_count.value || static_cast<int>(*e.sm_count.value) == sm_count;
        if (named && sms_agree) {
            return &e;
        }
    }
    const auto tokens = [](std::string_view s) {
        std::vector<std::string> out;
        std::string cur;
        for (const char c : lower(s)) {
            if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
                cur += c;
            } else if (!cur.empty()) {
                out.push_back(std::move(cur));
                cur.clear();
            }
        }
        if (!cur.empty()) {
            out.push_back(cur);
        }
        return out;
    };
    const auto name_tokens = tokens(device_name);
    const hardware_entry* best = nullptr;
    std::size_t best_score = 0;
    for (const auto& e : m_entries) {
        if (e.compute_capability != compute_capability) {
            continue;
        }
        std::vector<std::string> candidates{e.key};
        candidates.insert(candidates.end(), e.aliases.begin(), e.aliases.end());
        for (const auto& c : candidates) {
            const auto want = tokens(c);
            const bool all = std::ranges::all_of(
                want, [&](const auto& t) { return std::ranges::find(name_tokens, t) != name_tokens.end(); });
            if (all && want.size() > best_score) {
                best = &e;
                best_score = want.size();
            }
        }
    }
    return best;
}

std::string hardware_registry::valid_keys() const {
    std::string out;
    for (const auto& e : m_entries) {
        out += (out.empty() ? "" : ", ") + e.key;
    }
    return out;
}

const hardware_entry& hardware_registry::at(std::string_view key_or_alias, std::string_view field) const {
    if (const auto* e = find(key_or_alias)) {
        return *e;
    }
    throw std::invalid_argument(std::string(field) + ": unknown hardware '" + std::string(key_or_alias) +
                                "'; valid keys: " + valid_keys());
}

} // namespace roofline
