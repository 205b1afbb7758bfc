#include "roofline/server/node_check.hpp"

#ifdef ROOFLINE_SERVER_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif

#include <chrono>

namespace roofline::server {
namespace {

// Submits `job` and waits until its last precision has ended (its points are then in job->measured).
void run_to_end(gpu_queue& queue, const std::shared_ptr<analysis_job>& job) {
    (void)queue.submit(job);
    job_event e;
    while (job->next(e, std::chrono::steady_clock::now() + std::chrono::hours(24)) !=
           analysis_job::wait_result::finished) {
    }
}

std::shared_ptr<analysis_job> pinned_job(const node_check_request& r, const std::vector<std::size_t>& lanes,
                                         const std::function<void(analysis_point&)>& annotate) {
    std::vector<gemm_problem> problems;
    std::vector<int> lane_for;
    for (const auto lane : lanes) {
        for (const auto& p : r.problems) {
            problems.push_back(p);
            lane_for.push_back(static_cast<int>(lane));
        }
    }
    auto job = std::make_shared<analysis_job>(std::move(problems), r.options);
    job->lane_for = std::move(lane_for);
    job->exclusive = true; // alone means the other GPUs idle; together, no other job beside it
    job->annotate = annotate;
    return job;
}

// The points of lane position `k` in a job made by pinned_job over `lane_count` lanes.
std::vector<analysis_point> slice(const std::vector<analysis_point>& all, std::size_t k,
                                  std::size_t per_lane) {
    const auto begin = all.begin() + static_cast<std::ptrdiff_t>(k * per_lane);
    return {begin, begin + static_cast<std::ptrdiff_t>(per_lane)};
}

} // namespace

link_reader nvml_link_reader() {
#ifdef ROOFLINE_SERVER_HAVE_TELEMETRY
    return [](const device_identity& d) {
        node_link l;
        std::string why;
        const auto lib = telemetry::nvml::library::shared(why);
        if (!lib) {
            return l;
        }
        const auto reader = telemetry::open_device(lib, {std::nullopt, d.pci_bus_id, d.uuid}, why);
        if (reader) {
            const auto& i = reader->info();
            l = {i.pcie_generation, i.pcie_generation_max, i.pcie_width, i.pcie_width_max};
        }
        return l;
    };
#else
    return [](const device_identity&) { return node_link{}; };
#endif
}

node_report run_node_check(gpu_queue& queue, const node_check_request& request,
                           const std::function<void(analysis_point&)>& annotate, const link_reader& links) {
    const auto lanes = queue.lanes();
    const auto per_lane = request.problems.size();
    std::vector<node_gpu> gpus(lanes.size());
    // Alone: one GPU after another, the others idle.
    for (std::size_t k = 0; k < lanes.size(); ++k) {
        const auto job = pinned_job(request, {k}, annotate);
        run_to_end(queue, job);
        gpus[k].alone = phase_from_points(job->measured);
    }
    // Together: every GPU at once (each lane runs its own copy of the GEMMs at the same time).
    std::vector<std::size_t> all(lanes.size());
    for (std::size_t k = 0; k < all.size(); ++k) {
        all[k] = k;
    }
    const auto job = pinned_job(request, all, annotate);
    run_to_end(queue, job);
    const auto now = queue.lanes(); // a lane that came up during the check has its identity now
    for (std::size_t k = 0; k < lanes.size(); ++k) {
        auto& g = gpus[k];
        g.together = phase_from_points(slice(job->measured, k, per_lane));
        g.index = now[k].gpu_index ? *now[k].gpu_index : static_cast<std::int64_t>(k);
        if (const auto& d = now[k].device) {
            g.name = d->name;
            g.uuid = d->uuid;
            g.pci_bus_id = d->pci_bus_id;
            g.serial = d->serial;
            if (links) {
                g.link = links(*d);
            }
        }
    }
    return assess_node(std::move(gpus), request.thresholds);
}

} // namespace roofline::server
