// Host side of the bandwidth roofs: device queries through the CUDA runtime API and figures from the raw times
// the kernels in bandwidth.cu return.
#include "roofline/ceilings/bandwidth.hpp"

#include "bandwidth_kernels.hpp"

#include <cuda_runtime_api.h>

#include <cstdio>

namespace roofline::ceilings {
namespace {

void check(cudaError_t e, const char* call) {
    if (e != cudaSuccess) {
        throw cuda_error(static_cast<int>(e), call, std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e));
    }
}

} // namespace

int device_count(std::string& why) {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        why = std::string("no CUDA device: ") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
        return 0;
    }
    if (n == 0) {
        why = "no CUDA device: the driver reports none";
    }
    return n;
}

device_identity query_device(int device) {
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
    device_identity d;
    d.name = p.name;
    d.compute_capability = std::to_string(p.major) + "." + std::to_string(p.minor);
    d.sm_count = p.multiProcessorCount;
    int v = 0;
    if (cudaDriverGetVersion(&v) == cudaSuccess) {
        d.driver_version = "CUDA " + std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10) + " driver";
    }
    if (cudaRuntimeGetVersion(&v) == cudaSuccess) {
        d.cuda_runtime_version = std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
    }
    // NVML's spelling ("GPU-" and 8-4-4-4-12 hex digits), so telemetry finds the same device by it.
    d.uuid = "GPU-";
    for (int i = 0; i < 16; ++i) {
        char buf[4];
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            d.uuid += '-';
        }
        std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<unsigned char>(p.uuid.bytes[i])));
        d.uuid += buf;
    }
    char bus[32] = {};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, device) == cudaSuccess) {
        d.pci_bus_id = bus;
    }
    d.l2_bytes = static_cast<double>(p.l2CacheSize);
    d.memory_bytes = static_cast<double>(p.totalGlobalMem);
    return d;
}

device_clocks query_clocks(int device) {
    device_clocks c;
    int v = 0;
    check(cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, device), "cudaDeviceGetAttribute(ClockRate)");
    c.sm_clock_max_mhz = v / 1000.0;
    check(cudaDeviceGetAttribute(&v, cudaDevAttrMemoryClockRate, device), "cudaDeviceGetAttribute(MemoryClockRate)");
    c.mem_clock_max_mhz = v / 1000.0;
    check(cudaDeviceGetAttribute(&c.memory_bus_bits, cudaDevAttrGlobalMemoryBusWidth, device),
          "cudaDeviceGetAttribute(GlobalMemoryBusWidth)");
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
