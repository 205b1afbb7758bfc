// Host side of the bandwidth roofs: the clocks through the CUDA runtime API and figures from the raw times
// the kernels in bandwidth.cu return. Device identity is the engine's (roofline/cuda/device_info.hpp).
#include "roofline/ceilings/bandwidth.hpp"

#include "bandwidth_kernels.hpp"
#include "roofline/cuda/detail/cuda_check.hpp"

#include <cuda_runtime_api.h>

namespace roofline::ceilings {

device_clocks query_clocks(int device) {
    device_clocks c;
    int v = 0;
    ROOFLINE_CUDA_CALL(cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, device));
    c.sm_clock_max_mhz = v / 1000.0;
    ROOFLINE_CUDA_CALL(cudaDeviceGetAttribute(&v, cudaDevAttrMemoryClockRate, device));
    c.mem_clock_max_mhz = v / 1000.0;
    ROOFLINE_CUDA_CALL(cudaDeviceGetAttribute(&c.memory_bus_bits, cudaDevAttrGlobalMemoryBusWidth, device));
    return c;
}

std::vector<bandwidth_figure> measure_bandwidth(const bandwidth_options& o) {
    std::vector<bandwidth_figure> out;
    for (auto& r : detail::run_bandwidth(o.device, o.dram_bytes, o.repeats, o.tune)) {
        bandwidth_figure f;
        f.name = std::move(r.name);
        f.kernel = std::move(r.kernel);
        f.buffer_bytes = r.buffer_bytes;
        f.bytes_per_launch = r.bytes_per_launch;
        f.variants_tried = r.variants_tried;
        f.timing = summarize(std::move(r.times_s), timing_mode::hot, false);
        out.push_back(std::move(f));
    }
    return out;
}

double run_copy_load(int device, std::size_t bytes, std::size_t launches, std::vector<double>* per_launch) {
    return detail::run_copy_load(device, bytes, launches, per_launch);
}

} // namespace roofline::ceilings
