// The workload routes: POST /api/model, /api/spot, /api/batch, /api/batch/stream and GET /api/doctor.
// Requests are parsed into the core's structs here, at the edge; bad input is a 4xx naming the field.
#include "api.hpp"
#include "log.hpp"
#include "roofline/core/measured_profile.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/workload/workload_report.hpp"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace roofline::server {
namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;
constexpr auto heartbeat = std::chrono::milliseconds(500);

http_response json_answer(std::string body) {
    http_response r;
    r.body = std::move(body);
    return r;
}

std::size_t depth_of(std::string_view s) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

json parse_object(std::string_view body, const char* example) {
    if (body.size() > max_body_bytes) {
        throw api_error(413, "payload_too_large",
                        "request body over " + std::to_string(max_body_bytes) + " bytes");
    }
    if (depth_of(body) > max_json_depth) {
        throw bad_request("JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
    }
    json j;
    try {
        j = json::parse(body);
    } catch (const json::parse_error& e) {
        throw bad_request(std::string("the body is not JSON (") + e.what() + "); e.g. " + example);
    }
    if (!j.is_object()) {
        throw bad_request(std::string("the body must be a JSON object, e.g. ") + example);
    }
    return j;
}

void reject_unknown_fields(const json& body, std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : body.items()) {
        if (std::ranges::find(allowed, key) == allowed.end()) {
            std::string names;
            for (const auto a : allowed) {
                names += (names.empty() ? "" : ", ") + std::string(a);
            }
            throw invalid_value(key, "unknown field '" + key.substr(0, 60) + "'; valid: " + names);
        }
    }
}

std::int64_t integer_field(const json& body, const char* field, std::int64_t fallback, std::int64_t lo,
                           std::int64_t hi) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        if (fallback < lo) {
            throw invalid_value(field, std::string(field) + " is required (an integer in [" +
                                           std::to_string(lo) + ", " + std::to_string(hi) + "])");
        }
        return fallback;
    }
    if (!it->is_number_integer() && !it->is_number_unsigned()) {
        throw invalid_value(field, std::string(field) + " must be an integer in [" + std::to_string(lo) +
                                       ", " + std::to_string(hi) + "]");
    }
    const auto v = it->get<std::int64_t>();
    if (v < lo || v > hi) {
        throw invalid_value(field, std::string(field) + " must be in [" + std::to_string(lo) + ", " +
                                       std::to_string(hi) + "] (got " + std::to_string(v) + ")");
    }
    return v;
}

std::optional<double> number_field(const json& body, const char* field) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_number()) {
        throw invalid_value(field, std::string(field) + " must be a number");
    }
    return it->get<double>();
}

std::string string_field(const json& body, const char* field, std::string fallback = {}) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        return fallback;
    }
    if (!it->is_string()) {
        throw invalid_value(field, std::string(field) + " must be a string");
    }
    return it->get<std::string>();
}

bool bool_field(const json& body, const char* field, bool fallback) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        return fallback;
    }
    if (!it->is_boolean()) {
        throw invalid_value(field, std::string(field) + " must be true or false");
    }
    return it->get<bool>();
}

// The most cases one API batch may hold (a 64 KiB body holds about this many JSON cases).
constexpr std::size_t max_api_batch_cases = 256;

} // namespace

const hardware_entry& api::workload_hardware(const std::string& requested) const {
    const auto key = requested.empty() ? m_default_hw : requested;
    const auto* hw = m_registry.find(key);
    if (hw == nullptr) {
        throw invalid_value("hardware_key", "unknown hardware '" + key.substr(0, 60) +
                                                "'; valid: " + m_registry.valid_keys());
    }
    return *hw;
}

// ------------------------------------------------------------------------------------------------- model

http_response api::model(const http_request& req) {
    reject_unknown_params(req.query, {});
    const auto body = parse_object(req.body, R"({"model":"llama-3.1-8b","tokens":2048,"phase":"decode"})");
    reject_unknown_fields(body, {"model", "config", "tokens", "phase", "batch", "precisions", "hardware_key",
                                 "fused_qkv", "fused_gate_up", "measure", "iterations"});
    workload::model_config config;
    if (body.contains("config") && !body["config"].is_null()) {
        if (body.contains("model") && !body["model"].is_null()) {
            throw invalid_value("config", "give either model (a preset) or config (a config.json), not both");
        }
        try {
            config = workload::parse_model_config(body["config"].dump(), "config");
        } catch (const workload::config_error& e) {
            throw invalid_value(e.key().empty() ? "config" : "config." + e.key(), e.what());
        }
    } else {
        const auto key = string_field(body, "model");
        if (key.empty()) {
            throw invalid_value("model", "model (a preset key) or config is required; presets: " +
                                             workload::valid_preset_keys());
        }
        const auto* p = workload::find_preset(key);
        if (p == nullptr) {
            throw invalid_value("model", "unknown preset '" + key.substr(0, 60) +
                                             "'; presets: " + workload::valid_preset_keys());
        }
        config = *p;
    }
    workload::step_shape shape;
    try {
        shape.kind = workload::parse_phase(string_field(body, "phase", "prefill"));
    } catch (const std::invalid_argument& e) {
        throw invalid_value("phase", e.what());
    }
    shape.sequence = integer_field(body, "tokens", 0, 1, workload::max_sequence);
    shape.batch = integer_field(body, "batch", 1, 1, workload::max_batch);
    shape.fused_qkv = bool_field(body, "fused_qkv", false);
    shape.fused_gate_up = bool_field(body, "fused_gate_up", false);
    try {
        workload::validate(shape);
    } catch (const std::invalid_argument& e) {
        throw invalid_value("tokens", e.what());
    }
    std::vector<workload::precision_scheme> schemes;
    if (const auto it = body.find("precisions"); it != body.end() && !it->is_null()) {
        if (!it->is_array() || it->empty() || it->size() > max_precisions_per_request) {
            throw invalid_value("precisions", "precisions must be an array of 1 to " +
                                                  std::to_string(max_precisions_per_request) +
                                                  " scheme names");
        }
        for (const auto& p : *it) {
            if (!p.is_string()) {
                throw invalid_value("precisions",
                                    "each precision must be a string such as \"BF16\" or \"W4A16\"");
            }
            try {
                schemes.push_back(workload::parse_precision_scheme(p.get<std::string>()));
            } catch (const std::invalid_argument& e) {
                throw invalid_value("precisions", e.what());
            }
        }
    } else {
        schemes = workload::parse_precision_schemes("BF16,FP8");
    }
    const auto& hw = workload_hardware(string_field(body, "hardware_key"));
    const bool measure = bool_field(body, "measure", false);
    const auto iterations = static_cast<std::size_t>(integer_field(body, "iterations", 10, 1, 1000));
    const auto w = workload::derive_gemms(config, shape);
    std::vector<workload::model_estimate> estimates;
    for (const auto& s : schemes) {
        estimates.push_back(workload::estimate_model(w, s, hw));
    }
    std::string backend =
        "prediction-only: " + (gpu_ready() ? std::string("measure was not asked for") : m_backend_reason);
    if (measure && gpu_ready()) {
        // The weight GEMMs (distinct problems once) go through the GPU queue as one job, like an analysis.
        std::vector<gemm_problem> problems;
        std::map<std::string, std::size_t> index;
        auto key_of = [](const gemm_problem& p) {
            return p.shape_label() + "|" + std::string(to_string(p.a)) + "|" + std::string(to_string(p.b));
        };
        for (const auto& e : estimates) {
            for (const auto& g : e.gemms) {
                if (g.gemm.role == workload::gemm_role::weight &&
                    index.emplace(key_of(g.problem), problems.size()).second) {
                    problems.push_back(g.problem);
                }
            }
        }
        measure_options options;
        options.samples = iterations;
        options.min_samples = std::min<std::size_t>(options.min_samples, iterations);
        auto job = std::make_shared<analysis_job>(problems, options);
        const hardware_entry* hwp = &hw;
        job->annotate = [hwp](analysis_point& pt) {
            pt.hardware_key = hwp->key;
            pt.roof = estimate(*hwp, pt.problem, pt.traffic);
        };
        (void)m_queue->submit(job);
        job_event ev;
        while (job->next(ev, clock_type::now() + std::chrono::hours(24)) !=
               analysis_job::wait_result::finished) {
        }
        for (auto& e : estimates) {
            for (auto& g : e.gemms) {
                if (g.gemm.role == workload::gemm_role::weight) {
                    const auto i = index.at(key_of(g.problem));
                    if (i < job->measured.size()) {
                        g.measured = job->measured[i];
                    }
                }
            }
            workload::update_totals(e, w);
        }
        backend = "gpu: " + (m_device ? m_device->name : std::string("GPU worker"));
    } else if (measure) {
        backend = "prediction-only: " + m_backend_reason;
    }
    return json_answer(workload::model_document(w, estimates, hw, backend).dump());
}

http_response api::presets(const http_request& req) {
    reject_unknown_params(req.query, {});
    json list = json::array();
    for (const auto& p : workload::builtin_presets()) {
        list.push_back(workload::to_json(p));
    }
    return json_answer(json{{"presets", list}}.dump());
}

// -------------------------------------------------------------------------------------------------- spot

http_response api::spot(const http_request& req) {
    reject_unknown_params(req.query, {});
    const auto body = parse_object(req.body, R"({"op":"gemm","m":4096,"n":4096,"k":4096,"time_s":0.0002})");
    reject_unknown_fields(body, {"op",     "flops",    "bytes", "time_s",   "precision", "hardware_key",
                                 "m",      "n",        "k",     "elements", "inputs",    "flops_per_element",
                                 "rows",   "cols",     "batch", "heads",    "kv_heads",  "q_len",
                                 "kv_len", "head_dim", "causal"});
    workload::spot_request r;
    try {
        r.op = workload::parse_spot_op(string_field(body, "op", "custom"));
    } catch (const std::invalid_argument& e) {
        throw invalid_value("op", e.what());
    }
    try {
        r.precision = parse_precision(string_field(body, "precision", "BF16"));
    } catch (const std::invalid_argument& e) {
        throw invalid_value("precision", e.what());
    }
    r.flops = number_field(body, "flops");
    r.bytes = number_field(body, "bytes");
    r.time_s = number_field(body, "time_s").value_or(0.0);
    constexpr std::int64_t big = 2147483647;
    auto& z = r.sizes;
    z.m = integer_field(body, "m", 0, 0, big);
    z.n = integer_field(body, "n", 0, 0, big);
    z.k = integer_field(body, "k", 0, 0, big);
    z.elements = integer_field(body, "elements", 0, 0, big);
    z.inputs = integer_field(body, "inputs", 2, 1, 64);
    z.flops_per_element = number_field(body, "flops_per_element").value_or(1.0);
    z.rows = integer_field(body, "rows", 0, 0, big);
    z.cols = integer_field(body, "cols", 0, 0, big);
    z.batch = integer_field(body, "batch", 1, 1, big);
    z.heads = integer_field(body, "heads", 0, 0, big);
    z.kv_heads = integer_field(body, "kv_heads", 0, 0, big);
    z.q_len = integer_field(body, "q_len", 0, 0, big);
    z.kv_len = integer_field(body, "kv_len", 0, 0, big);
    z.head_dim = integer_field(body, "head_dim", 0, 0, big);
    z.causal = bool_field(body, "causal", false);
    const auto& hw = workload_hardware(string_field(body, "hardware_key"));
    workload::spot_result s;
    try {
        s = workload::spot_check(r, hw);
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        throw invalid_value(what.substr(0, what.find(' ')), what);
    }
    return json_answer(workload::spot_document(s, hw).dump());
}

// ------------------------------------------------------------------------------------------------- batch

struct api::batch_prepared {
    workload::batch_input input;
    const hardware_entry* hw = nullptr;
    std::vector<analysis_point> predicted;
    std::size_t iterations = 30;
    bool on_gpu = false;
};

api::batch_prepared api::prepare_batch(const http_request& req) const {
    reject_unknown_params(req.query, {});
    const auto body =
        parse_object(req.body, R"({"cases":[{"m":4096,"n":4096,"k":4096,"precision":"FP16"}]})");
    reject_unknown_fields(body, {"cases", "text", "hardware_key", "predict_only", "iterations"});
    batch_prepared p;
    try {
        if (body.contains("text")) {
            if (body.contains("cases")) {
                throw invalid_value("text", "give either cases (an array) or text (CSV or JSON), not both");
            }
            p.input = workload::parse_batch(string_field(body, "text"), max_api_batch_cases);
        } else if (body.contains("cases")) {
            p.input = workload::parse_batch(json{{"cases", body["cases"]}}.dump(), max_api_batch_cases);
        } else {
            throw invalid_value("cases",
                                "cases (an array of {m, n, k, precision}) or text (CSV lines) is required");
        }
    } catch (const workload::batch_refused& e) {
        throw invalid_value(e.field(), e.what());
    }
    if (p.input.cases.empty()) {
        auto first = p.input.errors.front();
        throw invalid_value(first.field, "no case of the batch is valid: " + first.message);
    }
    p.hw = &workload_hardware(string_field(body, "hardware_key"));
    p.iterations = static_cast<std::size_t>(
        integer_field(body, "iterations", 30, 1, static_cast<std::int64_t>(max_iterations)));
    p.on_gpu = gpu_ready() && !bool_field(body, "predict_only", false);
    for (const auto& c : p.input.cases) {
        p.predicted.push_back(predict(*p.hw, c.problem));
    }
    return p;
}

std::string api::store_batch(const batch_prepared& p, const std::vector<analysis_point>& measured) const {
    auto doc =
        workload::batch_document(*p.hw, p.input, p.predicted, measured, p.on_gpu ? "gpu" : "prediction-only");
    store::new_run run;
    run.m = p.input.cases.front().problem.m;
    run.n = p.input.cases.front().problem.n;
    run.k = p.input.cases.front().problem.k;
    std::set<std::string> seen;
    for (const auto& c : p.input.cases) {
        if (seen.insert(c.problem.precision_label()).second) {
            run.precisions.push_back(c.problem.precision_label());
        }
    }
    run.hardware_key = p.hw->key;
    run.backend = p.on_gpu ? "gpu" : "prediction-only";
    if (p.on_gpu && m_device) {
        run.device_name = m_device->name;
        run.device_uuid = m_device->uuid;
        run.driver_version = m_device->driver_version;
        doc["device"] = to_json(*m_device);
    }
    run.tool_version = std::string(tool_version());
    run.schema_version = workload::workload_schema_version;
    for (const auto* list : {&measured, &p.predicted}) {
        for (const auto& pt : *list) {
            run.points.push_back({pt.problem.precision_label(), std::string(to_string(pt.source)),
                                  std::string(to_string(pt.status)),
                                  pt.time_s > 0 ? std::optional<double>(pt.time_s) : std::nullopt});
        }
    }
    const auto hardware = doc["hardware"].dump();
    doc.erase("hardware");
    run.hardware_json = hardware;
    run.answer_json = doc.dump();
    const auto id = m_store.submit(std::move(run)).get();
    const auto rest = doc.dump();
    return "{\"run_id\":" + std::to_string(id) + ",\"hardware\":" + hardware + "," + rest.substr(1);
}

std::shared_ptr<analysis_job> api::make_batch_job(const std::shared_ptr<const batch_prepared>& p) const {
    measure_options options;
    options.samples = p->iterations;
    options.min_samples = std::min<std::size_t>(options.min_samples, p->iterations);
    std::vector<gemm_problem> problems;
    for (const auto& c : p->input.cases) {
        problems.push_back(c.problem);
    }
    auto job = std::make_shared<analysis_job>(std::move(problems), options);
    const hardware_entry* hw = p->hw;
    job->annotate = [hw](analysis_point& pt) {
        pt.hardware_key = hw->key;
        pt.roof = estimate(*hw, pt.problem, pt.traffic);
    };
    job->complete = [this, p](analysis_job& j) { return job_event{"done", store_batch(*p, j.measured)}; };
    return job;
}

http_response api::batch(const http_request& req) {
    auto p = std::make_shared<const batch_prepared>(prepare_batch(req));
    if (!p->on_gpu) {
        return json_answer(store_batch(*p, {}));
    }
    const auto job = make_batch_job(p);
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
                        "the batch ran but could not be stored; see the server log");
    }
    return json_answer(std::move(done));
}

// Events: "queued" {position, total, errors}, per case "started" {index, total, label} and "point" (the
// measured point, or the predicted one without a GPU), "error" for a case the worker failed, then "done" with
// the stored batch. Closing the stream cancels the cases that have not started; the run is still stored.
http_response api::batch_stream(const http_request& req) {
    auto p = std::make_shared<const batch_prepared>(prepare_batch(req));
    http_response r;
    r.content_type = "text/event-stream";
    json errors = json::array();
    for (const auto& e : p->input.errors) {
        errors.push_back(workload::to_json(e));
    }
    if (!p->on_gpu) {
        std::string done = store_batch(*p, {});
        r.stream = [p, done = std::move(done), errors](event_sink& sink) {
            const auto total = p->predicted.size();
            if (!sink.send("queued", json{{"position", 0}, {"total", total}, {"errors", errors}}.dump())) {
                return;
            }
            for (std::size_t i = 0; i < total; ++i) {
                if (!sink.send(
                        "started",
                        json{{"index", i}, {"total", total}, {"label", p->input.cases[i].label}}.dump()) ||
                    !sink.send("point", to_json(p->predicted[i]).dump())) {
                    return;
                }
            }
            (void)sink.send("done", done);
        };
        return r;
    }
    const auto job = make_batch_job(p);
    const auto position = m_queue->submit(job);
    const std::atomic<bool>* stopping = &m_stopping;
    r.stream = [p, job, position, stopping, errors](event_sink& sink) {
        bool open = sink.send(
            "queued",
            json{{"position", position}, {"total", p->input.cases.size()}, {"errors", errors}}.dump());
        job_event e;
        while (open) {
            switch (job->next(e, clock_type::now() + heartbeat)) {
            case analysis_job::wait_result::event:
                if (e.name == "started") {
                    auto j = json::parse(e.data);
                    const auto i = j.value("index", std::size_t{0});
                    j["label"] = i < p->input.cases.size() ? p->input.cases[i].label : "";
                    open = sink.send(e.name, j.dump());
                } else {
                    open = sink.send(e.name, e.data);
                }
                break;
            case analysis_job::wait_result::timeout:
                open = !*stopping && sink.comment("waiting");
                break;
            case analysis_job::wait_result::finished:
                return;
            }
        }
        job->cancel();
        log_line(
            "batch stream closed; the cases that had not started are cancelled (the batch is still stored)");
    };
    return r;
}

// ------------------------------------------------------------------------------------------------ doctor

http_response api::doctor(const http_request& req) {
    reject_unknown_params(req.query, {});
    json checks = json::array();
    bool ok = true;
    auto add = [&](const std::string& name, const std::string& status, bool required,
                   const std::string& detail, const std::string& next) {
        if (required && status == "missing") {
            ok = false;
        }
        checks.push_back(
            {{"name", name}, {"status", status}, {"required", required}, {"detail", detail}, {"next", next}});
    };
    add("GPU", gpu_ready() ? "ok" : "warn", false,
        m_device ? m_device->name + " (sm " + m_device->compute_capability + ")" : m_backend_reason,
        gpu_ready()
            ? ""
            : "predictions still work; run the server on a machine with an NVIDIA GPU and a CUDA build");
    if (m_device) {
        add("driver", "ok", false,
            m_device->driver_version + " (CUDA runtime " + m_device->cuda_runtime_version + ")", "");
        add("cuBLASLt", m_device->cublaslt_version.empty() ? "warn" : "ok", false,
            m_device->cublaslt_version.empty() ? "version unknown" : m_device->cublaslt_version, "");
        if (const auto* hw = m_registry.match_device(m_device->name, m_device->compute_capability)) {
            std::string runs;
            for (const auto& pk : hw->peaks) {
                if (pk.supported) {
                    runs += (runs.empty() ? "" : ", ") + std::string(to_string(pk.precision));
                }
            }
            add("precisions", "ok", false, "registry entry " + hw->key + ": " + runs, "");
        } else {
            add("precisions", "warn", false, "'" + m_device->name + "' is not in the hardware registry",
                "add data/hardware/<gpu>.json or start the server with --hardware KEY");
        }
    }
    add("NVML", m_telemetry->available() ? "ok" : "warn", false,
        m_telemetry->available() ? "telemetry answers" : m_telemetry->unavailable_reason(),
        m_telemetry->available() ? "" : "install the NVIDIA driver's libnvidia-ml.so.1");
    add("hardware registry", m_registry.entries().empty() ? "missing" : "ok", true,
        std::to_string(m_registry.entries().size()) + " entries",
        m_registry.entries().empty() ? "check --hardware-dir" : "");
    add("model presets", "ok", true, std::to_string(workload::builtin_presets().size()) + " presets", "");
    add("web app", m_config.web_root.empty() ? "warn" : "ok", false,
        m_config.web_root.empty() ? "not built" : m_config.web_root.string(),
        m_config.web_root.empty() ? "cd web && npm ci && npm run build, then restart" : "");
    {
        const auto dir = m_config.profile_dir;
        bool have = false;
        try {
            have = !dir.empty() && find_profile(dir, m_device ? m_device->uuid : std::string()).has_value();
        } catch (const std::exception&) {
            have = false;
        }
        add("calibration", have ? "ok" : "warn", false,
            have ? "measured profile in " + dir.string() : "no measured profile in '" + dir.string() + "'",
            have ? "" : "run `roofline ceilings` on the GPU");
    }
    add("database", "ok", true,
        m_store.engine() + " " + store::redact_url(m_store.location()) + " (" +
            std::to_string(m_store.count()) + " runs)",
        "");
    return json_answer(json{
        {"schema_version", 1},
        {"tool_version", tool_version()},
        {"kind", "doctor"},
        {"ok", ok},
        {"checks", checks}}.dump());
}

} // namespace roofline::server
