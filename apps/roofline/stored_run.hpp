// The CLI's side of the run store: an analysis the CLI ran, as the run the server would have stored, tagged
// with the node, the GPU and the Slurm job that ran it (so `roofline fleet report` can find and compare it).
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace roofline::cli {

struct run_origin {
    std::optional<device_identity> device; // absent: prediction-only
    std::optional<std::int64_t> gpu_index; // its index on the node
};

// The GPU index this process runs on: --gpu-index when given, else a single CUDA_VISIBLE_DEVICES entry.
[[nodiscard]] std::optional<std::int64_t> gpu_index_from_env();

// The database named by --db, else $ROOFLINE_DB (empty: none).
[[nodiscard]] std::string db_from_option(const std::string& option);

// Stores one analysis (every point, predicted and measured) and returns its run id once committed. The Slurm
// job and array task come from SLURM_ARRAY_JOB_ID / SLURM_ARRAY_TASK_ID (or SLURM_JOB_ID) when set.
std::int64_t store_analysis(const std::string& db, const hardware_entry& hw,
                            const std::vector<analysis_point>& points, const run_origin& origin);

} // namespace roofline::cli
