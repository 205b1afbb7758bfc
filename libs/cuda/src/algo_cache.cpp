#include "algo_cache.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace roofline::cuda {
namespace {

using nlohmann::json;

std::string to_hex(std::uint64_t v) {
    char buf[19];
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::uint64_t from_hex(const std::string& s) {
    std::size_t used = 0;
    const auto v = std::stoull(s, &used, 16);
    if (used != s.size()) {
        throw std::invalid_argument("not a hex word: " + s);
    }
    return v;
}

} // namespace

algo_cache::algo_cache(std::filesystem::path file) : m_file(std::move(file)) {
    std::error_code ec;
    if (m_file.empty() || !std::filesystem::exists(m_file, ec)) {
        return;
    }
    try {
        std::ifstream in(m_file);
        if (!in) {
            m_warning = "cannot read " + m_file.string() + "; ignored";
            return;
        }
        const json doc = json::parse(in);
        if (doc.value("schema_version", 0) != schema_version) {
            m_warning =
                m_file.string() + " has another schema version; ignored and rewritten on the next store";
            return;
        }
        std::map<std::string, algo_record> entries;
        for (const auto& [key, e] : doc.at("entries").items()) {
            algo_record r;
            const auto& words = e.at("algo");
            if (!words.is_array() || words.size() != r.algo.size()) {
                throw std::invalid_argument("entry '" + key + "': algo must hold 8 words");
            }
            for (std::size_t i = 0; i < r.algo.size(); ++i) {
                r.algo[i] = from_hex(words[i].get<std::string>());
            }
            r.layout = e.at("layout").get<std::string>();
            r.description = e.value("description", "");
            r.median_s = e.value("median_s", 0.0);
            r.candidates = e.value("candidates", std::size_t{0});
            entries.emplace(key, std::move(r));
        }
        m_entries = std::move(entries);
    } catch (const std::exception& e) {
        m_entries.clear();
        m_warning = "algorithm cache " + m_file.string() + " is corrupt (" + e.what() +
                    "); ignored and rewritten on the next store";
    }
}

std::optional<algo_record> algo_cache::find(const std::string& key) const {
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) {
        return std::nullopt;
    }
    return it->second;
}

void algo_cache::erase(const std::string& key) {
    m_entries.erase(key);
}

bool algo_cache::store(const std::string& key, const algo_record& record, std::string& why) {
    m_entries[key] = record;
    if (m_file.empty()) {
        why = "no cache directory (the tool found neither $XDG_CACHE_HOME nor $HOME): the choice is kept for "
              "this "
              "process only";
        return false;
    }
    json entries = json::object();
    for (const auto& [k, r] : m_entries) {
        json words = json::array();
        for (const auto w : r.algo) {
            words.push_back(to_hex(w));
        }
        entries[k] = {{"algo", words},
                      {"layout", r.layout},
                      {"description", r.description},
                      {"median_s", r.median_s},
                      {"candidates", r.candidates}};
    }
    const json doc{
        {"schema_version", schema_version},
        {"what", "cuBLASLt algorithm chosen by timing, per device/driver/library/shape/precision/layout"},
        {"entries", entries}};
    std::error_code ec;
    std::filesystem::create_directories(m_file.parent_path(), ec);
    // A unique temporary per process, renamed over the file: readers never see half a file, and two workers
    // writing at once leave one complete file (the last one wins).
    auto tmp = m_file;
    tmp += ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << doc.dump(1) << '\n';
        if (!out) {
            why = "cannot write " + tmp.string();
            std::filesystem::remove(tmp, ec);
            return false;
        }
    }
    std::filesystem::rename(tmp, m_file, ec);
    if (ec) {
        why = "cannot rename " + tmp.string() + " to " + m_file.string() + ": " + ec.message();
        std::filesystem::remove(tmp, ec);
        return false;
    }
    m_warning.clear();
    return true;
}

} // namespace roofline::cuda
