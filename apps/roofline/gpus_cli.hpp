// `--gpus all|0,2,...` for analyze, serve and node check: one supervised worker per GPU (libs/server's
// worker_supervisor and gpu_queue), each its own process pinned with CUDA_VISIBLE_DEVICES.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#ifdef ROOFLINE_HAVE_SERVER
#include "roofline/server/gpu_queue.hpp"
#endif

namespace roofline::cli {

// "all" (every GPU NVML counts) or a comma list of ordinals ("0,2"), each once, in [0, 1023]. Throws
// usage_error naming --gpus.
[[nodiscard]] std::vector<std::int64_t> parse_gpu_list(const std::string& text);

#ifdef ROOFLINE_HAVE_SERVER
struct gpu_lanes {
    std::vector<std::unique_ptr<server::worker_supervisor>> supervisors;
    std::unique_ptr<server::gpu_queue> queue; // declared last: stopped before the supervisors go
    ~gpu_lanes() { queue.reset(); }
};

struct gpu_lane_options {
    std::string worker_command; // test hook: a stand-in for `roofline worker` (split on spaces)
    double precision_timeout_s = 180;
    double device_timeout_s = 60;
};

// Starts one worker per GPU and probes each; a GPU whose probe failed is reported on stderr and stays down
// (its precisions fail with the reason). Throws std::runtime_error when no GPU answered.
[[nodiscard]] std::unique_ptr<gpu_lanes> start_gpu_lanes(const std::vector<std::int64_t>& gpus,
                                                         const gpu_lane_options& options);
#endif

} // namespace roofline::cli
