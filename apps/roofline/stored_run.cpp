#include "stored_run.hpp"

#include "cli_common.hpp"
#include "roofline/core/report.hpp"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#ifdef ROOFLINE_HAVE_STORE
#include "roofline/store/run_store.hpp"
#endif

namespace roofline::cli {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
}

std::optional<std::int64_t> integer(const std::string& s) {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    return std::stoll(s);
}

} // namespace

std::optional<std::int64_t> gpu_index_from_env() {
    if (const auto v = integer(env("ROOFLINE_GPU_INDEX"))) {
        return v;
    }
    return integer(env("CUDA_VISIBLE_DEVICES"));
}

std::string db_from_option(const std::string& option) {
    return option.empty() ? env("ROOFLINE_DB") : option;
}

std::int64_t store_analysis(const std::string& db, const hardware_entry& hw,
                            const std::vector<analysis_point>& points, const run_origin& origin) {
#ifdef ROOFLINE_HAVE_STORE
    // The server's answer shape (measured and predicted apart), so /api/runs/{id}, the CSV export and the web
    // app read a CLI run like any other.
    auto doc = analysis_document(hw, points);
    nlohmann::json measured = nlohmann::json::array();
    nlohmann::json predicted = nlohmann::json::array();
    for (auto& p : doc["points"]) {
        (p.value("source", "") == "measured" ? measured : predicted).push_back(std::move(p));
    }
    doc.erase("points");
    doc["backend"] = origin.device ? "gpu" : "prediction-only";
    doc["measured"] = std::move(measured);
    doc["predicted"] = std::move(predicted);
    store::new_run run;
    if (!points.empty()) {
        run.m = points.front().problem.m;
        run.n = points.front().problem.n;
        run.k = points.front().problem.k;
    }
    for (const auto& p : points) {
        const auto label = p.problem.precision_label();
        if (std::find(run.precisions.begin(), run.precisions.end(), label) == run.precisions.end()) {
            run.precisions.push_back(label);
        }
        run.points.push_back({p.problem.precision_label(), std::string(to_string(p.source)),
                              std::string(to_string(p.status)),
                              p.time_s > 0 ? std::optional<double>(p.time_s) : std::nullopt});
    }
    run.hardware_key = hw.key;
    run.backend = origin.device ? "gpu" : "prediction-only";
    if (origin.device) {
        run.device_name = origin.device->name;
        run.device_uuid = origin.device->uuid;
        run.pci_bus_id = origin.device->pci_bus_id;
        run.driver_version = origin.device->driver_version;
        run.gpu_serial = origin.device->serial;
    }
    run.gpu_index = origin.gpu_index ? origin.gpu_index : origin.device ? origin.device->index : std::nullopt;
    run.tool_version = std::string(tool_version());
    run.schema_version = report_schema_version;
    run.job = env("SLURM_ARRAY_JOB_ID").empty() ? env("SLURM_JOB_ID") : env("SLURM_ARRAY_JOB_ID");
    run.job_task = integer(env("SLURM_ARRAY_TASK_ID"));
    run.answer_json = doc.dump();
    auto s = store::run_store::open(db);
    return s->insert(std::move(run));
#else
    (void)db, (void)hw, (void)points, (void)origin;
    throw usage_error("--db: this build has no run store (libsqlite3-dev and libpq-dev were missing)");
#endif
}

} // namespace roofline::cli
