#include "gpu_lanes.hpp"

#include "log.hpp"

#include <set>

namespace roofline::server {

void start_gpu_lanes(const server_config& config,
                     std::vector<std::unique_ptr<worker_supervisor>>& supervisors,
                     std::unique_ptr<gpu_queue>& queue, std::optional<device_identity>& device,
                     std::string& why) {
    if (config.gpus.empty()) {
        auto c = config.worker;
        if (!c.gpu_index) {
            c.gpu_index = config.worker_gpu_index;
        }
        supervisors.push_back(std::make_unique<worker_supervisor>(c));
    } else {
        for (const auto ordinal : config.gpus) {
            supervisors.push_back(std::make_unique<worker_supervisor>(pinned_worker(config.worker, ordinal)));
        }
    }
    std::vector<gpu_lane_init> lanes;
    std::string reasons;
    bool any_may_work = false;
    for (auto& s : supervisors) {
        gpu_lane_init l;
        l.supervisor = s.get();
        l.device = s->probe_device(l.why);
        const std::string name =
            s->config().gpu_index ? "GPU " + std::to_string(*s->config().gpu_index) : "GPU";
        if (l.device) {
            any_may_work = true;
            if (!device) {
                device = l.device;
            }
            log_line("GPU worker ready (" + name + "): " + l.device->name + " (sm " +
                     l.device->compute_capability + ", driver " + l.device->driver_version + ", " +
                     l.device->pci_bus_id + ")");
        } else {
            // A worker that answered "no device" will answer the same again; one that hung or crashed while
            // starting may come up (issue 18): its lane stays and probes again with backoff.
            any_may_work = any_may_work || s->last_probe_code() != "no_device";
            reasons += (reasons.empty() ? "" : "; ") + name + ": " + l.why;
            log_line("GPU worker down (" + name + "): " + l.why);
        }
        lanes.push_back(std::move(l));
    }
    if (!any_may_work) {
        why = "no GPU worker: " + reasons;
        supervisors.clear();
        return;
    }
    if (!device) {
        why = "no GPU worker yet (probing again): " + reasons;
    }
    queue = std::make_unique<gpu_queue>(std::move(lanes), config.queue_capacity);
}

void tag_run_gpu(store::new_run& run, const std::vector<analysis_point>& measured,
                 const device_identity& fallback, std::optional<std::int64_t> fallback_index) {
    std::set<std::string> seen;
    const device_identity* one = nullptr;
    for (const auto& p : measured) {
        if (!p.measured || (p.measured->device.uuid.empty() && !p.measured->device.index)) {
            continue;
        }
        const auto& d = p.measured->device;
        seen.insert(d.uuid + "#" + (d.index ? std::to_string(*d.index) : ""));
        one = &d;
    }
    run.device_name = fallback.name;
    run.driver_version = fallback.driver_version;
    if (seen.size() > 1) {
        return; // spread over GPUs: the points name theirs
    }
    const auto& d = one != nullptr && !one->uuid.empty() ? *one : fallback;
    run.device_name = d.name.empty() ? fallback.name : d.name;
    run.device_uuid = d.uuid;
    run.pci_bus_id = d.pci_bus_id.empty() ? fallback.pci_bus_id : d.pci_bus_id;
    run.gpu_serial = d.serial.empty() ? fallback.serial : d.serial;
    run.gpu_index = one != nullptr && one->index ? one->index
                    : fallback.index             ? fallback.index
                                                 : fallback_index;
}

} // namespace roofline::server
