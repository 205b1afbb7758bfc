// Running the node check (roofline/core/node_check.hpp) on a GPU queue: the same GEMMs on each GPU alone,
// one GPU after another, then on every GPU at once; the core judges the results. Shared by `roofline node
// check` and POST /api/node/check.
#pragma once

#include "roofline/core/node_check.hpp"
#include "roofline/server/gpu_queue.hpp"

#include <functional>
#include <vector>

namespace roofline::server {

struct node_check_request {
    std::vector<gemm_problem> problems; // validated
    measure_options options;
    node_thresholds thresholds;
};

// The PCIe link of the GPU at this PCI bus id (NVML; empty where unknown).
using link_reader = std::function<node_link(const device_identity&)>;
[[nodiscard]] link_reader nvml_link_reader();

// Runs both phases on `queue` (every lane, up or down: a down lane's GPU is reported failed) and assesses the
// node. `annotate` fills each point's roof (the server's hardware). Throws api_error when the queue is full.
[[nodiscard]] node_report run_node_check(gpu_queue& queue, const node_check_request& request,
                                         const std::function<void(analysis_point&)>& annotate,
                                         const link_reader& links);

} // namespace roofline::server
