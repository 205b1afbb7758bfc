// Measured memory roofs: device-memory (DRAM) read, write and copy bandwidth through kernels of our own, the
// driver's device-to-device copy for reference, and L2 read bandwidth.
//
// This header names no CUDA type, so host code compiled without nvcc (the CLI) can include it. The kernels
// live in bandwidth.cu.
#pragma once

#include "roofline/core/result.hpp"
#include "roofline/cuda/cuda_error.hpp"
#include "roofline/cuda/device_info.hpp" // device_count, query_device: one definition, the engine's

#include <cstddef>
#include <string>
#include <vector>

namespace roofline::ceilings {

// The device's own clocks and bus, for the datasheet-free memory roof (2 transfers per clock × bus width).
struct device_clocks {
    double sm_clock_max_mhz = 0.0;  // cudaDevAttrClockRate
    double mem_clock_max_mhz = 0.0; // cudaDevAttrMemoryClockRate
    int memory_bus_bits = 0;
    [[nodiscard]] double theoretical_bandwidth_bytes_per_s() const noexcept {
        return 2.0 * mem_clock_max_mhz * 1e6 * memory_bus_bits / 8.0;
    }
};
[[nodiscard]] device_clocks query_clocks(int device);

struct bandwidth_options {
    int device = 0;
    std::size_t dram_bytes = 0; // each buffer; 0: 2 GiB, less when free memory is short (copy needs two)
    std::size_t repeats = 20;   // timed launches per kernel variant (median kept)
    bool tune = true;           // try several unroll/block-size/cache-hint variants and keep the fastest
};

struct bandwidth_figure {
    std::string name;              // "dram_read", "dram_write", "dram_copy", "dram_copy_memcpy", "l2_read"
    std::string kernel;            // the variant that won: "int4 x8 unrolled, 512 threads, streaming hint"
    double buffer_bytes = 0.0;     // working set
    double bytes_per_launch = 0.0; // bytes counted per launch: read + written
    timing_stats timing;           // per launch, GPU time (events)
    std::size_t variants_tried = 0;

    [[nodiscard]] double bytes_per_s() const noexcept { // from the median launch
        return timing.median_s > 0 ? bytes_per_launch / timing.median_s : 0.0;
    }
    [[nodiscard]] double best_bytes_per_s() const noexcept {
        return timing.min_s > 0 ? bytes_per_launch / timing.min_s : 0.0;
    }
};

// Runs every bandwidth kernel once (after tuning) and returns one figure per name above. Throws cuda_error.
[[nodiscard]] std::vector<bandwidth_figure> measure_bandwidth(const bandwidth_options& options);

// A GPU-busy loop for telemetry checks: copies `bytes` device-to-device with our copy kernel `launches` times
// back to back and returns the GPU time (s) it took; with `per_launch`, each launch is timed by its own event
// pair and the times land there. Throws cuda_error.
[[nodiscard]] double run_copy_load(int device, std::size_t bytes, std::size_t launches,
                                   std::vector<double>* per_launch = nullptr);

} // namespace roofline::ceilings
