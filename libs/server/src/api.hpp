// The handlers, independent of the HTTP library: a parsed request in, a response out.
#pragma once

#include "roofline/core/analysis.hpp"
#include "roofline/core/hardware.hpp"
#include "roofline/server/gpu_queue.hpp"
#include "roofline/server/request.hpp"
#include "roofline/server/server.hpp"
#include "roofline/server/static_files.hpp"
#include "roofline/store/run_store.hpp"
#include "telemetry_source.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace roofline::server {

struct http_request {
    std::string method;
    std::string path; // decoded, without the query
    query_params query;
    std::string body;
    std::vector<std::string> path_args; // the {placeholders} of the matched route, in order
    bool original_form = false;         // Accept names the original client's profile (compat_handlers.hpp)
};

// Where a streaming handler writes server-sent events. send() returns false once the client is gone.
class event_sink {
  public:
    event_sink() = default;
    event_sink(const event_sink&) = delete;
    event_sink& operator=(const event_sink&) = delete;
    virtual ~event_sink() = default;
    [[nodiscard]] virtual bool send(std::string_view event, std::string_view data) = 0;
    [[nodiscard]] virtual bool comment(std::string_view text) = 0; // a heartbeat: notices a gone client
};

struct http_response;
// Makes a deferred response once what it waited for is there (run on an HTTP thread, in the error boundary).
using response_maker = std::function<http_response()>;
// Called once, from any thread, with the maker of a deferred response.
using response_finisher = std::function<void(response_maker)>;

// Where a handler writes a streamed body (sent chunked as it comes). write() blocks while the client is slow
// to read (back-pressure) and returns false once the client is gone or stopped reading.
class body_sink {
  public:
    body_sink() = default;
    body_sink(const body_sink&) = delete;
    body_sink& operator=(const body_sink&) = delete;
    virtual ~body_sink() = default;
    [[nodiscard]] virtual bool write(std::string_view bytes) = 0;
};

struct http_response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::function<void(event_sink&)> stream; // set: text/event-stream produced by this function
    // Set: the body is produced by this function, piece by piece, on a thread of its own (an export that
    // would not fit in memory whole). Throwing cuts the body off unterminated, so the client sees it is
    // incomplete (the status line went out before).
    std::function<void(body_sink&)> body_stream;
    std::filesystem::path file; // set: serve this file (static route)
    // Set: the answer comes later and the connection holds no thread meanwhile (a run waiting for its group
    // commit). The HTTP layer calls it once with a finisher; the handler's side calls that exactly once.
    std::function<void(response_finisher)> later;
};

[[nodiscard]] http_response error_response(const api_error& e);

class api {
  public:
    api(server_config& config, hardware_registry registry, store::run_store& store);
    api(const api&) = delete;
    api& operator=(const api&) = delete;
    ~api();

    // The error boundary: never throws.
    [[nodiscard]] http_response handle(http_request& request);
    // A deferred response's maker (http_response::later), in the same error boundary.
    [[nodiscard]] http_response finish(const response_maker& make, const http_request& request) const;
    // True when the route's handler may wait (for the GPU, a store reader, a commit, NVML): the HTTP layer
    // runs it off the event loop. `path` may still carry %XX escapes (an unknown path never waits).
    [[nodiscard]] bool may_block(std::string_view method, std::string_view path) const;

    [[nodiscard]] bool gpu_available() const { return gpu_ready(); }
    // Streams end at their next event or heartbeat once this is called (the server is stopping).
    // The GPU worker is killed at once: a hung precision must not hold the exit (it is stored as failed).
    void begin_shutdown() noexcept {
        m_stopping = true;
        for (auto& s : m_supervisors) {
            s->abort_now();
        }
    }

  private:
  public:
    using handler = http_response (api::*)(const http_request&);
    struct route {
        std::string method;
        std::string path; // OpenAPI template
        handler fn;
        bool may_block = true; // false: answers from memory at once (runs on the event loop)
    };
    [[nodiscard]] static const std::vector<route>& routes();

  private:
    [[nodiscard]] http_response dispatch(http_request& request);
    // A GPU lane is up: measure on it. A lane whose probe hung is retried (gpu_queue.hpp), so this can turn
    // true after start.
    [[nodiscard]] bool gpu_ready() const { return m_queue != nullptr && m_queue->lanes_up() > 0; }
    // The server's device: the first lane that is up (null when none is).
    [[nodiscard]] std::optional<device_identity> device() const {
        return m_device ? m_device : m_queue ? m_queue->first_device() : std::nullopt;
    }

    http_response health(const http_request&);
    http_response precisions(const http_request&);
    http_response hardware_list(const http_request&);
    http_response hardware_one(const http_request&);
    http_response analyze(const http_request&);
    http_response analyze_stream(const http_request&);
    http_response telemetry(const http_request&);
    http_response telemetry_stream(const http_request&);
    http_response runs_list(const http_request&);
    http_response runs_csv(const http_request&);
    http_response run_get(const http_request&);
    http_response run_delete(const http_request&);
    http_response openapi(const http_request&);
    http_response nvml_status(const http_request&); // compat_handlers.cpp: the original client's routes
    http_response nvml_stream(const http_request&);
    http_response static_file(const http_request&);
    // workload_handlers.cpp: model presets, spot check, batches, doctor.
    http_response presets(const http_request&);
    http_response model(const http_request&);
    http_response spot(const http_request&);
    http_response batch(const http_request&);
    http_response batch_stream(const http_request&);
    http_response doctor(const http_request&);
    http_response node_check(const http_request&); // node_handlers.cpp
    http_response gpus(const http_request&);       // node_handlers.cpp
    struct batch_prepared;
    [[nodiscard]] batch_prepared prepare_batch(const http_request& request) const;
    [[nodiscard]] std::string store_batch(const batch_prepared& p,
                                          const std::vector<analysis_point>& measured) const;
    [[nodiscard]] std::shared_ptr<analysis_job>
    make_batch_job(const std::shared_ptr<const batch_prepared>& p) const;
    [[nodiscard]] const hardware_entry& workload_hardware(const std::string& requested) const;

    struct prepared; // a parsed request and its plan (hardware, predictions)
    [[nodiscard]] analysis_context context() const;
    [[nodiscard]] prepared prepare(const http_request& request) const;
    // The Analyze answer (answer.schema.json) without run_id.
    [[nodiscard]] nlohmann::json answer_document(const prepared& p,
                                                 const std::vector<analysis_point>& measured) const;
    // The answer (without run_id) and the run that stores it.
    struct answer_run {
        std::string answer; // without run_id and hardware: what the store keeps
        std::string hardware;
        store::new_run run;
        [[nodiscard]] std::string with_id(std::int64_t id) const; // the answer as served
    };
    [[nodiscard]] answer_run make_answer_run(const prepared& p,
                                             const std::vector<analysis_point>& measured) const;
    // roofs_json(hw) as text; a registry entry's is made once.
    [[nodiscard]] std::string roofs_text(const hardware_entry& hw, bool registry_entry) const;
    // Stores the answer, returns its text with run_id (blocks until the run is committed).
    [[nodiscard]] std::string store_answer(const prepared& p,
                                           const std::vector<analysis_point>& measured) const;
    [[nodiscard]] std::shared_ptr<analysis_job> make_job(const std::shared_ptr<const prepared>& p) const;

    server_config& m_config;
    hardware_registry m_registry;
    store::run_store& m_store;
    static_files m_static;
    std::unique_ptr<telemetry_source> m_telemetry;
    // Read once: migrations run when the store opens, and /api/health must not wait behind the store's reader
    // (issue 18: 4.95 s behind one runs.csv export).
    int m_store_schema_version = 0;
    std::vector<std::unique_ptr<worker_supervisor>> m_supervisors; // one per GPU lane
    std::unique_ptr<gpu_queue> m_queue;
    std::optional<device_identity> m_device;
    std::string m_backend_reason; // why prediction-only
    std::string m_default_hw;
    // How m_default_hw was chosen (the device match) and its warning for an unknown GPU: answers that name no
    // hardware carry both.
    std::string m_default_matched_by;
    std::string m_default_warning;
    std::atomic<bool> m_stopping{false};
    mutable std::mutex m_roofs_mutex;
    mutable std::unordered_map<const hardware_entry*, std::string> m_roofs_text;
};

} // namespace roofline::server
