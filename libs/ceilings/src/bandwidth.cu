// Bandwidth kernels: 16-byte accesses, coalesced across the warp, several independent loads in flight per
// thread before the first use. Each is timed per launch with events, back to back, and the median kept.
//
// Compiled as C++17 (nvcc with CMake 3.25 has no C++20 dialect), so it includes no core header: it hands raw
// per-launch times to bandwidth.cpp, which builds the figures.
#include "bandwidth_kernels.hpp"
#include "roofline/cuda/detail/cuda_check.hpp"

#include <algorithm>
#include <cuda_runtime.h>
#include <functional>
#include <limits>

namespace roofline::ceilings::detail {

// The engine's one cuda_error, with the call's text (roofline/cuda/detail/cuda_check.hpp).
void check(cudaError_t e, const char* call) {
    roofline::cuda::detail::check_cuda(e, call, __FILE__, __LINE__);
}
#define CEILINGS_CUDA(call) ROOFLINE_CUDA_CALL(call)

namespace {

// Owns one device allocation, freed exactly once: copying it would free twice.
class device_buffer {
  public:
    explicit device_buffer(std::size_t bytes) { CEILINGS_CUDA(cudaMalloc(&m_ptr, bytes)); }
    device_buffer(const device_buffer&) = delete;
    device_buffer& operator=(const device_buffer&) = delete;
    ~device_buffer() { cudaFree(m_ptr); }
    template <typename T>
    [[nodiscard]] T* as() const noexcept {
        return static_cast<T*>(m_ptr);
    }

  private:
    void* m_ptr = nullptr;
};

class stream {
  public:
    stream() { CEILINGS_CUDA(cudaStreamCreateWithFlags(&m_s, cudaStreamNonBlocking)); }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    ~stream() { cudaStreamDestroy(m_s); }
    [[nodiscard]] cudaStream_t get() const noexcept { return m_s; }

  private:
    cudaStream_t m_s = nullptr;
};

enum class hint { plain, streaming };

template <hint H>
__device__ __forceinline__ int4 load(const int4* p) {
    if constexpr (H == hint::streaming) {
        return __ldcs(p); // evict-first: a stream touched once should not push anything else out of L2
    } else {
        return *p;
    }
}

template <hint H>
__device__ __forceinline__ void store(int4* p, int4 v) {
    if constexpr (H == hint::streaming) {
        __stcs(p, v);
    } else {
        *p = v;
    }
}

__device__ __forceinline__ int fold(int4 v) {
    return v.x ^ v.y ^ v.z ^ v.w;
}

// One block covers threads × U consecutive int4s; thread t reads t, t+threads, ... (coalesced per step).
// `never` is a value the data is not expected to fold to; the store behind it keeps the loads alive without
// costing bandwidth (the compiler cannot prove it false).
template <int U, hint H>
__global__ void read_kernel(const int4* __restrict__ in, std::size_t n, int4* __restrict__ sink, int never) {
    const std::size_t base = static_cast<std::size_t>(blockIdx.x) * blockDim.x * U + threadIdx.x;
    int4 v[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
        const std::size_t i = base + static_cast<std::size_t>(u) * blockDim.x;
        v[u] = i < n ? load<H>(in + i) : make_int4(0, 0, 0, 0);
    }
    int acc = 0;
#pragma unroll
    for (int u = 0; u < U; ++u) {
        acc ^= fold(v[u]);
    }
    if (acc == never) {
        sink[threadIdx.x % 32] = v[0];
    }
}

template <int U, hint H>
__global__ void write_kernel(int4* __restrict__ out, std::size_t n, int seed) {
    const std::size_t base = static_cast<std::size_t>(blockIdx.x) * blockDim.x * U + threadIdx.x;
#pragma unroll
    for (int u = 0; u < U; ++u) {
        const std::size_t i = base + static_cast<std::size_t>(u) * blockDim.x;
        if (i < n) {
            const int x = static_cast<int>(i * 2654435761u) ^ seed; // distinct non-zero words, not a constant
            store<H>(out + i, make_int4(x, x ^ 0x5bd1e995, ~x, x + seed));
        }
    }
}

template <int U, hint H>
__global__ void copy_kernel(const int4* __restrict__ in, int4* __restrict__ out, std::size_t n) {
    const std::size_t base = static_cast<std::size_t>(blockIdx.x) * blockDim.x * U + threadIdx.x;
    int4 v[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
        const std::size_t i = base + static_cast<std::size_t>(u) * blockDim.x;
        if (i < n) {
            v[u] = load<H>(in + i);
        }
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
        const std::size_t i = base + static_cast<std::size_t>(u) * blockDim.x;
        if (i < n) {
            store<H>(out + i, v[u]);
        }
    }
}

// L2: a buffer that fits in L2 read `passes` times by a grid that stays resident. .cg loads skip L1 so every
// access reaches L2. n is a multiple of 4 × the grid's threads, so the four loads per step need no bounds
// test.
__global__ void l2_read_kernel(const int4* __restrict__ in, std::size_t n, int passes,
                               int4* __restrict__ sink, int never) {
    const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
    const std::size_t first = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    int acc = 0;
    for (int p = 0; p < passes; ++p) {
        for (std::size_t i = first; i < n; i += 4 * stride) {
            const int4 a = __ldcg(in + i);
            const int4 b = __ldcg(in + i + stride);
            const int4 c = __ldcg(in + i + 2 * stride);
            const int4 d = __ldcg(in + i + 3 * stride);
            acc ^= fold(a) ^ fold(b) ^ fold(c) ^ fold(d);
        }
    }
    if (acc == never) {
        sink[threadIdx.x % 32] = make_int4(acc, 0, 0, 0);
    }
}

constexpr int never_value = 0x6d2b79f5;

unsigned blocks_for(std::size_t n, int threads, int unroll) {
    const std::size_t per_block = static_cast<std::size_t>(threads) * static_cast<std::size_t>(unroll);
    return static_cast<unsigned>((n + per_block - 1) / per_block);
}

// Times `launch` `repeats` times back to back (one event pair each) after one warm-up launch.
std::vector<double> time_launches(const std::function<void(cudaStream_t)>& launch, std::size_t repeats,
                                  cudaStream_t s) {
    launch(s);
    CEILINGS_CUDA(cudaGetLastError());
    CEILINGS_CUDA(cudaStreamSynchronize(s));
    std::vector<cudaEvent_t> events(2 * repeats);
    for (auto& e : events) {
        CEILINGS_CUDA(cudaEventCreate(&e));
    }
    for (std::size_t r = 0; r < repeats; ++r) {
        CEILINGS_CUDA(cudaEventRecord(events[2 * r], s));
        launch(s);
        CEILINGS_CUDA(cudaEventRecord(events[2 * r + 1], s));
    }
    CEILINGS_CUDA(cudaGetLastError());
    CEILINGS_CUDA(cudaStreamSynchronize(s));
    std::vector<double> times(repeats);
    for (std::size_t r = 0; r < repeats; ++r) {
        float ms = 0;
        CEILINGS_CUDA(cudaEventElapsedTime(&ms, events[2 * r], events[2 * r + 1]));
        times[r] = ms * 1e-3;
    }
    for (auto& e : events) {
        cudaEventDestroy(e);
    }
    return times;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n == 0 ? 0.0 : (n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

struct variant {
    std::string label;
    std::function<void(cudaStream_t)> launch;
};

template <int U, hint H>
std::string label(int threads) {
    return "int4 x" + std::to_string(U) + " per thread, " + std::to_string(threads) + " threads/block" +
           (H == hint::streaming ? ", streaming cache hint" : "");
}

template <template <int, hint> class Family, int U, hint H, typename... Args>
void add_variant(std::vector<variant>& out, int threads, std::size_t n, Args... args) {
    out.push_back({label<U, H>(threads), [=](cudaStream_t s) {
                       Family<U, H>::launch(blocks_for(n, threads, U), threads, s, args...);
                   }});
}

// Every (unroll, block size, cache hint) combination of one kernel family, or only the first when not tuning.
template <template <int, hint> class Family, typename... Args>
std::vector<variant> variants(bool tune, std::size_t n, Args... args) {
    std::vector<variant> out;
    add_variant<Family, 4, hint::plain>(out, 256, n, args...);
    if (tune) {
        add_variant<Family, 4, hint::streaming>(out, 256, n, args...);
        add_variant<Family, 8, hint::plain>(out, 256, n, args...);
        add_variant<Family, 8, hint::streaming>(out, 256, n, args...);
        add_variant<Family, 4, hint::plain>(out, 512, n, args...);
        add_variant<Family, 8, hint::streaming>(out, 512, n, args...);
        add_variant<Family, 2, hint::plain>(out, 1024, n, args...);
        add_variant<Family, 16, hint::streaming>(out, 128, n, args...);
    }
    return out;
}

template <int U, hint H>
struct read_family {
    static void launch(unsigned blocks, int threads, cudaStream_t s, const int4* in, std::size_t n,
                       int4* sink) {
        read_kernel<U, H><<<blocks, threads, 0, s>>>(in, n, sink, never_value);
    }
};
template <int U, hint H>
struct write_family {
    static void launch(unsigned blocks, int threads, cudaStream_t s, int4* out, std::size_t n) {
        write_kernel<U, H><<<blocks, threads, 0, s>>>(out, n, 0x2545f491);
    }
};
template <int U, hint H>
struct copy_family {
    static void launch(unsigned blocks, int threads, cudaStream_t s, const int4* in, int4* out,
                       std::size_t n) {
        copy_kernel<U, H><<<blocks, threads, 0, s>>>(in, out, n);
    }
};

// Tries each variant with a few launches, then times the fastest with the full repeat count.
raw_figure best_of(std::string name, const std::vector<variant>& vs, double buffer_bytes, double bytes,
                   std::size_t repeats, cudaStream_t s) {
    raw_figure f;
    f.name = std::move(name);
    f.buffer_bytes = buffer_bytes;
    f.bytes_per_launch = bytes;
    f.variants_tried = vs.size();
    std::size_t best = 0;
    if (vs.size() > 1) {
        double best_time = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < vs.size(); ++i) {
            const double t = median(time_launches(vs[i].launch, 5, s));
            if (t < best_time) {
                best_time = t;
                best = i;
            }
        }
    }
    f.kernel = vs[best].label;
    f.times_s = time_launches(vs[best].launch, repeats, s);
    return f;
}

} // namespace

std::vector<raw_figure> run_bandwidth(int device, std::size_t dram_bytes, std::size_t repeats, bool tune) {
    CEILINGS_CUDA(cudaSetDevice(device));
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    CEILINGS_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
    std::size_t bytes =
        dram_bytes != 0 ? dram_bytes : std::min<std::size_t>(std::size_t{2} << 30, free_bytes / 3);
    bytes = bytes / (1 << 20) * (1 << 20); // whole MiB: every kernel's int4 count divides evenly
    if (bytes < (std::size_t{64} << 20)) {
        throw roofline::cuda::cuda_error(static_cast<int>(cudaErrorMemoryAllocation), "run_bandwidth",
                                         "only " + std::to_string(free_bytes >> 20) +
                                             " MiB free on the device; bandwidth needs at least 192 MiB");
    }
    const std::size_t n = bytes / sizeof(int4);
    const double b = static_cast<double>(bytes);
    repeats = std::max<std::size_t>(repeats, 3);

    stream s;
    device_buffer src(bytes);
    device_buffer dst(bytes);
    device_buffer sink(32 * sizeof(int4));
    // Random-looking, non-zero contents: zeros could be served faster by a compressing memory system.
    write_kernel<4, hint::plain><<<blocks_for(n, 256, 4), 256, 0, s.get()>>>(src.as<int4>(), n, 0x1234567);
    write_kernel<4, hint::plain><<<blocks_for(n, 256, 4), 256, 0, s.get()>>>(dst.as<int4>(), n, 0x7654321);
    CEILINGS_CUDA(cudaGetLastError());
    CEILINGS_CUDA(cudaStreamSynchronize(s.get()));

    const int4* in = src.as<int4>();
    std::vector<raw_figure> out;
    out.push_back(
        best_of("dram_read", variants<read_family>(tune, n, in, n, sink.as<int4>()), b, b, repeats, s.get()));
    out.push_back(
        best_of("dram_write", variants<write_family>(tune, n, dst.as<int4>(), n), b, b, repeats, s.get()));
    out.push_back(best_of("dram_copy", variants<copy_family>(tune, n, in, dst.as<int4>(), n), b, 2 * b,
                          repeats, s.get()));
    {
        const std::vector<variant> memcpy_variant{
            {"cudaMemcpyAsync device to device", [&](cudaStream_t st) {
                 check(cudaMemcpyAsync(dst.as<void>(), src.as<void>(), bytes, cudaMemcpyDeviceToDevice, st),
                       "cudaMemcpyAsync");
             }}};
        out.push_back(best_of("dram_copy_memcpy", memcpy_variant, b, 2 * b, repeats, s.get()));
    }
    {
        // L2: a third of it, so the set stays resident (L2 is split in partitions and not all of it is usable
        // by one address range), read by a grid of 4 blocks x 256 threads per SM.
        int l2 = 0;
        int sms = 0;
        CEILINGS_CUDA(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
        CEILINGS_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
        const int threads = 256;
        const unsigned blocks = static_cast<unsigned>(sms) * 4;
        const std::size_t quantum = 4 * static_cast<std::size_t>(blocks) * threads;
        const std::size_t l2_n =
            std::max<std::size_t>(static_cast<std::size_t>(l2) / 3 / sizeof(int4) / quantum, 1) * quantum;
        const double l2_bytes = static_cast<double>(l2_n * sizeof(int4));
        // Enough passes for ~2 GB of traffic per launch: long enough that launch latency does not count.
        const int passes = std::max(1, static_cast<int>(2e9 / l2_bytes));
        int4* sink_ptr = sink.as<int4>();
        const std::vector<variant> l2_variant{
            {"int4 x4 per thread, .cg loads (L1 bypassed), " + std::to_string(blocks) +
                 " blocks x 256 threads, " + std::to_string(passes) + " passes",
             [=](cudaStream_t st) {
                 l2_read_kernel<<<blocks, threads, 0, st>>>(in, l2_n, passes, sink_ptr, never_value);
             }}};
        out.push_back(best_of("l2_read", l2_variant, l2_bytes, l2_bytes * passes, repeats, s.get()));
    }
    return out;
}

double run_copy_load(int device, std::size_t bytes, std::size_t launches, std::vector<double>* per_launch) {
    CEILINGS_CUDA(cudaSetDevice(device));
    bytes = std::max<std::size_t>(bytes / (1 << 20), 1) * (1 << 20);
    const std::size_t n = bytes / sizeof(int4);
    stream s;
    device_buffer src(bytes);
    device_buffer dst(bytes);
    write_kernel<4, hint::plain><<<blocks_for(n, 256, 4), 256, 0, s.get()>>>(src.as<int4>(), n, 99);
    const int4* in = src.as<int4>();
    int4* out = dst.as<int4>();
    const auto launch = [=](cudaStream_t st) {
        copy_kernel<8, hint::streaming><<<blocks_for(n, 256, 8), 256, 0, st>>>(in, out, n);
    };
    if (per_launch != nullptr) {
        *per_launch = time_launches(launch, launches, s.get());
        double total = 0.0;
        for (const double t : *per_launch) {
            total += t;
        }
        return total;
    }
    launch(s.get()); // warm-up: first-launch costs stay out of the time
    cudaEvent_t start = nullptr;
    cudaEvent_t stop = nullptr;
    CEILINGS_CUDA(cudaEventCreate(&start));
    CEILINGS_CUDA(cudaEventCreate(&stop));
    CEILINGS_CUDA(cudaEventRecord(start, s.get()));
    for (std::size_t i = 0; i < launches; ++i) {
        launch(s.get());
    }
    CEILINGS_CUDA(cudaEventRecord(stop, s.get()));
    CEILINGS_CUDA(cudaGetLastError());
    CEILINGS_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    CEILINGS_CUDA(cudaEventElapsedTime(&ms, start, stop));
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return ms * 1e-3;
}

} // namespace roofline::ceilings::detail
