#include "gpus_cli.hpp"

#include "cli_common.hpp"

#ifdef ROOFLINE_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif

#include <algorithm>
#include <iostream>
#include <sstream>

namespace roofline::cli {
namespace {

constexpr std::int64_t max_gpu_ordinal = 1023;

std::vector<std::int64_t> all_gpus() {
#ifdef ROOFLINE_HAVE_TELEMETRY
    std::string why;
    const auto lib = telemetry::nvml::library::shared(why);
    unsigned count = 0;
    if (lib && lib->fns().device_get_count != nullptr &&
        lib->fns().device_get_count(&count) == telemetry::nvml::success && count > 0) {
        std::vector<std::int64_t> out(count);
        for (unsigned i = 0; i < count; ++i) {
            out[i] = i;
        }
        return out;
    }
    throw usage_error("--gpus all: NVML found no GPU (" + (why.empty() ? std::string("count 0") : why) +
                      "); list the ordinals instead, e.g. --gpus 0,1");
#else
    throw usage_error("--gpus all needs NVML to count the GPUs and this build has none; list the ordinals, "
                      "e.g. --gpus 0,1");
#endif
}

} // namespace

std::vector<std::int64_t> parse_gpu_list(const std::string& text) {
    if (text == "all") {
        return all_gpus();
    }
    std::vector<std::int64_t> out;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (item.empty() || item.size() > 4 || item.find_first_not_of("0123456789") != std::string::npos ||
            std::stoll(item) > max_gpu_ordinal) {
            throw usage_error("--gpus: '" + item.substr(0, 20) +
                              "' is not a GPU ordinal; give 'all' or a comma list "
                              "of integers in [0, " +
                              std::to_string(max_gpu_ordinal) + "], e.g. 0,2");
        }
        const auto v = std::stoll(item);
        if (std::find(out.begin(), out.end(), v) != out.end()) {
            throw usage_error("--gpus: GPU " + item + " is listed twice");
        }
        out.push_back(v);
    }
    if (out.empty()) {
        throw usage_error("--gpus: give 'all' or a comma list of GPU ordinals, e.g. 0,2");
    }
    return out;
}

#ifdef ROOFLINE_HAVE_SERVER
std::unique_ptr<gpu_lanes> start_gpu_lanes(const std::vector<std::int64_t>& gpus, const gpu_lane_options& o) {
    if (!(o.precision_timeout_s >= 1 && o.precision_timeout_s <= 86400)) {
        throw usage_error("--precision-timeout must be in [1, 86400] seconds");
    }
    if (!(o.device_timeout_s >= 1 && o.device_timeout_s <= 3600)) {
        throw usage_error("--device-timeout must be in [1, 3600] seconds");
    }
    server::supervisor_config base;
    base.precision_timeout = std::chrono::milliseconds(static_cast<long long>(o.precision_timeout_s * 1000));
    base.device_timeout = std::chrono::milliseconds(static_cast<long long>(o.device_timeout_s * 1000));
    if (!o.worker_command.empty()) {
        std::istringstream in(o.worker_command);
        for (std::string w; in >> w;) {
            base.argv.push_back(w);
        }
    }
    auto lanes = std::make_unique<gpu_lanes>();
    std::vector<server::gpu_lane_init> init;
    std::string reasons;
    bool any = false;
    for (const auto g : gpus) {
        lanes->supervisors.push_back(
            std::make_unique<server::worker_supervisor>(server::pinned_worker(base, g)));
        server::gpu_lane_init l;
        l.supervisor = lanes->supervisors.back().get();
        l.device = l.supervisor->probe_device(l.why);
        if (l.device) {
            any = true;
            std::cerr << "GPU " << g << ": " << l.device->name << ", " << l.device->uuid << ", "
                      << l.device->pci_bus_id
                      << (l.device->serial.empty() ? "" : ", serial " + l.device->serial) << '\n';
        } else {
            std::cerr << "GPU " << g << ": down: " << l.why << '\n';
            reasons += (reasons.empty() ? "" : "; ") + ("GPU " + std::to_string(g) + ": ") + l.why;
        }
        init.push_back(std::move(l));
    }
    if (!any) {
        throw std::runtime_error("no GPU worker answered: " + reasons);
    }
    lanes->queue = std::make_unique<server::gpu_queue>(std::move(init), gpus.size() + 8);
    return lanes;
}
#endif

} // namespace roofline::cli
