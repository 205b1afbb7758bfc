// The node check: the same GEMMs on every GPU of a node, one GPU at a time ("alone") and all at once
// ("together"), and the GPUs compared. Alone shows what each GPU can do with the node to itself; together
// shows what it does when its neighbours draw on the same power supply, cooling and host links, which is how
// a node runs a job. A GPU can be fine alone and slow together (a shared budget) or slow in both (its own
// clock, power cap, temperature or link).
//
// This file is the judgement, not the measurement: it takes per-GPU figures (from measured points) and says
// which GPUs are outliers and why. It includes no CUDA header, so it is unit-tested with planted data.
#pragma once

#include "roofline/core/result.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace roofline {

// One GPU in one phase: the rate and what the GPU looked like while it ran. Absent: not measured (no NVML).
struct node_phase_result {
    bool ran = false;    // false: the GPU produced no passed point in this phase (message says why)
    std::string message; // why it did not run, or the first failure
    double flops = 0.0;  // work done over the phase's GEMMs
    double time_s = 0.0; // their summed median times
    std::optional<double> sm_clock_mhz;     // mean over the GEMMs' timed regions
    std::optional<double> sm_clock_max_mhz; // the device's maximum
    std::optional<double> power_w;
    std::optional<double> power_limit_w;
    std::optional<double> temperature_c; // the highest seen
    std::vector<std::string> throttle_reasons;

    [[nodiscard]] std::optional<double> tflops() const {
        if (!ran || time_s <= 0.0) {
            return std::nullopt;
        }
        return flops / time_s / 1e12;
    }
};

// Where the GPU sits on the host: the PCIe link it trained to against what it can do. Absent: unknown.
struct node_link {
    std::optional<int> pcie_generation;
    std::optional<int> pcie_generation_max;
    std::optional<int> pcie_width;
    std::optional<int> pcie_width_max;
};

struct node_gpu {
    std::int64_t index = 0; // the device ordinal on the node (what CUDA_VISIBLE_DEVICES names)
    std::string name;
    std::string uuid;
    std::string pci_bus_id;
    std::string serial; // NVML's board serial; empty where the board reports none
    node_link link;
    node_phase_result alone;
    node_phase_result together;
};

// The spread of one phase across GPUs that ran.
struct node_spread {
    std::size_t gpus = 0;
    std::optional<double> median_tflops;
    std::optional<double> min_tflops;
    std::optional<double> max_tflops;
    std::optional<double> spread_pct; // (max - min) / median
};

struct node_outlier {
    std::int64_t index = 0;
    std::string phase;                 // "alone" | "together"
    std::optional<double> deficit_pct; // below the phase's median; absent for a GPU that failed
    // What explains it, from the vocabulary: "clock", "power cap", "thermal", "placement", "shared budget",
    // "failed", and "unexplained" when nothing measured does.
    std::vector<std::string> reasons;
    std::string message; // one sentence a user can act on
};

struct node_thresholds {
    double slow_pct = 3.0;          // a GPU this far below the phase's median is an outlier
    double clock_pct = 2.0;         // an SM clock this far below the peers' median is "clock"
    double power_limit_pct = 2.0;   // a power limit this far below the peers' is a lower cap ("power cap")
    double power_near_limit = 0.97; // drawing this share of its limit: at the cap
    double temperature_c = 10.0;    // this much hotter than the peers' median is "thermal"
    double load_drop_pct = 3.0;     // losing this much more from alone to together than the peers: "shared"
};

struct node_report {
    std::vector<node_gpu> gpus;
    node_spread alone;
    node_spread together;
    std::vector<node_outlier> outliers;
    node_thresholds thresholds;
};

// Spread and outliers of `gpus`. Pure: same input, same report.
[[nodiscard]] node_report assess_node(std::vector<node_gpu> gpus, const node_thresholds& thresholds = {});

// One phase's figures for one GPU from its measured points (the GEMMs of the check, in order): flops and
// times summed over the passed points, clocks and power averaged, the highest temperature, every throttle
// reason seen.
[[nodiscard]] node_phase_result phase_from_points(const std::vector<analysis_point>& points);

// schemas/node_check.schema.json
[[nodiscard]] nlohmann::json to_json(const node_report& r);

} // namespace roofline
