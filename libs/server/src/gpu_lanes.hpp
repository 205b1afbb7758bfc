// Starting the GPU lanes of a server (one supervised worker per GPU of `serve --gpus`) and tagging a stored
// run with the GPU its points ran on.
#pragma once

#include "roofline/server/gpu_queue.hpp"
#include "roofline/server/server.hpp"
#include "roofline/store/run_store.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace roofline::server {

// Makes the supervisors (config.gpus, or one unpinned worker), probes them, and starts the queue when any
// is up or may come up (a probe that hung is retried; a worker that answered "no device" is not).
// `queue` stays null and `why` says why when no lane can work.
void start_gpu_lanes(const server_config& config,
                     std::vector<std::unique_ptr<worker_supervisor>>& supervisors,
                     std::unique_ptr<gpu_queue>& queue, std::optional<device_identity>& device,
                     std::string& why);

// The run's GPU: the one every measured point ran on (its index, UUID, PCI bus id, serial); a run spread
// over several GPUs names none of them (each point's device says which), only the model. `fallback` is the
// server's device, `fallback_index` its --gpu-index.
void tag_run_gpu(store::new_run& run, const std::vector<analysis_point>& measured,
                 const device_identity& fallback, std::optional<std::int64_t> fallback_index);

} // namespace roofline::server
