#include "api.hpp"

#include "compat_handlers.hpp"
#include "gpu_lanes.hpp"
#include "log.hpp"
#include "roofline/core/analysis.hpp"
#include "roofline/core/json.hpp"
#include "roofline/core/measured_profile.hpp"
#include "roofline/core/report.hpp"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

namespace roofline::server {
namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

// An SSE client that vanished is noticed by a write (the first one after the close draws the peer's RST, the
// next fails): a comment every half second bounds how long a cancelled client keeps the queue busy with
// precisions it no longer wants to about a second.
constexpr auto heartbeat_interval = std::chrono::milliseconds(500);

http_response json_response(std::string body, int status = 200) {
    http_response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

json request_echo(const analyze_request& r, const std::string& hardware_key) {
    json precisions = json::array();
    for (const auto p : r.precisions) {
        precisions.push_back(to_string(p));
    }
    const auto name = [](const std::optional<precision_id>& p) {
        return p ? json(std::string(to_string(*p))) : json(nullptr);
    };
    return {{"M", r.m},
            {"N", r.n},
            {"K", r.k},
            {"precisions", precisions},
            {"a_precision", name(r.a_precision)},
            {"b_precision", name(r.b_precision)},
            {"out_precision", name(r.out_precision)},
            {"beta", r.beta},
            {"iterations", r.iterations},
            {"mode", to_string(r.mode)},
            {"pacing", to_string(r.pacing)},
            {"telemetry_seconds", r.telemetry_seconds},
            {"roof", to_string(r.roof)},
            {"predict_only", r.predict_only},
            {"run_all_precisions", r.run_all_precisions},
            {"hardware_key", hardware_key}};
}

// Matches "/api/runs/{id}" against "/api/runs/12"; fills args.
bool match_route(std::string_view pattern, std::string_view path, std::vector<std::string>& args) {
    args.clear();
    std::size_t pi = 0;
    std::size_t qi = 0;
    while (pi < pattern.size() && qi < path.size()) {
        if (pattern[pi] == '{') {
            const auto close = pattern.find('}', pi);
            const auto seg_end = std::min(path.find('/', qi), path.size());
            if (seg_end == qi) {
                return false; // empty segment
            }
            args.emplace_back(path.substr(qi, seg_end - qi));
            pi = close + 1;
            qi = seg_end;
        } else if (pattern[pi] == path[qi]) {
            ++pi;
            ++qi;
        } else {
            return false;
        }
    }
    return pi == pattern.size() && qi == path.size();
}

const char* no_web_app_page =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>roofline</title></head><body>"
    "<h1>roofline server</h1><p>The web app is not built, so there is nothing to show here yet. Build it "
    "with "
    "<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> (or <code>scripts/build.sh</code>) and "
    "restart, "
    "or pass <code>--web-root DIR</code>.</p><p>The API answers at <a href=\"/api/health\">/api/health</a>; "
    "its "
    "description is at <a href=\"/api/openapi.json\">/api/openapi.json</a>.</p></body></html>";

} // namespace

http_response error_response(const api_error& e) {
    http_response r = json_response(error_body(e), e.status());
    if (e.retry_after_s()) {
        r.headers.emplace_back("Retry-After", std::to_string(*e.retry_after_s()));
    }
    return r;
}

const std::vector<api::route>& api::routes() {
    static const std::vector<route> table{
        {"GET", "/api/health", &api::health, false},
        {"GET", "/api/precisions", &api::precisions, false},
        {"GET", "/api/hardware", &api::hardware_list, false},
        {"GET", "/api/hardware/{key}", &api::hardware_one, false},
        {"POST", "/api/analyze", &api::analyze},
        {"POST", "/api/analyze/stream", &api::analyze_stream},
        {"GET", "/api/telemetry", &api::telemetry},
        {"GET", "/api/telemetry/stream", &api::telemetry_stream},
        {"GET", "/api/runs", &api::runs_list},
        {"GET", "/api/runs.csv", &api::runs_csv},
        {"GET", "/api/runs/{id}", &api::run_get},
        {"DELETE", "/api/runs/{id}", &api::run_delete},
        {"GET", "/api/openapi.json", &api::openapi, false},
        {"GET", "/api/presets", &api::presets},            // workload_handlers.cpp
        {"POST", "/api/model", &api::model},               // workload_handlers.cpp
        {"POST", "/api/spot", &api::spot},                 // workload_handlers.cpp
        {"POST", "/api/batch", &api::batch},               // workload_handlers.cpp
        {"POST", "/api/batch/stream", &api::batch_stream}, // workload_handlers.cpp
        {"GET", "/api/doctor", &api::doctor},              // workload_handlers.cpp
        {"GET", "/api/gpus", &api::gpus},                  // node_handlers.cpp
        {"POST", "/api/node/check", &api::node_check},     // node_handlers.cpp
        {"GET", "/api/nvml/status", &api::nvml_status},
        {"GET", "/api/nvml/stream", &api::nvml_stream},
    };
    return table;
}

const std::vector<route_info>& api_routes() {
    static const std::vector<route_info> info = [] {
        std::vector<route_info> out;
        for (const auto& r : api::routes()) {
            out.push_back({r.method, r.path});
        }
        return out;
    }();
    return info;
}

struct api::prepared {
    analyze_request request;
    analysis_plan plan;
    bool on_gpu = false;
};

api::api(server_config& config, hardware_registry registry, store::run_store& store)
    : m_config(config), m_registry(std::move(registry)), m_store(store), m_static(config.web_root),
      m_telemetry(make_telemetry_source()), m_store_schema_version(store.schema_version()) {
    if (m_config.use_gpu) {
        start_gpu_lanes(m_config, m_supervisors, m_queue, m_device, m_backend_reason);
    } else {
        m_backend_reason = m_config.no_gpu_reason.empty() ? "GPU use switched off" : m_config.no_gpu_reason;
    }
    if (!m_queue) {
        log_line("prediction-only: " + m_backend_reason);
    }
    if (!m_config.default_hardware_key.empty()) {
        (void)m_registry.at(m_config.default_hardware_key, "--hardware"); // names the option when unknown
    }
    const auto chosen = choose_default_hardware(context());
    if (!chosen.note.empty()) {
        log_line(chosen.note);
    }
    m_default_hw = chosen.entry->key;
    m_default_matched_by = chosen.matched_by;
    m_default_warning = chosen.note;
}

analysis_context api::context() const {
    return {&m_registry, m_device, m_default_hw.empty() ? m_config.default_hardware_key : m_default_hw,
            m_config.profile_dir};
}

api::~api() {
    m_queue.reset(); // stop running GPU work before the supervisors (and their workers) go
    m_supervisors.clear();
}

namespace {
// The error boundary: api_error is the client's, store_error a 503 (the server stays up), anything else 500.
template <class F>
http_response guarded(F&& f, const http_request& request) {
    try {
        return f();
    } catch (const api_error& e) {
        return error_response(e);
    } catch (const store::store_error& e) {
        log_line(std::string("store: ") + e.what());
        return error_response(api_error(503, "store_unavailable",
                                        std::string("the run database failed: ") + e.what() +
                                            "; check the disk and the --db file"));
    } catch (const std::exception& e) {
        log_line(std::string("internal error on ") + request.method + " " + request.path + ": " + e.what());
        return error_response(api_error(500, "internal", std::string("internal error: ") + e.what()));
    }
}
} // namespace

http_response api::handle(http_request& request) {
    return guarded([&] { return dispatch(request); }, request);
}

http_response api::finish(const response_maker& make, const http_request& request) const {
    return guarded(make, request);
}

bool api::may_block(std::string_view method, std::string_view path) const {
    std::vector<std::string> args;
    for (const auto& r : routes()) {
        if ((r.method == method || (method == "HEAD" && r.method == "GET")) &&
            match_route(r.path, path, args)) {
            // A prediction-only analysis waits for nothing: its commit answers through the store's callback.
            if (r.fn == &api::analyze) {
                return m_queue != nullptr;
            }
            return r.may_block;
        }
    }
    return false; // 404, 405 and static files: answered from memory or a small file read
}

http_response api::dispatch(http_request& request) {
    bool path_known = false;
    std::string allowed;
    for (const auto& r : routes()) {
        if (!match_route(r.path, request.path, request.path_args)) {
            continue;
        }
        path_known = true;
        const bool head_as_get = request.method == "HEAD" && r.method == "GET";
        if (r.method == request.method || head_as_get) {
            return (this->*r.fn)(request);
        }
        allowed += (allowed.empty() ? "" : ", ") + r.method;
    }
    if (path_known) {
        auto resp = error_response(
            api_error(405, "method_not_allowed",
                      request.method + " is not served on " + request.path + "; allowed: " + allowed));
        resp.headers.emplace_back("Allow", allowed);
        return resp;
    }
    if (request.path == "/api" || request.path.rfind("/api/", 0) == 0) {
        throw not_found("no route " + request.method + " " + request.path.substr(0, 200) +
                        "; the routes are listed at /api/openapi.json");
    }
    if (request.method != "GET" && request.method != "HEAD") {
        throw api_error(405, "method_not_allowed", "only GET is served outside /api");
    }
    return static_file(request);
}

// --------------------------------------------------------------------------------------------------- info

http_response api::health(const http_request& req) {
    reject_unknown_params(req.query, {});
    const auto dev = device();
    json device = dev ? to_json(*dev) : json(nullptr);
    json nvml{{"available", m_telemetry->available()}};
    nvml["reason"] = m_telemetry->available() ? "" : m_telemetry->unavailable_reason();
    json j{{"status", "ok"},
           {"version", tool_version()},
           {"schema_version", report_schema_version},
           {"backend", gpu_ready() ? "gpu" : "prediction-only"},
           {"backend_reason", gpu_ready() ? "" : m_backend_reason},
           {"device", device},
           {"nvml", nvml},
           {"queue_length", m_queue ? m_queue->length() : 0},
           {"queue_capacity", m_queue ? m_queue->capacity() : 0},
           {"worker_restarts", m_queue ? m_queue->restarts() : 0},
           {"default_hardware_key", m_default_hw},
           {"store_schema_version", m_store_schema_version}};
    // The roofs roof=measured would use, so the form can offer "this machine — measured" (GUIDE.md).
    j["measured_profile"] = nullptr;
    try {
        analysis_request probe;
        probe.roof = roof_source::measured;
        j["measured_profile"] = roofs_json(*plan_analysis(context(), probe).hardware);
    } catch (const analysis_error&) {
        // no profile (or an unusable one): null, and roof=measured says why when asked for
    }
    return json_response(j.dump());
}

http_response api::precisions(const http_request& req) {
    reject_unknown_params(req.query, {});
    json list = json::array();
    for (const auto& p : all_precisions()) {
        json aliases = json::array();
        for (const auto a : p.aliases) {
            aliases.push_back(a);
        }
        list.push_back({{"name", p.name},
                        {"display_name", p.display_name},
                        {"bits_per_element", p.bits_per_element()},
                        {"storage_bits", p.storage_bits},
                        {"scale_block", p.scale_block},
                        {"scale_format", p.scale_format},
                        {"colour", p.colour},
                        {"default_output", to_string(p.default_output)},
                        {"integer", p.kind == number_kind::integer},
                        {"gemm_input", p.gemm_input},
                        {"aliases", aliases},
                        {"summary", p.summary}});
    }
    json sweep = json::array();
    for (const auto p : default_sweep()) {
        sweep.push_back(to_string(p));
    }
    return json_response(json{{"precisions", list}, {"default_sweep", sweep}}.dump());
}

http_response api::hardware_list(const http_request& req) {
    reject_unknown_params(req.query, {});
    json list = json::array();
    for (const auto& h : m_registry.entries()) {
        list.push_back(to_json(h));
    }
    return json_response(json{{"hardware", list}, {"default_key", m_default_hw}}.dump());
}

http_response api::hardware_one(const http_request& req) {
    reject_unknown_params(req.query, {});
    const auto* h = m_registry.find(req.path_args.at(0));
    if (h == nullptr) {
        throw not_found(
            "no hardware '" + req.path_args[0].substr(0, 64) + "'; valid: " + m_registry.valid_keys(), "key");
    }
    return json_response(to_json(*h).dump());
}

http_response api::openapi(const http_request& req) {
    reject_unknown_params(req.query, {});
    return json_response(openapi_document());
}

// ------------------------------------------------------------------------------------------------ analyze

api::prepared api::prepare(const http_request& req) const {
    prepared p;
    p.request = parse_analyze_request(req.query, req.body);
    try {
        p.plan = plan_analysis(
            context(), {p.request.hardware_key, p.request.roof, p.request.problems, p.request.pacing});
    } catch (const analysis_error& e) {
        throw invalid_value(e.field(), e.what());
    }
    if (p.request.hardware_key.empty() && p.request.roof == roof_source::datasheet) {
        // The context names m_default_hw, so the plan says "requested"; the answer says how it was chosen.
        p.plan.matched_by = m_default_matched_by;
        p.plan.warning = m_default_warning;
    }
    p.on_gpu = gpu_ready() && !p.request.predict_only;
    return p;
}

json api::answer_document(const prepared& p, const std::vector<analysis_point>& measured) const {
    const bool gpu = p.on_gpu;
    const auto& hw = *p.plan.hardware;
    std::optional<telemetry_summary> telemetry;
    for (const auto& m : measured) {
        if (m.measured && m.measured->telemetry && m.measured->telemetry->available) {
            telemetry = m.measured->telemetry;
            break;
        }
    }
    json doc{
        {"schema_version", report_schema_version},
        {"tool_version", tool_version()},
        {"backend", gpu ? "gpu" : "prediction-only"},
        {"request", request_echo(p.request, hw.key)},
        {"hardware", json::object()}, // the roofs are spliced in as text (roofs_text): see make_answer_run
        {"measured", points_document(hw, measured)},
        {"predicted", points_document(hw, p.plan.predicted)},
        {"telemetry", telemetry ? to_json(*telemetry) : json(nullptr)},
        {"device", gpu && device() ? to_json(*device()) : json(nullptr)}};
    annotate_hardware_choice(doc, p.plan);
    return doc;
}

std::string api::roofs_text(const hardware_entry& hw, bool registry_entry) const {
    if (!registry_entry) {
        return roofs_json(hw).dump(); // a measured profile's entry: built for this request
    }
    // A registry entry never changes while the server runs, and its roofs text was a third of a prediction's
    // time (every roof's JSON built, serialised and freed per request): made once per entry.
    const std::lock_guard lock(m_roofs_mutex);
    auto [it, added] = m_roofs_text.try_emplace(&hw);
    if (added) {
        it->second = roofs_json(hw).dump();
    }
    return it->second;
}

api::answer_run api::make_answer_run(const prepared& p, const std::vector<analysis_point>& measured) const {
    const bool gpu = p.on_gpu;
    auto answer = answer_document(p, measured);
    answer_run out;
    auto& run = out.run;
    // The roofs object with the plan's matched_by (annotate_hardware_choice put it in the stub) first.
    auto& stub = answer["hardware"];
    std::string roofs = roofs_text(*p.plan.hardware, p.request.roof == roof_source::datasheet);
    if (stub.is_object() && !stub.empty()) {
        std::string head = stub.dump();
        head.back() = ',';
        roofs = head + roofs.substr(1);
    }
    answer.erase("hardware");
    run.m = p.request.m;
    run.n = p.request.n;
    run.k = p.request.k;
    for (const auto& pt : p.plan.predicted) {
        run.precisions.push_back(pt.problem.precision_label());
    }
    run.hardware_key = p.plan.hardware->key;
    run.backend = gpu ? "gpu" : "prediction-only";
    if (const auto d = device(); gpu && d) {
        tag_run_gpu(run, measured, *d, m_config.worker_gpu_index);
    }
    for (const auto& m : measured) {
        if (m.measured && m.measured->telemetry && m.measured->telemetry->available) {
            run.sm_clock_mhz = m.measured->telemetry->sm_clock_mean_mhz; // the answer's "telemetry"
            break;
        }
    }
    run.tool_version = std::string(tool_version());
    run.schema_version = report_schema_version;
    for (const auto* list : {&measured, &p.plan.predicted}) {
        for (const auto& pt : *list) {
            run.points.push_back({pt.problem.precision_label(), std::string(to_string(pt.source)),
                                  std::string(to_string(pt.status)),
                                  pt.time_s > 0 ? std::optional<double>(pt.time_s) : std::nullopt});
        }
    }
    // The store keeps the roofs apart (once per hardware entry) and the rest of the answer as it is; each
    // part is serialised once (the answer served is spliced from them).
    out.hardware = std::move(roofs);
    out.answer = answer.dump();
    run.hardware_json = out.hardware;
    run.answer_json = out.answer;
    return out;
}

std::string api::answer_run::with_id(std::int64_t id) const {
    // answer is a JSON object ("{...}", never empty: it has schema_version): run_id and hardware go first.
    std::string text;
    text.reserve(answer.size() + hardware.size() + 40);
    text.append("{\"run_id\":").append(std::to_string(id)).append(",\"hardware\":").append(hardware);
    text.append(",").append(answer, 1, std::string::npos);
    return text;
}

std::string api::store_answer(const prepared& p, const std::vector<analysis_point>& measured) const {
    auto a = make_answer_run(p, measured);
    const auto id = m_store.submit(std::move(a.run)).get(); // returns once committed
    return a.with_id(id);
}

std::shared_ptr<analysis_job> api::make_job(const std::shared_ptr<const prepared>& p) const {
    measure_options options;
    options.mode = p->request.mode;
    options.pacing = p->request.pacing;
    options.telemetry_window_s = p->request.telemetry_seconds;
    options.samples = p->request.iterations;
    options.min_samples = std::min<std::size_t>(options.min_samples, p->request.iterations);
    auto job = std::make_shared<analysis_job>(p->plan.problems, options);
    const auto hw = p->plan.hardware;
    job->annotate = [hw](analysis_point& pt) { annotate(*hw, pt); };
    job->describe = [hw](const analysis_point& pt) { return point_document(*hw, pt).dump(); };
    job->complete = [this, p](analysis_job& j) { return job_event{"done", store_answer(*p, j.measured)}; };
    return job;
}

http_response api::analyze(const http_request& req) {
    auto p = std::make_shared<prepared>(prepare(req));
    const bool original = req.original_form || m_config.original_client;
    if (!p->on_gpu) {
        // Answered once committed, without holding a thread meanwhile: the store's writer calls back, the
        // HTTP layer makes the answer on one of its threads (every answered run is committed first).
        auto pending = std::make_shared<answer_run>(make_answer_run(*p, {}));
        http_response r;
        r.later = [this, p, pending, original](response_finisher finish) {
            auto run = std::move(pending->run);
            m_store.submit_then(std::move(run), [p, pending, original, finish = std::move(finish)](
                                                    std::int64_t id, std::exception_ptr error) {
                finish([p, pending, original, id, error]() -> http_response {
                    if (error) {
                        std::rethrow_exception(error); // store_error: 503 from the error boundary
                    }
                    auto answer = pending->with_id(id);
                    return json_response(original ? compat::original_analyze_answer(answer, *p->plan.hardware,
                                                                                    p->request,
                                                                                    p->plan.predicted, {})
                                                  : std::move(answer));
                });
            });
        };
        return r;
    }
    const auto job = make_job(p);
    (void)m_queue->submit(job);
    std::string done;
    job_event e;
    while (job->next(e, clock_type::now() + std::chrono::hours(24)) != analysis_job::wait_result::finished) {
        if (e.name == "done") {
            done = std::move(e.data);
        }
    }
    if (done.empty()) {
        throw api_error(503, "store_unavailable",
                        "the analysis ran but could not be stored; see the server log");
    }
    if (original) {
        done = compat::original_analyze_answer(done, *p->plan.hardware, p->request, p->plan.predicted,
                                               job->measured);
    }
    return json_response(std::move(done));
}

http_response api::analyze_stream(const http_request& req) {
    auto p = std::make_shared<prepared>(prepare(req)); // bad input: a plain 4xx before any event
    http_response r;
    r.content_type = "text/event-stream";
    if (!p->on_gpu) {
        std::string done = store_answer(*p, {});
        r.stream = [p, done = std::move(done)](event_sink& sink) {
            if (!sink.send("queued", R"({"position":0})")) {
                return;
            }
            const auto total = p->plan.predicted.size();
            for (std::size_t i = 0; i < total; ++i) {
                const auto& pt = p->plan.predicted[i];
                if (!sink.send(
                        "started",
                        json{{"precision", pt.problem.precision_label()}, {"index", i}, {"total", total}}
                            .dump()) ||
                    !sink.send("point", point_document(*p->plan.hardware, pt).dump())) {
                    return;
                }
            }
            (void)sink.send("done", done);
        };
        return r;
    }
    const auto job = make_job(p);
    const auto position = m_queue->submit(job); // 429 here, before the stream opens
    const std::atomic<bool>* stopping = &m_stopping;
    r.stream = [p, job, position, stopping](event_sink& sink) {
        bool open = sink.send("queued", json{{"position", position}}.dump());
        for (std::size_t i = 0; open && i < p->plan.predicted.size(); ++i) {
            open = sink.send("point", point_document(*p->plan.hardware, p->plan.predicted[i]).dump());
        }
        job_event e;
        while (open) {
            switch (job->next(e, clock_type::now() + heartbeat_interval)) {
            case analysis_job::wait_result::event:
                open = sink.send(e.name, e.data);
                break;
            case analysis_job::wait_result::timeout:
                open = !*stopping && sink.comment("waiting");
                break;
            case analysis_job::wait_result::finished:
                return;
            }
        }
        // The client went away (or the server stops): precisions that have not started are skipped; the run
        // is still stored.
        job->cancel();
        log_line(*stopping ? "server stopping: remaining precisions of a streamed analysis cancelled"
                           : "analysis stream closed by the client; remaining precisions cancelled");
    };
    return r;
}

// ---------------------------------------------------------------------------------------------- telemetry

http_response api::telemetry(const http_request& req) {
    reject_unknown_params(req.query, {});
    return json_response(m_telemetry->sample().dump());
}

http_response api::telemetry_stream(const http_request& req) {
    reject_unknown_params(req.query, {"interval_ms"});
    auto first = m_telemetry->sample(); // 503 before the stream opens when NVML is absent
    std::size_t interval_ms = 250;
    for (const auto& [k, v] : req.query) {
        if (k == "interval_ms") {
            try {
                interval_ms = std::stoul(v);
            } catch (const std::exception&) {
                interval_ms = 0;
            }
            if (interval_ms < 50 || interval_ms > 10000 ||
                v.find_first_not_of("0123456789") != std::string::npos) {
                throw invalid_value("interval_ms", "interval_ms must be an integer in [50, 10000]");
            }
        }
    }
    http_response r;
    r.content_type = "text/event-stream";
    telemetry_source* source = m_telemetry.get();
    const std::atomic<bool>* stopping = &m_stopping;
    r.stream = [source, interval_ms, stopping, first = std::move(first)](event_sink& sink) {
        if (!sink.send("sample", first.dump())) {
            return;
        }
        while (!*stopping) {
            std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
            json s;
            try {
                s = source->sample();
            } catch (const std::exception& e) {
                (void)sink.send("error",
                                json{{"error", {{"code", "nvml_error"}, {"message", e.what()}}}}.dump());
                return;
            }
            if (!sink.send("sample", s.dump())) {
                return;
            }
        }
    };
    return r;
}

// --------------------------------------------------------------------------------------------------- runs

namespace {
store::run_filter to_filter(const runs_query& q) {
    store::run_filter f;
    f.hardware_key = q.hardware_key;
    f.precision = q.precision;
    f.source = q.source;
    f.host = q.host;
    f.gpu = q.gpu;
    f.job = q.job;
    f.limit = q.limit;
    f.offset = q.offset;
    return f;
}
} // namespace

http_response api::runs_list(const http_request& req) {
    auto q = parse_runs_query(req.query);
    if (q.hardware_key) {
        if (const auto* h = m_registry.find(*q.hardware_key)) {
            q.hardware_key = h->key; // aliases find the runs stored under the key
        }
    }
    const auto page = m_store.list(to_filter(q));
    json runs = json::array();
    for (const auto& s : page.runs) {
        runs.push_back({{"run_id", s.id},
                        {"created_at", s.created_at},
                        {"M", s.m},
                        {"N", s.n},
                        {"K", s.k},
                        {"precisions", s.precisions},
                        {"hardware_key", s.hardware_key},
                        {"backend", s.backend},
                        {"device_name", s.device_name},
                        {"points", s.point_count},
                        {"host", s.host},
                        {"gpu",
                         {{"index", s.gpu_index ? json(*s.gpu_index) : json(nullptr)},
                          {"uuid", s.device_uuid},
                          {"pci_bus_id", s.pci_bus_id},
                          {"serial", s.gpu_serial}}}});
    }
    return json_response(
        json{{"runs", runs}, {"total", page.total}, {"limit", q.limit}, {"offset", q.offset}}.dump());
}

namespace {
// Collects CSV text and hands it to the client in pieces of about this size: memory stays bounded however
// many runs an export has, and the client gets a few large chunks rather than one per line.
class csv_writer {
  public:
    explicit csv_writer(body_sink& sink) : m_sink(sink) { m_text.reserve(flush_bytes + 4096); }
    std::string& text() { return m_text; }
    // False once the client is gone: the export stops.
    [[nodiscard]] bool flush(bool always = false) {
        if (m_text.empty() || (!always && m_text.size() < flush_bytes)) {
            return true;
        }
        const bool ok = m_sink.write(m_text);
        m_text.clear();
        return ok;
    }

  private:
    static constexpr std::size_t flush_bytes = 16 * 1024;
    body_sink& m_sink;
    std::string m_text;
};

// One run's CSV lines (the header line, once, when `header` is false).
void append_run_csv(const store::run_record& rec, bool& header, std::string& out) {
    const auto answer = json::parse(rec.answer_json, nullptr, false);
    std::vector<analysis_point> points;
    for (const char* list : {"measured", "predicted"}) {
        if (!answer.is_object() || !answer.contains(list) || !answer[list].is_array()) {
            continue;
        }
        for (const auto& pj : answer[list]) {
            try {
                // The roofs the run was stored with (a roof=measured run's "<gpu>-measured" entry is in no
                // registry), not today's.
                points.push_back(point_from_json(pj));
            } catch (const std::exception& e) {
                log_line("runs.csv: run " + std::to_string(rec.summary.id) +
                         ": skipped a point: " + e.what());
            }
        }
    }
    const auto csv = points_csv(points);
    const std::string prefix = std::to_string(rec.summary.id) + "," + rec.summary.created_at + ",";
    std::size_t at = 0;
    bool first = true;
    while (at < csv.size()) {
        auto end = csv.find('\n', at);
        if (end == std::string::npos) {
            end = csv.size();
        }
        const std::string_view line(csv.data() + at, end - at);
        at = end + 1;
        if (first) {
            first = false;
            if (!header) {
                out.append("run_id,created_at,").append(line).append("\n");
                header = true;
            }
            continue;
        }
        out.append(prefix).append(line).append("\n");
    }
}
} // namespace

http_response api::runs_csv(const http_request& req) {
    auto q = parse_runs_query(req.query, 1000, max_csv_runs); // bad input: a 4xx before the body starts
    if (q.hardware_key) {
        if (const auto* h = m_registry.find(*q.hardware_key)) {
            q.hardware_key = h->key;
        }
    }
    http_response r;
    r.content_type = "text/csv; charset=utf-8";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"roofline-runs.csv\"");
    // Written as the store visits the runs, one stored answer in memory at a time (issue 18: eight exports
    // of 10,000 runs built whole bodies, 958 MB RSS).
    r.body_stream = [this, filter = to_filter(q)](body_sink& sink) {
        csv_writer out(sink);
        bool header = false;
        bool open = true;
        m_store.for_each_record(filter, [&](store::run_record& rec) {
            append_run_csv(rec, header, out.text());
            open = out.flush();
            return open;
        });
        if (!open) {
            return;
        }
        if (!header) {
            out.text() = "run_id,created_at," + points_csv({});
        }
        (void)out.flush(true);
    };
    return r;
}

http_response api::run_get(const http_request& req) {
    reject_unknown_params(req.query, {});
    const auto id = parse_run_id(req.path_args.at(0));
    const auto rec = m_store.get(id);
    if (!rec) {
        throw not_found("no run " + std::to_string(id), "id");
    }
    auto answer = json::parse(rec->answer_json, nullptr, false);
    if (!answer.is_object()) {
        throw api_error(500, "corrupt_run", "run " + std::to_string(id) + " is stored without a JSON answer");
    }
    answer["run_id"] = id; // one name for the run's id, as in the Analyze answer and the run list
    answer["created_at"] = rec->summary.created_at;
    return json_response(answer.dump());
}

http_response api::run_delete(const http_request& req) {
    reject_unknown_params(req.query, {});
    const auto id = parse_run_id(req.path_args.at(0));
    if (!m_store.remove(id)) {
        throw not_found("no run " + std::to_string(id), "id");
    }
    http_response r;
    r.status = 204;
    r.content_type.clear();
    return r;
}

// ------------------------------------------------------------------------------------------------- static

http_response api::static_file(const http_request& req) {
    if (!m_static.enabled()) {
        if (req.path == "/" || req.path == "/index.html") {
            http_response r;
            r.content_type = "text/html; charset=utf-8";
            r.body = no_web_app_page;
            return r;
        }
        throw not_found("no file " + req.path.substr(0, 200) + " (the web app is not built; see GET /)");
    }
    const auto file = m_static.resolve(req.path);
    if (!file) {
        throw not_found("no file " + req.path.substr(0, 200));
    }
    http_response r;
    r.content_type = static_files::mime_type(*file);
    r.file = *file;
    return r;
}

} // namespace roofline::server
