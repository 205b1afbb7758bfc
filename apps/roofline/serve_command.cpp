// `roofline serve`: the HTTP API and the web app (roofline::server).
#include "cli_common.hpp"
#include "commands.hpp"
#include "gpus_cli.hpp"
#include "paths.hpp"

#ifdef ROOFLINE_HAVE_SERVER
#include "roofline/server/server.hpp"
#include "roofline/server/static_files.hpp"
#include "roofline/store/run_store.hpp"

#include <csignal>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <sstream>
#include <thread>
#endif

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace roofline::cli {

#ifdef ROOFLINE_HAVE_SERVER
namespace {

struct serve_options {
    std::string host = "127.0.0.1";
    int port = 8000;
    std::string db;
    std::uint64_t max_db_bytes = 0;
    std::string token;
    std::string web_root;
    std::vector<std::string> cors_origins;
    std::size_t queue_capacity = 8;
    double precision_timeout_s = 180;
    double device_timeout_s = 60;
    std::string hardware;
    bool predict_only = false;
    bool original_client = false;
    std::size_t threads = 64;
    std::size_t max_connections = 16384;
    std::string worker_command; // test hook: a stand-in for `roofline worker`
    std::string gpus;           // --gpus all|0,2: one worker per GPU
    double probe_retry_s = 5;   // first retry of a worker probe that failed; doubles up to 300 s
};

#ifdef ROOFLINE_HAVE_CUDA
// Whether the NVIDIA driver is installed: its kernel module's /proc entry, or (WSL, some containers) its
// user-space library. Without it the CUDA runtime says "CUDA driver version is insufficient", which reads as
// "upgrade".
bool nvidia_driver_present() {
    if (std::filesystem::exists("/proc/driver/nvidia/version")) {
        return true;
    }
    if (void* h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL); h != nullptr) {
        dlclose(h);
        return true;
    }
    return false;
}
#endif

std::vector<std::string> split_words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

void run_serve(const serve_options& o, const global_options& global) {
    server::server_config c;
    c.host = o.host;
    c.port = o.port;
    c.db_path = o.db.empty() ? runs_db_path() : std::filesystem::path(o.db);
    c.profile_dir = profile_dir();
    c.max_db_bytes = o.max_db_bytes;
    c.token = o.token;
    if (c.token.empty()) {
        if (const char* env = std::getenv("ROOFLINE_TOKEN"); env != nullptr) {
            c.token = env;
        }
    }
    if (!o.web_root.empty()) {
        if (!std::filesystem::is_directory(o.web_root)) {
            throw usage_error("--web-root " + o.web_root +
                              " is not a directory (build the web app with "
                              "`cd web && npm run build`, which writes web/dist)");
        }
        c.web_root = o.web_root;
    } else {
        c.web_root = server::default_web_root();
    }
    if (!o.cors_origins.empty()) {
        c.cors_origins.clear();
        for (const auto& list : o.cors_origins) {
            std::istringstream in(list);
            for (std::string origin; std::getline(in, origin, ',');) {
                if (!origin.empty() && origin != "none") {
                    c.cors_origins.push_back(origin);
                }
            }
        }
    }
    c.queue_capacity = o.queue_capacity;
    c.http_threads = o.threads;
    c.max_connections = o.max_connections;
    c.default_hardware_key = o.hardware;
    c.original_client = o.original_client;
    if (!(o.precision_timeout_s >= 1 && o.precision_timeout_s <= 86400)) {
        throw usage_error("--precision-timeout must be in [1, 86400] seconds");
    }
    c.worker.precision_timeout =
        std::chrono::milliseconds(static_cast<long long>(o.precision_timeout_s * 1000));
    if (!(o.device_timeout_s >= 1 && o.device_timeout_s <= 3600)) {
        throw usage_error("--device-timeout must be in [1, 3600] seconds");
    }
    c.worker.device_timeout = std::chrono::milliseconds(static_cast<long long>(o.device_timeout_s * 1000));
    if (!(o.probe_retry_s >= 0.05 && o.probe_retry_s <= 3600)) {
        throw usage_error("--probe-retry must be in [0.05, 3600] seconds");
    }
    c.worker.probe_retry_initial = std::chrono::milliseconds(static_cast<long long>(o.probe_retry_s * 1000));
    if (!o.gpus.empty()) {
        c.gpus = parse_gpu_list(o.gpus);
    }
#ifdef ROOFLINE_HAVE_CUDA
    c.use_gpu = nvidia_driver_present();
    if (!c.use_gpu) {
        c.no_gpu_reason = "no NVIDIA driver found on this machine; prediction-only";
    }
#else
    c.use_gpu = false;
    c.no_gpu_reason = "this build has no CUDA backend (built without nvcc); predictions only";
#endif
    if (!o.worker_command.empty()) {
        c.use_gpu = true;
        c.worker.argv = split_words(o.worker_command);
    }
    if (o.predict_only) {
        c.use_gpu = false;
        c.no_gpu_reason = "started with --predict-only";
    }
    try {
        server::check_config(c);
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }

    // SIGINT/SIGTERM are taken by one thread that stops the server; every other thread (HTTP pool, GPU queue,
    // store writer) is created with them blocked.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    server::api_server srv(c, load_registry(global.data_dir));
    std::cout << "listening on " << srv.url() << std::endl; // tests and scripts read the port from this line
    std::cerr << "roofline: database " << store::redact_url(c.db_path.string()) << "; web app "
              << (c.web_root.empty() ? std::string("not built (GET / says how)") : c.web_root.string())
              << (c.token.empty() ? "" : "; access token required") << std::endl;

    std::thread waiter([&srv, stop_signals] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        srv.stop();
    });
    srv.run();
    kill(getpid(), SIGTERM); // release the waiter when the server stopped for another reason
    waiter.join();
    std::cerr << "roofline: stopped" << std::endl;
}

} // namespace
#endif

void add_serve_command(CLI::App& app, const global_options& global) {
#ifdef ROOFLINE_HAVE_SERVER
    auto o = std::make_shared<serve_options>();
    auto* cmd =
        app.add_subcommand("serve", "Serve the HTTP API and the web app (default http://127.0.0.1:8000)");
    cmd->add_option(
        "--host", o->host,
        "Address to bind (default 127.0.0.1; any other needs --token: reach it through an SSH tunnel)");
    cmd->add_option("--port", o->port, "Port (default 8000; 0 = any free port, printed on start)");
    cmd->add_option(
        "--db", o->db,
        "Database of runs: a SQLite file (default $ROOFLINE_DB, else ~/.local/share/roofline/runs.db) "
        "or a postgresql://user@host:port/dbname URL (a store shared by a fleet)");
    cmd->add_option(
        "--max-db-bytes", o->max_db_bytes,
        "Refuse to store more once the database holds this many bytes (0: no limit); make room with "
        "`roofline runs prune`");
    cmd->add_option(
        "--token", o->token,
        "Access token every request must carry as 'Authorization: Bearer T' (also $ROOFLINE_TOKEN); "
        "required for a non-loopback --host");
    cmd->add_option("--web-root", o->web_root,
                    "Folder of the built web app (default: PREFIX/share/roofline/web when installed, else "
                    "web/dist of the checkout it was built from; only a folder no other user can write)");
    cmd->add_option("--cors-origin", o->cors_origins,
                    "Origin allowed to call the API from a browser (repeatable or comma list; default "
                    "http://localhost:5173, the Vite dev server; 'none' for no cross-origin access)");
    cmd->add_option("--queue-capacity", o->queue_capacity,
                    "GPU analyses that may wait behind the running one; more get 429 (default 8)");
    cmd->add_option("--precision-timeout", o->precision_timeout_s,
                    "Seconds one precision may take in the GPU worker before it is killed and restarted "
                    "(default 180)");
    cmd->add_option("--device-timeout", o->device_timeout_s,
                    "Seconds the GPU worker may take to report its device at start-up (CUDA initialisation) "
                    "before the server starts prediction-only (default 60)");
    cmd->add_option("--hardware", o->hardware,
                    "Default registry key for the roofs (default: the local GPU's)");
    cmd->add_flag("--predict-only", o->predict_only, "Never start the GPU worker: predictions only");
    cmd->add_option(
        "--gpus", o->gpus,
        "Serve every GPU of this node: 'all' or a comma list of ordinals (0,2); one worker process "
        "and lane per GPU, each analysis spread over them (GET /api/gpus, POST /api/node/check)");
    cmd->add_option(
        "--probe-retry", o->probe_retry_s,
        "Seconds before a GPU worker whose start-up probe failed is asked again; doubles after each "
        "failure up to 300 (default 5)");
    cmd->add_flag(
        "--original-client", o->original_client,
        "POST /api/analyze answers in the original (seed) web client's form: `hardware` is the GPU's "
        "name, plus `simulated` and `recommendation` (docs/API.md, \"The original client\")");
    cmd->add_option("--threads", o->threads, "Handler threads (a waiting connection holds none)")->group("");
    cmd->add_option(
        "--max-connections", o->max_connections,
        "Open connections the server holds (idle keep-alive ones included); one more is answered 503 "
        "(default 16384)");
    cmd->add_option("--worker-command", o->worker_command,
                    "Test hook: run this command instead of `roofline worker`")
        ->group("");
    cmd->callback([o, &global] { run_serve(*o, global); });
#else
    auto* cmd =
        app.add_subcommand("serve", "(this build has no server: libcpp-httplib-dev or libsqlite3-dev was "
                                    "missing at configure time)");
    cmd->callback([] {
        throw std::runtime_error(
            "this build has no HTTP server; install libcpp-httplib-dev and libsqlite3-dev and "
            "reconfigure");
    });
    (void)global;
#endif
}

} // namespace roofline::cli
