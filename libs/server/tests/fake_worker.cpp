// A stand-in for `roofline worker` that speaks the line protocol and misbehaves on purpose, so the supervisor
// and the server's fault handling are tested without a GPU. Behaviour by the problem's A precision:
//   FP16, BF16, FP8_E4M3, TF32: a measured point (time from the model's prediction on h100-sxm × 1.25)
//   FP8_E5M2: answers a failed point, then exits with status 3 (what `roofline worker` does after a sticky
//          CUDA error)
//   INT8:  crashes (SIGSEGV) before answering
//   NVFP4: hangs (never answers)
//   INT4:  answers {"error": ..., "fatal": true} and keeps running (a sticky CUDA error)
//   FP32:  prints a line of noise first, then a measured point
//   FP64:  exits with status 3 before answering
// Environment: FAKE_WORKER_DELAY_MS delays every measurement; FAKE_WORKER_NO_DEVICE=1 answers 'device' with
// an error (a machine without a GPU); FAKE_WORKER_LOG=path appends "pid request-id precision" per request.
// A node of fake GPUs (the supervisor pins each worker with CUDA_VISIBLE_DEVICES=N): the device's UUID, PCI
// bus id and serial name N, and points carry telemetry (1980 MHz, 600 of 700 W, 60 °C).
// FAKE_WORKER_HANG_FIRST_PROBE=path: the first worker to be asked 'device' creates `path` and hangs; later
// ones answer (a GPU slow to come up once). FAKE_WORKER_CRASH_GPU=N: the worker of GPU N crashes on every
// measurement. FAKE_WORKER_SLOW_GPU=N: GPU N runs 6% slower at a 6% lower SM clock.
#include "roofline/core/hardware.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/worker_protocol.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>

using json = nlohmann::json;
using namespace roofline;

int main() {
    const char* delay_env = std::getenv("FAKE_WORKER_DELAY_MS");
    const long delay_ms = delay_env != nullptr ? std::atol(delay_env) : 0;
    const bool no_device = std::getenv("FAKE_WORKER_NO_DEVICE") != nullptr;
    const char* log_path = std::getenv("FAKE_WORKER_LOG");
    const auto registry = hardware_registry::builtin();
    const auto& hw = registry.at("h100-sxm");
    const char* cvd = std::getenv("CUDA_VISIBLE_DEVICES");
    const std::string gpu = cvd != nullptr ? cvd : "";
    const auto env_is_gpu = [&](const char* name) {
        const char* v = std::getenv(name);
        return v != nullptr && !gpu.empty() && gpu == v;
    };
    const bool crash_gpu = env_is_gpu("FAKE_WORKER_CRASH_GPU");
    const bool slow_gpu = env_is_gpu("FAKE_WORKER_SLOW_GPU");
    const char* hang_marker = std::getenv("FAKE_WORKER_HANG_FIRST_PROBE");
    device_identity fake;
    fake.name = "Fake GPU (test double)";
    fake.compute_capability = "9.0";
    fake.sm_count = 132;
    fake.driver_version = "fake-1.0";
    fake.uuid = gpu.empty() ? "GPU-fake" : "GPU-fake-" + gpu;
    if (!gpu.empty()) {
        fake.pci_bus_id = "00000000:" + std::string(gpu.size() < 2 ? "0" : "") + gpu + ":00.0";
        fake.serial = "fake-serial-" + gpu;
    }

    std::string line;
    while (std::getline(std::cin, line)) {
        const auto req = json::parse(line, nullptr, false);
        if (!req.is_object()) {
            continue;
        }
        const auto id = req.value("id", 0);
        if (req.value("command", "") == "device") {
            if (hang_marker != nullptr && !std::ifstream(hang_marker).good()) {
                std::ofstream(hang_marker) << getpid() << '\n';
                for (;;) {
                    pause();
                }
            }
            if (no_device) {
                std::cout << json{{"id", id},
                                  {"error", {{"code", "no_device"}, {"message", "no CUDA device: fake"}}}}
                                 .dump()
                          << std::endl;
            } else {
                std::cout << json{{"id", id}, {"device", to_json(fake)}}.dump() << std::endl;
            }
            continue;
        }
        const auto problem = problem_from_json(req.at("problem"));
        const auto options = measure_options_from_json(req.value("options", json::object()));
        if (log_path != nullptr) {
            std::ofstream(log_path, std::ios::app)
                << getpid() << ' ' << id << ' ' << to_string(problem.a) << '\n';
        }
        if (delay_ms > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        }
        if (crash_gpu) {
            std::signal(SIGSEGV, SIG_DFL);
            std::raise(SIGSEGV);
        }
        switch (problem.a) {
        case precision_id::int8:
            // A real crash even in a sanitizer build (AddressSanitizer would catch SIGSEGV and exit(1)).
            std::signal(SIGSEGV, SIG_DFL);
            std::raise(SIGSEGV);
            break;
        case precision_id::nvfp4:
            for (;;) {
                pause();
            }
        case precision_id::int4:
            std::cout << json{{"id", id},
                              {"error",
                               {{"code", "cuda_error"}, {"message", "an illegal memory access (fake)"}}},
                              {"fatal", true}}
                             .dump()
                      << std::endl;
            continue;
        case precision_id::fp64:
            std::exit(3);
        case precision_id::fp32:
            std::cout << "cuBLAS: some library chatter on stdout" << std::endl;
            break;
        case precision_id::fp8_e5m2: {
            auto failed = predict(hw, problem);
            failed.source = point_source::measured;
            failed.status = disposition::failed;
            failed.time_s = 0.0;
            failed.message = "cublasLtMatmul: an illegal memory access was encountered (fake sticky error)";
            std::cout << json{{"id", id}, {"point", to_json(failed)}}.dump() << std::endl;
            std::exit(3);
        }
        default:
            break;
        }
        auto pt = predict(hw, problem);
        pt.source = point_source::measured;
        pt.time_s = (pt.time_s > 0 ? pt.time_s * 1.25 : 1e-3) * (slow_gpu ? 1.06 : 1.0);
        measurement m;
        m.timing.mode = options.mode;
        m.timing.samples = options.samples;
        m.timing.median_s = m.timing.min_s = m.timing.max_s = m.timing.mean_s = pt.time_s;
        m.algorithm = "fake";
        m.kernel_path = "fake worker";
        m.device = fake;
        if (!gpu.empty()) {
            telemetry_summary t;
            t.available = true;
            t.samples = 10;
            t.sm_clock_mean_mhz = slow_gpu ? 1980.0 * 0.94 : 1980.0;
            t.sm_clock_max_mhz = 1980.0;
            t.power_mean_w = 600.0;
            t.power_limit_w = 700.0;
            t.temperature_max_c = 60.0;
            m.telemetry = t;
        }
        pt.measured = m;
        pt.status = disposition::passed;
        pt.message.clear();
        std::cout << json{{"id", id}, {"point", to_json(pt)}}.dump() << std::endl;
    }
    return 0;
}
