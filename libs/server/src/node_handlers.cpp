// GET /api/gpus and POST /api/node/check: the GPUs of this node (one lane each, `serve --gpus`) and the node
// check over them (roofline/core/node_check.hpp).
#include "api.hpp"
#include "log.hpp"
#include "roofline/core/analysis.hpp"
#include "roofline/core/json.hpp"
#include "roofline/core/report.hpp"
#include "roofline/server/node_check.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace roofline::server {
namespace {

using json = nlohmann::json;

std::string host_name() {
    char buf[256] = {};
    return gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string();
}

json lane_json(const gpu_lane_status& l) {
    return {{"lane", l.lane},
            {"index", l.gpu_index ? json(*l.gpu_index) : json(nullptr)},
            {"state", l.state},
            {"device", l.device ? to_json(*l.device) : json(nullptr)},
            {"last_error", l.last_error},
            {"faults", l.faults},
            {"restarts", l.restarts}};
}

} // namespace

http_response api::gpus(const http_request& req) {
    reject_unknown_params(req.query, {});
    json lanes = json::array();
    if (m_queue) {
        for (const auto& l : m_queue->lanes()) {
            lanes.push_back(lane_json(l));
        }
    }
    http_response r;
    r.body = json{
        {"host", host_name()},
        {"backend", gpu_ready() ? "gpu" : "prediction-only"},
        {"backend_reason", gpu_ready() ? "" : m_backend_reason},
        {"gpus",
         lanes}}.dump();
    return r;
}

http_response api::node_check(const http_request& req) {
    // The body is an analyze request's (M, N, K, precisions, iterations, pacing, telemetry_seconds, mode):
    // the node check runs those GEMMs on every GPU.
    auto parsed = parse_analyze_request(req.query, req.body);
    if (!gpu_ready()) {
        throw api_error(503, "no_gpu",
                        "the node check measures on GPUs and this server has none ready: " +
                            m_backend_reason + " (start `roofline serve --gpus all` on a GPU node)");
    }
    if (parsed.predict_only) {
        throw invalid_value("predict_only", "the node check measures; predict_only must be false");
    }
    node_check_request r;
    r.problems = parsed.problems;
    r.options.mode = parsed.mode;
    r.options.pacing = parsed.pacing;
    r.options.telemetry_window_s = parsed.telemetry_seconds;
    r.options.samples = parsed.iterations;
    r.options.min_samples = std::min<std::size_t>(r.options.min_samples, parsed.iterations);
    const auto plan =
        plan_analysis(context(), {parsed.hardware_key, parsed.roof, parsed.problems, parsed.pacing});
    const auto hw = plan.hardware;
    const auto report = run_node_check(
        *m_queue, r, [hw](analysis_point& p) { annotate(*hw, p); }, nvml_link_reader());
    auto doc = to_json(report);
    doc["schema_version"] = report_schema_version;
    doc["tool_version"] = tool_version();
    doc["host"] = host_name();
    doc["hardware_key"] = hw->key;
    json shapes = json::array();
    for (const auto& p : r.problems) {
        shapes.push_back(p.precision_label());
    }
    doc["request"] = {{"M", parsed.m},
                      {"N", parsed.n},
                      {"K", parsed.k},
                      {"precisions", shapes},
                      {"iterations", parsed.iterations},
                      {"pacing", to_string(parsed.pacing)}};
    log_line("node check: " + std::to_string(report.gpus.size()) + " GPUs, " +
             std::to_string(report.outliers.size()) + " outliers");
    http_response resp;
    resp.body = doc.dump();
    return resp;
}

} // namespace roofline::server
