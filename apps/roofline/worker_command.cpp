// `roofline worker`: the process that owns the GPU for a supervisor (the server). It speaks the line protocol
// of roofline/core/worker_protocol.hpp on stdin/stdout — one JSON object per line, flushed after each — and
// logs to stderr only, so stdout carries nothing but answers. A sticky CUDA error ends the process after its
// answer: the supervisor then starts a fresh worker (the only way to get a working CUDA context back).
#include "commands.hpp"
#include "local_backend.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/worker_protocol.hpp"

#ifdef ROOFLINE_HAVE_CUDA
#include "roofline/cuda/backend.hpp"
#endif

#ifdef ROOFLINE_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif

#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace roofline::cli {
namespace {

using nlohmann::json;

json error_answer(const json& id, std::string_view code, const std::string& message) {
    return {{"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

void answer(const json& j) {
    std::cout << j.dump() << '\n' << std::flush;
}

bool context_lost() {
#ifdef ROOFLINE_HAVE_CUDA
    return cuda::context_lost();
#else
    return false;
#endif
}

int run_worker() {
    // stdout is the protocol channel: untie it from nothing else and never write logs there.
    std::ios::sync_with_stdio(false);
    std::string why;
    auto backend = make_local_backend(why);
    device_identity device;
    if (backend) {
        device = backend->device();
        device.serial = board_serial(device);
        const auto& d = device;
        std::cerr << "roofline worker: " << d.name << " (sm " << d.compute_capability << "), driver "
                  << d.driver_version << ", cuBLASLt " << d.cublaslt_version << '\n';
    } else {
        std::cerr << "roofline worker: no GPU backend: " << why
                  << "; every request is answered with an error\n";
    }
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        json id = nullptr;
        json request;
        try {
            request = json::parse(line);
            if (!request.is_object()) {
                throw std::invalid_argument("a request is a JSON object");
            }
            id = request.value("id", json(nullptr));
        } catch (const std::exception& e) {
            answer(error_answer(id, "bad_request", std::string("cannot parse the request: ") + e.what()));
            continue;
        }
        if (!backend) {
            answer(error_answer(id, "no_backend", why));
            continue;
        }
        try {
            if (request.contains("command")) {
                const auto command = request.at("command").get<std::string>();
                if (command == "device") {
                    answer({{"id", id}, {"device", to_json(device)}});
                } else {
                    answer(
                        error_answer(id, "bad_request", "unknown command '" + command + "' (known: device)"));
                }
                continue;
            }
            if (!request.contains("problem")) {
                answer(error_answer(id, "bad_request", "a request needs \"problem\" or \"command\""));
                continue;
            }
            const auto problem = problem_from_json(request.at("problem"));
            auto options = measure_options_from_json(request.value("options", json::object()));
#ifdef ROOFLINE_HAVE_TELEMETRY
            // NVML sampling around the timed region, so points measured through the server carry clocks and
            // power like the CLI's. Made once, on first use.
            static std::unique_ptr<measurement_probe> probe = [&] {
                std::string why_no_nvml;
                return std::unique_ptr<measurement_probe>(
                    telemetry::make_probe(backend->device(), why_no_nvml));
            }();
            options.probe = probe.get();
#endif
            auto point = backend->measure(problem, options);
            if (point.measured) {
                point.measured->device.serial = device.serial;
            }
            answer({{"id", id}, {"point", to_json(point)}});
        } catch (const std::invalid_argument& e) {
            answer(error_answer(id, "bad_request", e.what()));
        } catch (const std::exception& e) {
            answer(error_answer(id, "internal", e.what()));
        }
        if (context_lost()) {
            std::cerr
                << "roofline worker: the CUDA context is lost (sticky error); exiting so that a fresh worker "
                   "can start\n";
            return 3;
        }
    }
    return 0;
}

} // namespace

void add_worker_command(CLI::App& app, const global_options& /*global*/) {
    auto* cmd = app.add_subcommand(
        "worker",
        "Measure GEMMs for a supervisor: one JSON request per line on stdin, one answer per line on stdout");
    cmd->group(""); // for the server, not for people: hidden from --help
    cmd->callback([] {
        const int rc = run_worker();
        if (rc != 0) {
            std::exit(rc);
        }
    });
}

} // namespace roofline::cli
