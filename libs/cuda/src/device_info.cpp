// Device identity through the CUDA runtime, and the architectures this build carries.
#include "roofline/cuda/device_info.hpp"

#include "roofline/cuda/detail/cuda_check.hpp"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef ROOFLINE_CUDA_ARCHITECTURES
#error "ROOFLINE_CUDA_ARCHITECTURES (CMAKE_CUDA_ARCHITECTURES, space-separated) must be defined by the build"
#endif

namespace roofline::cuda {
namespace {

std::string driver_version_text() {
    // The kernel module's version ("580.159.04") is what people quote; the CUDA API only knows "13.0".
    std::ifstream in("/proc/driver/nvidia/version");
    std::string line;
    if (in && std::getline(in, line)) {
        // "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build ...": the first
        // word made of digits and dots (with at least one dot) is the version.
        std::istringstream words(line);
        std::string w;
        while (words >> w) {
            const bool digits_and_dots = w.find_first_not_of("0123456789.") == std::string::npos;
            if (digits_and_dots && w.find('.') != std::string::npos &&
                std::isdigit(static_cast<unsigned char>(w[0]))) {
                return w;
            }
        }
    }
    int v = 0;
    if (cudaDriverGetVersion(&v) == cudaSuccess) {
        return "CUDA " + std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10) + " driver";
    }
    return "";
}

// NVML's spelling: "GPU-" and 8-4-4-4-12 hex digits.
std::string uuid_text(const cudaUUID_t& u) {
    std::string s = "GPU-";
    char buf[4];
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            s += '-';
        }
        std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<unsigned char>(u.bytes[i])));
        s += buf;
    }
    return s;
}

} // namespace

int device_count(std::string& why) {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        static_cast<void>(cudaGetLastError());
        // Without the NVIDIA driver the runtime answers "driver version is insufficient", which reads as
        // "upgrade your driver": say what is true instead.
        if (e == cudaErrorInsufficientDriver && !std::filesystem::exists("/proc/driver/nvidia/version")) {
            why = "no CUDA device: no NVIDIA driver found on this machine (cudaErrorInsufficientDriver)";
        } else {
            why = "no CUDA device: " + detail::error_text(e);
        }
        return 0;
    }
    if (n == 0) {
        why = "no CUDA device: cudaGetDeviceCount found none";
    }
    return n;
}

device_identity query_device(int device) {
    cudaDeviceProp props{};
    ROOFLINE_CUDA_CALL(cudaGetDeviceProperties(&props, device));
    device_identity d;
    d.name = props.name;
    d.compute_capability = std::to_string(props.major) + "." + std::to_string(props.minor);
    d.sm_count = props.multiProcessorCount;
    d.driver_version = driver_version_text();
    int rt = 0;
    if (cudaRuntimeGetVersion(&rt) == cudaSuccess) {
        d.cuda_runtime_version = std::to_string(rt / 1000) + "." + std::to_string((rt % 1000) / 10);
    }
    d.uuid = uuid_text(props.uuid);
    char bus[32] = {};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, device) == cudaSuccess) {
        d.pci_bus_id = bus;
    }
    d.l2_bytes = static_cast<double>(props.l2CacheSize);
    d.memory_bytes = static_cast<double>(props.totalGlobalMem);
    return d;
}

std::vector<std::string> compiled_archs() {
    std::vector<std::string> out;
    std::istringstream words(ROOFLINE_CUDA_ARCHITECTURES);
    std::string w;
    while (words >> w) {
        // CMake's spelling: "90" (SASS + PTX), "90-real" (SASS), "90-virtual" (PTX), "100a"; "native"/"all"
        // as is.
        if (w.empty() || std::isdigit(static_cast<unsigned char>(w[0])) == 0) {
            out.push_back(w);
        } else if (const auto dash = w.find("-virtual"); dash != std::string::npos) {
            out.push_back("compute_" + w.substr(0, dash));
        } else {
            out.push_back("sm_" + w);
        }
    }
    return out;
}

std::string compiled_archs_text() {
    std::string s;
    for (const auto& a : compiled_archs()) {
        s += (s.empty() ? "" : " ") + a;
    }
    return s;
}

} // namespace roofline::cuda
