// libFuzzer target for the request parsing behind POST /api/analyze and GET /api/runs, through to the bytes
// the server sends.
//
// Input: the request target (path and query) up to the first newline, the body after it. The property: the
// parsers return a valid request or throw api_error with a 4xx status; any other exception, a crash or a
// sanitizer report is a bug. Accepted requests must satisfy the bounds the handlers rely on. Every response
// is serialised as the server serialises it, with nlohmann's strict dump (which throws on invalid UTF-8, the
// 500s of issue 18): an error body must parse back as JSON, and an accepted request's predicted points and
// echoed strings must dump.
#include "roofline/core/hardware.hpp"
#include "roofline/core/report.hpp"
#include "roofline/server/request.hpp"

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

using namespace roofline;
using namespace roofline::server;

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// The error body the server sends: valid JSON whose strict re-serialisation does not throw.
void check_status(const api_error& e) {
    check(e.status() >= 400 && e.status() < 500);
    const auto body = error_body(e);
    const auto j = nlohmann::json::parse(body, nullptr, false);
    check(!j.is_discarded() && j.contains("error") && j["error"]["message"].is_string());
    (void)j.dump(); // throws (an uncaught exception: a crash the fuzzer reports) on invalid UTF-8
}

const hardware_registry& registry() {
    static const auto r = hardware_registry::builtin();
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    const auto target = input.substr(0, nl);
    const auto body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

    query_params query;
    try {
        query = parse_query_string(target);
        check(query.size() <= max_query_params);
        for (const auto& [k, v] : query) {
            check(!k.empty() && k.size() <= max_query_key_bytes && v.size() <= max_query_value_bytes);
        }
    } catch (const api_error& e) {
        check_status(e);
        return 0;
    }
    try {
        const auto r = parse_analyze_request(query, body);
        check(!r.precisions.empty() && r.precisions.size() <= 16);
        check(r.problems.size() == r.precisions.size());
        check(r.m >= 1 && r.m <= max_dimension && r.n >= 1 && r.n <= max_dimension && r.k >= 1 &&
              r.k <= max_dimension);
        check(r.iterations >= 1 && r.iterations <= max_iterations);
        // The accepted request's answer parts, dumped strictly as the handler builds them: an unknown
        // hardware key is a 422 quoting it, a known one is echoed as the registry spells it.
        const auto* hw = r.hardware_key.empty() ? registry().find("b10") : registry().find(r.hardware_key);
        if (hw == nullptr) {
            check_status(invalid_value("hardware_key", "unknown hardware '" + r.hardware_key.substr(0, 64) +
                                                           "'; valid: " + registry().valid_keys()));
            return 0;
        }
        nlohmann::json echo{{"hardware_key", hw->key}, {"points", nlohmann::json::array()}};
        for (const auto& p : r.problems) {
            validate(p); // the handler relies on it: must not throw for an accepted request
            (void)compute_traffic(p);
            echo["points"].push_back(to_json(predict(*hw, p)));
        }
        (void)echo.dump();
    } catch (const api_error& e) {
        check_status(e);
    }
    try {
        const auto q = parse_runs_query(query);
        check(q.limit >= 1 && q.limit <= max_runs_page);
    } catch (const api_error& e) {
        check_status(e);
    }
    try {
        (void)parse_run_id(target);
    } catch (const api_error& e) {
        check_status(e);
    }
    return 0;
}
