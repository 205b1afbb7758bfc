// The seam between the bandwidth kernels (bandwidth.cu, compiled as C++17) and the host code that turns their
// raw times into figures (bandwidth.cpp, C++20 with the core types).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace roofline::ceilings::detail {

struct raw_figure {
    std::string name;
    std::string kernel;
    double buffer_bytes = 0.0;
    double bytes_per_launch = 0.0;
    std::vector<double> times_s; // one per timed launch
    std::size_t variants_tried = 0;
};

// Read, write, copy, cudaMemcpy and L2 read, in that order. Throws cuda_error.
[[nodiscard]] std::vector<raw_figure> run_bandwidth(int device, std::size_t dram_bytes, std::size_t repeats,
                                                    bool tune);
[[nodiscard]] double run_copy_load(int device, std::size_t bytes, std::size_t launches,
                                   std::vector<double>* per_launch);

} // namespace roofline::ceilings::detail
