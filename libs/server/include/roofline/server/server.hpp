// `roofline serve`: the HTTP API of docs/API.md over the core, the GPU worker and the run store.
//
// Shape (llama.cpp server's): the HTTP library sits behind one small adapter; handlers take a parsed request
// and return a response; one error boundary turns api_error into {"error": {...}} with its status and
// anything else into a 500, so no handler ever throws out. GPU work runs on the queue's thread, storage on
// the store's writer thread; HTTP threads only parse, predict and serialize.
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/server/worker_supervisor.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace roofline::server {

struct server_config {
    std::string host = "127.0.0.1";
    int port = 8000;                // 0: any free port (printed on start)
    std::filesystem::path db_path;  // a SQLite file, or a postgresql:// URL (the shared store)
    std::uint64_t max_db_bytes = 0; // 0: no limit; beyond it writes get 503 naming --max-db-bytes
    std::string token;              // required unless host is a loopback address
    std::filesystem::path web_root; // empty: no static files (GET / says how to build them)
    std::vector<std::string> cors_origins{"http://localhost:5173"};
    std::size_t queue_capacity = 8;      // GPU analyses that may wait behind the running one
    std::size_t http_threads = 64;       // handler threads (a connection holds none while it waits)
    std::size_t max_connections = 16384; // open connections; one more is answered 503 and closed
    bool use_gpu = true;                 // false: prediction-only without asking a worker
    std::string no_gpu_reason;           // why use_gpu is false, for /api/health
    supervisor_config worker;
    std::string default_hardware_key;             // empty: the local GPU's registry entry, else b10
    std::optional<std::int64_t> worker_gpu_index; // the GPU's index on its node, stored with each run
    // `serve --gpus`: one worker per listed GPU ordinal, each pinned with CUDA_VISIBLE_DEVICES; empty: one
    // worker that sees what the server sees (as before --gpus).
    std::vector<std::int64_t> gpus;
    bool original_client = false;      // POST /api/analyze answers the original client's form (docs/API.md)
    std::filesystem::path profile_dir; // `roofline ceilings` profiles (roof=measured); empty: none
};

// True for 127.0.0.0/8, ::1 and "localhost".
[[nodiscard]] bool is_loopback_host(const std::string& host);

// Checks the security rules before anything starts: a non-loopback host needs a token. Throws
// std::invalid_argument with a message a user can act on.
void check_config(const server_config& config);

struct route_info {
    std::string method; // GET, POST, DELETE
    std::string path;   // OpenAPI template: "/api/runs/{id}"
};
// Every route the API serves (the static-file fallback aside), for the OpenAPI consistency test.
[[nodiscard]] const std::vector<route_info>& api_routes();
// The OpenAPI document served at /api/openapi.json.
[[nodiscard]] const std::string& openapi_document();

class api_server {
  public:
    // Opens the store, asks the worker for its device (when use_gpu), binds the socket. Throws on failure.
    api_server(server_config config, hardware_registry registry);
    api_server(const api_server&) = delete;
    api_server& operator=(const api_server&) = delete;
    ~api_server();

    [[nodiscard]] int port() const noexcept;
    [[nodiscard]] std::string url() const;
    void run();  // serves until stop()
    void stop(); // safe from a signal-watching thread

  private:
    struct impl;
    std::unique_ptr<impl> m_impl;
};

} // namespace roofline::server
