// `roofline doctor`: what this installation can do, each finding with what to do next. Exit 1 when something
// required is missing (the registry, the presets, a writable database; the GPU too with --require-gpu).
#include "cli_common.hpp"
#include "commands.hpp"
#include "local_backend.hpp"
#include "paths.hpp"
#include "roofline/core/measured_profile.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/workload/model_config.hpp"

#ifdef ROOFLINE_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif
#ifdef ROOFLINE_HAVE_STORE
#include "roofline/store/run_store.hpp"
#endif
#ifdef ROOFLINE_HAVE_SERVER
#include "roofline/server/server.hpp"
#include "roofline/server/static_files.hpp"
#endif

#include <arpa/inet.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

namespace roofline::cli {
namespace {

enum class finding { ok, warn, missing };

std::string_view to_string(finding f) {
    return f == finding::ok ? "ok" : (f == finding::warn ? "warn" : "missing");
}

struct check {
    std::string name;
    finding status = finding::ok;
    bool required = false;
    std::string detail;
    std::string next; // what to do, when not ok
};

struct doctor_options {
    std::string format = "table";
    int port = 8000;
    std::string db;
    bool require_gpu = false;
};

#ifdef ROOFLINE_HAVE_STORE
// A shared store: connect, migrate if needed (what the server would do on start) and count its runs. The URL
// is shown without its password.
check postgres_check(const std::string& url) {
    const auto shown = store::redact_url(url);
    try {
        const auto s = store::run_store::open(url);
        return {"database", finding::ok, true,
                "PostgreSQL " + s->location() + ": schema " + std::to_string(s->schema_version()) + ", " +
                    std::to_string(s->count()) + " runs",
                ""};
    } catch (const std::exception& e) {
        return {
            "database", finding::missing, true, "PostgreSQL " + shown + ": " + e.what(),
            "check --db (host, port, user, database; the password belongs in ~/.pgpass) and that the server "
            "runs and accepts this user"};
    }
}
#endif

bool port_free(int port, std::string& why) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        why = "socket() failed";
        return false;
    }
    const int one = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    if (!ok) {
        why = std::string("bind 127.0.0.1:") + std::to_string(port) + ": " + std::strerror(errno);
    }
    ::close(fd);
    return ok;
}

bool writable_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return ::access(dir.c_str(), W_OK) == 0;
}

std::vector<check> run_checks(const doctor_options& o, const global_options& global) {
    std::vector<check> out;
    auto add = [&](check c) { out.push_back(std::move(c)); };
#ifdef ROOFLINE_HAVE_CUDA
    add({"build: CUDA", finding::ok, o.require_gpu, "built with the CUDA/cuBLASLt engine", ""});
#else
    add({"build: CUDA", o.require_gpu ? finding::missing : finding::warn, o.require_gpu,
         "built without CUDA: predictions only",
         "install the CUDA toolkit (nvcc) and rebuild with `cmake --preset release` to measure"});
#endif
#ifdef ROOFLINE_HAVE_TELEMETRY
    add({"build: NVML telemetry", finding::ok, false, "telemetry library built (NVML is loaded at run time)",
         ""});
#else
    add({"build: NVML telemetry", finding::warn, false, "built without the telemetry library",
         "rebuild with the telemetry library to record clocks, power and energy"});
#endif
#ifdef ROOFLINE_HAVE_SERVER
    {
        const auto root = server::default_web_root();
        if (!root.empty()) {
            add({"build: web app", finding::ok, false, "web app found at " + root.string(), ""});
        } else {
            add({"build: web app", finding::warn, false, "web/dist not found",
                 "cd web && npm ci && npm run build (then `roofline serve` serves it)"});
        }
    }
#else
    add({"build: web app", finding::warn, false, "built without the server",
         "rebuild with the server library"});
#endif
    // The GPU, its driver and cuBLASLt, through the same backend `analyze` uses.
    std::string why;
    auto backend = make_local_backend(why);
    std::optional<hardware_registry> registry;
    try {
        registry = load_registry(global.data_dir);
        add({"hardware registry", finding::ok, true,
             std::to_string(registry->entries().size()) + " entries (" +
                 (global.data_dir.empty() ? std::string("built in") : global.data_dir) + ")",
             ""});
    } catch (const std::exception& e) {
        add({"hardware registry", finding::missing, true, e.what(),
             "fix the file and field named, or drop --hardware-dir / $ROOFLINE_HARDWARE_DIR"});
    }
    try {
        add({"model presets", finding::ok, true,
             std::to_string(workload::builtin_presets().size()) +
                 " presets: " + workload::valid_preset_keys(),
             ""});
    } catch (const std::exception& e) {
        add({"model presets", finding::missing, true, e.what(), "fix data/presets and rebuild"});
    }
    if (backend) {
        const auto d = backend->device();
        add({"GPU", finding::ok, o.require_gpu,
             d.name + " (sm " + d.compute_capability + ", " + std::to_string(d.sm_count) + " SMs)", ""});
        add({"driver", finding::ok, false,
             d.driver_version + " (CUDA runtime " + d.cuda_runtime_version + ")", ""});
        add({"cuBLASLt", d.cublaslt_version.empty() ? finding::warn : finding::ok, false,
             d.cublaslt_version.empty() ? "version unknown" : d.cublaslt_version,
             d.cublaslt_version.empty() ? "check the CUDA toolkit installation" : ""});
        const hardware_entry* hw = registry ? registry->match_device(d.name, d.compute_capability) : nullptr;
        if (hw != nullptr) {
            std::string runs;
            for (const auto& p : hw->peaks) {
                if (p.supported) {
                    runs += (runs.empty() ? "" : ", ") + std::string(roofline::to_string(p.precision));
                }
            }
            add({"precisions", finding::ok, false, "registry entry " + hw->key + ": " + runs, ""});
        } else {
            add({"precisions", finding::warn, false, "'" + d.name + "' is not in the hardware registry",
                 "add data/hardware/<gpu>.json (see docs/GUIDE.md) or pass --hardware KEY"});
        }
    } else {
        add({"GPU", o.require_gpu ? finding::missing : finding::warn, o.require_gpu, why,
             "predictions still work; to measure, run on a machine with an NVIDIA GPU and a CUDA build"});
    }
#ifdef ROOFLINE_HAVE_TELEMETRY
    if (backend) {
        std::string nvml_why;
        const auto probe = telemetry::make_probe(backend->device(), nvml_why);
        add({"NVML", probe->available() ? finding::ok : finding::warn, false,
             probe->available() ? "NVML answers for this GPU" : probe->unavailable_reason(),
             probe->available() ? "" : "install the NVIDIA driver's libnvidia-ml.so.1"});
    }
#endif
    {
        const auto dir = profile_dir();
        std::optional<measured_profile> profile;
        if (!dir.empty()) {
            try {
                profile = find_profile(dir, backend ? backend->device().uuid : std::string());
            } catch (const std::exception&) {
                profile.reset();
            }
        }
        add({"calibration", profile ? finding::ok : finding::warn, false,
             profile ? "measured profile in " + dir.string()
                     : "no measured profile in '" + dir.string() + "'",
             profile ? "" : "run `roofline ceilings` on the GPU so --roof measured has this GPU's roofs"});
    }
#ifdef ROOFLINE_HAVE_STORE
    if (const auto url = o.db.empty() ? runs_db_path().string() : o.db; store::is_postgresql_url(url)) {
        add(postgres_check(url));
    } else
#endif
#ifdef ROOFLINE_HAVE_SERVER
    {
        const std::filesystem::path db = o.db.empty() ? runs_db_path() : std::filesystem::path(o.db);
        const auto dir = db.has_parent_path() ? db.parent_path() : std::filesystem::path(".");
        const bool file_ok = !std::filesystem::exists(db) || ::access(db.c_str(), W_OK) == 0;
        const bool ok = writable_dir(dir) && file_ok;
        add({"database", ok ? finding::ok : finding::missing, true,
             db.string() + (ok ? " is writable" : " is not writable"),
             ok ? "" : "set $ROOFLINE_DB or --db to a writable path"});
    }
#endif
    {
        std::string port_why;
        const bool free = port_free(o.port, port_why);
        add({"port " + std::to_string(o.port), free ? finding::ok : finding::warn, false,
             free ? "free on 127.0.0.1" : port_why,
             free ? "" : "a server may already run there; `roofline serve --port N` picks another"});
    }
    return out;
}

void run_doctor(const doctor_options& o, const global_options& global) {
    const auto format = parse_format(o.format);
    const auto checks = run_checks(o, global);
    const bool failed =
        std::ranges::any_of(checks, [](const auto& c) { return c.required && c.status == finding::missing; });
    switch (format) {
    case output_format::json: {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& c : checks) {
            list.push_back({{"name", c.name},
                            {"status", to_string(c.status)},
                            {"required", c.required},
                            {"detail", c.detail},
                            {"next", c.next}});
        }
        std::cout << nlohmann::json{{"schema_version", 1},
                                    {"tool_version", tool_version()},
                                    {"kind", "doctor"},
                                    {"ok", !failed},
                                    {"checks", list}}
                         .dump(2)
                  << '\n';
        break;
    }
    case output_format::csv:
        std::cout << "name,status,required,detail,next\n";
        for (const auto& c : checks) {
            auto q = [](const std::string& s) {
                std::string r = "\"";
                for (char ch : s) {
                    r += ch == '"' ? std::string("\"\"") : std::string(1, ch);
                }
                return r + "\"";
            };
            std::cout << q(c.name) << ',' << to_string(c.status) << ',' << (c.required ? "yes" : "no") << ','
                      << q(c.detail) << ',' << q(c.next) << '\n';
        }
        break;
    case output_format::table:
        for (const auto& c : checks) {
            std::cout << (c.status == finding::ok ? "[ ok ] "
                                                  : (c.status == finding::warn ? "[warn] " : "[MISS] "))
                      << c.name << ": " << c.detail << (c.required ? "" : "") << '\n';
            if (!c.next.empty()) {
                std::cout << "       next: " << c.next << '\n';
            }
        }
        std::cout << (failed ? "something required is missing (exit 1)\n"
                             : "everything required is present\n");
        break;
    }
    if (failed) {
        std::cout.flush();
        std::exit(1);
    }
}

} // namespace

void add_doctor_command(CLI::App& app, const global_options& global) {
    auto o = std::make_shared<doctor_options>();
    auto* cmd =
        app.add_subcommand("doctor", "What this installation can do, and what to do about what it cannot");
    cmd->add_option("--format", o->format, "table, json or csv");
    cmd->add_option("--port", o->port, "Port `roofline serve` would use (default 8000)");
    cmd->add_option(
        "--db", o->db,
        "Run database to check: a SQLite file or a postgresql:// URL, which is connected to, migrated "
        "and counted (default: $ROOFLINE_DB, else ~/.local/share/roofline)");
    cmd->add_flag("--require-gpu", o->require_gpu, "Count a missing GPU or CUDA build as a failure");
    cmd->callback([o, &global] { run_doctor(*o, global); });
}

} // namespace roofline::cli
