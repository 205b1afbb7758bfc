#include "store_common.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace roofline::store {

namespace detail {

const std::vector<table_shape>& expected_schema() {
    static const std::vector<table_shape> shape = {
        {"runs",
         {"id",
          "created_at",
          "m",
          "n",
          "k",
          "precisions",
          "hardware_key",
          "backend",
          "device_name",
          "device_uuid",
          "driver_version",
          "sm_clock_mhz",
          "tool_version",
          "schema_version",
          "point_count",
          "answer",
          "hardware_id",
          "host",
          "gpu_index",
          "pci_bus_id",
          "gpu_serial",
          "job",
          "job_task"}},
        {"run_points", {"run_id", "idx", "precision", "source", "disposition", "time_s"}},
        {"hardware_snapshots", {"id", "hardware_key", "roofs"}},
    };
    return shape;
}

std::string schema_problem(const std::string& location,
                           const std::vector<std::pair<std::string, std::vector<std::string>>>& found) {
    for (const auto& want : expected_schema()) {
        const auto t =
            std::find_if(found.begin(), found.end(), [&](const auto& f) { return f.first == want.table; });
        std::string missing;
        if (t == found.end() || t->second.empty()) {
            missing = "table " + std::string(want.table);
        } else {
            for (const char* c : want.columns) {
                if (std::find(t->second.begin(), t->second.end(), c) == t->second.end()) {
                    missing = "column " + std::string(want.table) + "." + c;
                    break;
                }
            }
        }
        if (!missing.empty()) {
            return location + " says schema version " + std::to_string(current_schema_version) +
                   " but has no " + missing +
                   ": it was damaged or not written by roofline; restore it from a backup or use "
                   "another --db";
        }
    }
    return {};
}

std::string unknown_version_message(const std::string& location, long long version) {
    if (version < 0) {
        return location + " has schema version " + std::to_string(version) +
               ", which no roofline ever wrote (damaged, or not a roofline store); use another --db";
    }
    return location + " has schema version " + std::to_string(version) + ", newer than this tool's " +
           std::to_string(current_schema_version) + "; use a newer roofline or another --db";
}

std::string full_answer(std::string answer, const std::string& roofs) {
    if (roofs.empty()) {
        return answer; // version 1 runs keep theirs inline
    }
    auto doc = nlohmann::json::parse(answer, nullptr, false);
    auto hardware = nlohmann::json::parse(roofs, nullptr, false);
    if (!doc.is_object() || hardware.is_discarded()) {
        return answer; // not ours to mend: the reader reports a corrupt run
    }
    doc["hardware"] = std::move(hardware);
    return doc.dump();
}

void check_answer(std::int64_t id, const std::string& answer) {
    // accept() parses without building a document: a few microseconds per kilobyte.
    if (answer.empty() || answer.front() != '{' || !nlohmann::json::accept(answer)) {
        throw store_error(
            "get(" + std::to_string(id) + ")",
            "run " + std::to_string(id) +
                " is stored with an answer that is not a JSON object (a damaged row); delete it "
                "with DELETE /api/runs/" +
                std::to_string(id) + " or restore the database");
    }
}

std::vector<std::string> parse_list(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    std::vector<std::string> out;
    if (j.is_array()) {
        for (const auto& e : j) {
            if (e.is_string()) {
                out.push_back(e.get<std::string>());
            }
        }
    }
    return out;
}

std::string full_message(std::uint64_t used, std::uint64_t limit) {
    return "the run database holds " + std::to_string(used) + " bytes, at its limit of " +
           std::to_string(limit) +
           " (--max-db-bytes): nothing more is stored; delete old runs with `roofline runs prune "
           "--older-than "
           "30d --db ...` or raise --max-db-bytes";
}

} // namespace detail

std::string utc_timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    return buf;
}

bool is_postgresql_url(const std::string& location) {
    return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string redact_url(const std::string& url) {
    // scheme://user:password@host/...: the password is what lies between the first ':' after the scheme and
    // '@'.
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return url;
    }
    const auto at = url.find('@', scheme_end + 3);
    const auto slash = url.find('/', scheme_end + 3);
    if (at == std::string::npos || (slash != std::string::npos && slash < at)) {
        return url;
    }
    const auto colon = url.find(':', scheme_end + 3);
    if (colon == std::string::npos || colon > at) {
        return url;
    }
    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string local_host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) {
        return "unknown";
    }
    return buf;
}

std::unique_ptr<run_store> run_store::open(const std::string& location, const store_options& options) {
    if (is_postgresql_url(location)) {
        return open_postgresql_store(location, options);
    }
    return open_sqlite_store(location, options);
}

} // namespace roofline::store
