// The cuBLASLt backend: plan → allocate → random inputs → choose the algorithm (cache or timed search) →
// verify against an FP64 reference → warm up → timed samples. Every step that can fail throws inside;
// measure() is the edge that turns any failure into a point with a disposition and a sentence.
#include "roofline/cuda/backend.hpp"

#include "algo_cache.hpp"
#include "cublaslt_names.hpp"
#include "cuda_call.hpp"
#include "gemm_plan.hpp"
#include "kernels.hpp"
#include "w4a16_measure.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <type_traits>
#include <utility>

namespace roofline::cuda {
namespace {

std::atomic<bool> g_context_lost{false};

constexpr std::size_t mib = std::size_t{1} << 20;
// cuBLASLt's recommended workspace on sm_90/sm_10x/sm_12x: some of the fastest Hopper kernels need it.
constexpr std::size_t workspace_bytes = 32 * mib;
// Samples queued behind one blocking kernel; the event pool holds two per sample plus one.
constexpr std::size_t batch_samples = 10;
constexpr std::uint64_t block_timeout_ns = 5'000'000'000ull;
constexpr std::size_t candidate_samples = 5;
// Warm-up before the timed samples. Paced sampling (the default) keeps the GPU at its boost clock, so 20 ms
// is enough: it loads the chosen kernel and fills the launch queue. Continuous sampling measures the clocks
// the GPU sustains under its power limit (700 W on H100/H200 SXM pulls a large GEMM from 1980 to 1100-1600
// MHz within about a second), so it first keeps the GPU busy for 1 s, counting the search and the
// measurements just before. $ROOFLINE_WARMUP_SECONDS (0 to 10) overrides either.
constexpr double paced_warmup_seconds = 0.02;
constexpr double continuous_warmup_seconds = 1.0;
// The minimum warm-up even when the GPU is already warm: loads the chosen kernel and fills the launch queue.
constexpr double min_warmup_seconds = 0.02;
// An idle gap longer than this ends a busy period (the power controller relaxes within a few hundred ms).
constexpr double idle_gap_seconds = 0.25;
// Paced sampling: no single rest longer than this, whatever the sample took.
constexpr std::uint64_t max_idle_ns = 1'000'000'000ull;
// The rest-power measurement: just over the 1 s that energy needs.
constexpr double energy_min_region_s = 1.0;
constexpr std::uint64_t rest_probe_ns = 1'050'000'000ull;
constexpr int max_sample_side = 64; // verification grid: up to 64 × 64 elements of D
constexpr std::size_t scalar_slot =
    256; // bytes between the device scalars (FP8 scales), each 256-byte aligned

// Brackets a region for the telemetry probe (none when null). A probe that fails leaves the point measured
// and says why in its telemetry instead.
class probe_guard {
  public:
    explicit probe_guard(measurement_probe* probe) : m_probe(probe) {
        if (m_probe != nullptr) {
            m_probe->begin();
        }
    }
    probe_guard(const probe_guard&) = delete;
    probe_guard& operator=(const probe_guard&) = delete;
    ~probe_guard() = default;
    [[nodiscard]] bool active() const noexcept { return m_probe != nullptr; }
    telemetry_summary end(const probe_counts& counts) {
        try {
            return m_probe->end(counts);
        } catch (const std::exception& e) {
            telemetry_summary t;
            t.available = false;
            t.unavailable_reason = std::string("telemetry probe failed: ") + e.what();
            return t;
        }
    }

  private:
    measurement_probe* m_probe;
};

double warmup_seconds(sample_pacing pacing) {
    const double fallback = pacing == sample_pacing::paced ? paced_warmup_seconds : continuous_warmup_seconds;
    if (const char* env = std::getenv("ROOFLINE_WARMUP_SECONDS"); env != nullptr && *env != '\0') {
        try {
            return std::clamp(std::stod(env), 0.0, 10.0);
        } catch (const std::exception&) {
            return fallback;
        }
    }
    return fallback;
}

std::string join(const std::vector<std::string>& parts) {
    std::string s;
    for (const auto& x : parts) {
        s += (s.empty() ? "" : ",") + x;
    }
    return s;
}

template <auto destroy>
struct call_deleter {
    template <class P>
    void operator()(P p) const noexcept {
        static_cast<void>(destroy(p));
    }
};
using stream_ptr = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, call_deleter<cudaStreamDestroy>>;
using event_ptr = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, call_deleter<cudaEventDestroy>>;
using handle_ptr = std::unique_ptr<std::remove_pointer_t<cublasLtHandle_t>, call_deleter<cublasLtDestroy>>;
using desc_ptr =
    std::unique_ptr<std::remove_pointer_t<cublasLtMatmulDesc_t>, call_deleter<cublasLtMatmulDescDestroy>>;
using layout_ptr =
    std::unique_ptr<std::remove_pointer_t<cublasLtMatrixLayout_t>, call_deleter<cublasLtMatrixLayoutDestroy>>;
using pref_ptr = std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>,
                                 call_deleter<cublasLtMatmulPreferenceDestroy>>;
using host_ptr = std::unique_ptr<int, call_deleter<cudaFreeHost>>;

// The plan's layouts, narrowed by $ROOFLINE_LAYOUTS ("TN,TT": tests force each layout through the
// verification; anything the plan does not offer is ignored, and an empty result falls back to the plan's).
std::vector<std::string> searched_layouts(const gemm_plan& plan) {
    const char* env = std::getenv("ROOFLINE_LAYOUTS");
    if (env == nullptr || *env == '\0') {
        return plan.layouts;
    }
    std::vector<std::string> out;
    const std::string wanted = std::string(",") + env + ",";
    for (const auto& l : plan.layouts) {
        if (wanted.find("," + l + ",") != std::string::npos) {
            out.push_back(l);
        }
    }
    return out.empty() ? plan.layouts : out;
}

// The cuBLASLt descriptors of one problem in one layout. Owns them; freed together.
struct problem_descs {
    std::string layout;
    desc_ptr desc;
    layout_ptr a, b, c, d;
};

// This object owns a CUDA allocation that must be freed exactly once: copies are deleted, moves hand it over.
class device_buffer {
  public:
    device_buffer() = default;
    explicit device_buffer(std::size_t bytes) : m_bytes(bytes) {
        if (bytes != 0) {
            ROOFLINE_CUDA_CALL(cudaMalloc(&m_ptr, bytes));
        }
    }
    device_buffer(const device_buffer&) = delete;
    device_buffer& operator=(const device_buffer&) = delete;
    device_buffer(device_buffer&& o) noexcept
        : m_ptr(std::exchange(o.m_ptr, nullptr)), m_bytes(std::exchange(o.m_bytes, 0)) {}
    device_buffer& operator=(device_buffer&& o) noexcept {
        if (this != &o) {
            reset();
            m_ptr = std::exchange(o.m_ptr, nullptr);
            m_bytes = std::exchange(o.m_bytes, 0);
        }
        return *this;
    }
    ~device_buffer() { reset(); }
    [[nodiscard]] void* get() const noexcept { return m_ptr; }
    [[nodiscard]] std::size_t bytes() const noexcept { return m_bytes; }
    template <class T>
    [[nodiscard]] T* as() const noexcept {
        return static_cast<T*>(m_ptr);
    }

  private:
    void reset() noexcept {
        if (m_ptr != nullptr) {
            static_cast<void>(cudaFree(m_ptr));
            m_ptr = nullptr;
        }
    }
    void* m_ptr = nullptr;
    std::size_t m_bytes = 0;
};

std::string format_bytes(double b) {
    char buf[64];
    if (b >= 1024.0 * 1024 * 1024 * 1024) {
        std::snprintf(buf, sizeof buf, "%.2f TiB", b / (1024.0 * 1024 * 1024 * 1024));
    } else if (b >= 1024.0 * 1024 * 1024) {
        std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
    }
    return buf;
}

std::string format_number(double v, int digits = 3) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
}

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

device_identity read_identity(int device, const cudaDeviceProp& props) {
    device_identity d;
    d.name = props.name;
    d.compute_capability = std::to_string(props.major) + "." + std::to_string(props.minor);
    d.sm_count = props.multiProcessorCount;
    d.driver_version = driver_version_text();
    int rt = 0;
    if (cudaRuntimeGetVersion(&rt) == cudaSuccess) {
        d.cuda_runtime_version = std::to_string(rt / 1000) + "." + std::to_string((rt % 1000) / 10);
    }
    const auto lt = cublasLtGetVersion();
    d.cublaslt_version =
        std::to_string(lt / 10000) + "." + std::to_string((lt / 100) % 100) + "." + std::to_string(lt % 100);
    d.uuid = uuid_text(props.uuid);
    char bus[32] = {};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, device) == cudaSuccess) {
        d.pci_bus_id = bus;
    }
    d.l2_bytes = static_cast<double>(props.l2CacheSize);
    d.memory_bytes = static_cast<double>(props.totalGlobalMem);
    return d;
}

template <class T>
void set_desc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const T& value) {
    ROOFLINE_CUBLAS_CALL(cublasLtMatmulDescSetAttribute(desc, attr, &value, sizeof value));
}

std::string describe_algo(const cublasLtMatmulAlgo_t& algo, std::size_t workspace) {
    const auto get = [&algo](cublasLtMatmulAlgoConfigAttributes_t attr, auto& value) {
        std::size_t written = 0;
        return cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &value, sizeof value, &written) ==
               CUBLAS_STATUS_SUCCESS;
    };
    int id = -1;
    std::uint32_t tile = 0;
    std::uint32_t stages = 0;
    std::int32_t splitk = 1;
    std::uint32_t swizzle = 0;
    std::uint32_t custom = 0;
    std::uint16_t cluster = 0;
    std::string s = "cuBLASLt algo ";
    s += get(CUBLASLT_ALGO_CONFIG_ID, id) ? std::to_string(id) : "?";
    if (get(CUBLASLT_ALGO_CONFIG_TILE_ID, tile)) {
        s += ", tile " + matmul_tile_name(tile);
    }
    if (get(CUBLASLT_ALGO_CONFIG_STAGES_ID, stages)) {
        s += ", stages " + matmul_stages_name(stages);
    }
    if (get(CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID, cluster)) {
        s += ", cluster " + cluster_shape_name(cluster);
    }
    if (get(CUBLASLT_ALGO_CONFIG_SPLITK_NUM, splitk)) {
        s += ", split-K " + std::to_string(splitk);
    }
    if (get(CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING, swizzle)) {
        s += ", swizzle " + std::to_string(swizzle);
    }
    if (get(CUBLASLT_ALGO_CONFIG_CUSTOM_OPTION, custom)) {
        s += ", custom option " + std::to_string(custom);
    }
    s += ", workspace " + format_bytes(static_cast<double>(workspace));
    return s;
}

double median_of(std::vector<double> v) {
    if (v.empty()) {
        return 0.0;
    }
    std::ranges::sort(v);
    const auto n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double relative_spread(const std::vector<double>& v) {
    if (v.size() < 2) {
        return std::numeric_limits<double>::infinity();
    }
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    double ss = 0.0;
    for (const double x : v) {
        ss += (x - mean) * (x - mean);
    }
    return mean > 0 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) / mean : 0.0;
}

std::int64_t round_up(std::int64_t v, std::int64_t to) {
    return (v + to - 1) / to * to;
}

// Releases the blocking kernel when it goes out of scope, also when queueing the batch threw: the GPU must
// never be left spinning on a flag nobody will set.
class release_guard {
  public:
    explicit release_guard(int* flag) : m_flag(flag) {}
    release_guard(const release_guard&) = delete;
    release_guard& operator=(const release_guard&) = delete;
    ~release_guard() { release(); }
    void release() noexcept {
        if (m_flag != nullptr) {
            std::atomic_ref<int>(*m_flag).store(1, std::memory_order_release);
            m_flag = nullptr;
        }
    }

  private:
    int* m_flag;
};

using clock = std::chrono::steady_clock;

// Stamps the end of GPU activity when a measurement leaves, whichever way it leaves.
class busy_mark {
  public:
    explicit busy_mark(clock::time_point& until) : m_until(until) {}
    busy_mark(const busy_mark&) = delete;
    busy_mark& operator=(const busy_mark&) = delete;
    ~busy_mark() { m_until = clock::now(); }

  private:
    clock::time_point& m_until;
};

class cublaslt_backend final : public gemm_backend {
  public:
    explicit cublaslt_backend(int device) : m_device(device) {
        ROOFLINE_CUDA_CALL(cudaSetDevice(device));
        ROOFLINE_CUDA_CALL(cudaGetDeviceProperties(&m_props, device));
        m_identity = read_identity(device, m_props);
        cudaStream_t stream = nullptr;
        ROOFLINE_CUDA_CALL(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
        m_stream.reset(stream);
        cublasLtHandle_t handle = nullptr;
        ROOFLINE_CUBLAS_CALL(cublasLtCreate(&handle));
        m_handle.reset(handle);
        m_workspace = device_buffer(workspace_bytes);
        // One buffer of the L2's size, allocated once: a memset over it before each cold sample evicts the
        // operands (nvbench's l2flush). Re-allocating it per sample would cost more than the GEMMs we time.
        m_flush = device_buffer(static_cast<std::size_t>(std::max(m_props.l2CacheSize, 1 << 20)));
        m_pairs = device_buffer(sizeof(double) * 2 * max_sample_side * max_sample_side);
        m_stamp = device_buffer(sizeof(std::uint64_t));
        m_counter = device_buffer(sizeof(unsigned long long));
        m_scalars = device_buffer(scalar_slot * m_host_scalars.size());
        int* host = nullptr;
        ROOFLINE_CUDA_CALL(
            cudaHostAlloc(reinterpret_cast<void**>(&host), 2 * sizeof(int), cudaHostAllocMapped));
        m_host_flags.reset(host);
        host[0] = 1;
        host[1] = 0;
        ROOFLINE_CUDA_CALL(cudaHostGetDevicePointer(reinterpret_cast<void**>(&m_flags_dev), host, 0));
        for (std::size_t i = 0; i < 2 * batch_samples + 1; ++i) {
            cudaEvent_t e = nullptr;
            ROOFLINE_CUDA_CALL(cudaEventCreate(&e));
            m_events.emplace_back(e);
        }
    }

    [[nodiscard]] device_identity device() const override { return m_identity; }

    [[nodiscard]] analysis_point measure(const gemm_problem& problem,
                                         const measure_options& options) override {
        const std::lock_guard lock(m_mutex);
        analysis_point pt;
        pt.problem = problem;
        pt.source = point_source::measured;
        pt.status = disposition::failed;
        measurement m;
        m.device = m_identity;
        m.kernel_path = "cuBLASLt " + m_identity.cublaslt_version + " (cublasLtMatmul)";
        m.timing.mode = options.mode;
        try {
            pt.traffic = compute_traffic(problem);
            validate(problem);
        } catch (const std::invalid_argument& e) {
            pt.status = disposition::invalid_problem;
            pt.message = e.what();
            pt.measured = std::move(m);
            return pt;
        }
        if (g_context_lost.load()) {
            pt.message =
                "not measured: an earlier sticky CUDA error broke this process's CUDA context; the process "
                "must restart (the server starts a fresh worker)";
            pt.measured = std::move(m);
            return pt;
        }
        if (problem.b == precision_id::w4a16) { // our kernel, not cuBLASLt: src/w4a16_measure.cpp
            try {
                measure_w4a16(problem, options, m_device, m_handle.get(), pt, m);
            } catch (const cuda_error& e) {
                fail(pt, e.what(), e.code() == cudaErrorMemoryAllocation);
            } catch (const std::exception& e) {
                fail(pt, e.what(), false);
            }
            pt.measured = std::move(m);
            return pt;
        }
        auto planned = plan_gemm(problem, m_props.major, m_props.minor);
        if (!planned.plan) {
            pt.status = planned.status;
            pt.message = planned.message;
            if (planned.status == disposition::not_supported) {
                pt.message += " (" + m_identity.name + ")";
            }
            pt.measured = std::move(m);
            return pt;
        }
        const gemm_plan& plan = *planned.plan;
        m.layout = plan.layouts.front();
        m.notes = plan.notes;
        try {
            run(problem, plan, options, pt, m);
        } catch (const cuda_error& e) {
            fail(pt, e.what(), e.code() == cudaErrorMemoryAllocation);
        } catch (const cublas_error& e) {
            fail(pt, e.what(), false);
        } catch (const std::exception& e) {
            fail(pt, e.what(), false);
        }
        pt.measured = std::move(m);
        return pt;
    }

  private:
    void fail(analysis_point& pt, const std::string& what, bool out_of_memory) {
        pt.status = disposition::failed;
        pt.time_s = 0.0;
        pt.message = what;
        if (out_of_memory) {
            pt.message += ". The device ran out of memory although the free-memory check passed (another "
                          "process may be using it): try a smaller shape";
        }
        // Clear a non-sticky error; a sticky one survives every call, and the synchronisation reports it.
        static_cast<void>(cudaGetLastError());
        const auto rc = cudaDeviceSynchronize();
        if (rc != cudaSuccess) {
            g_context_lost.store(true);
            pt.message +=
                ". Sticky CUDA error " + std::string(cudaGetErrorName(rc)) +
                ": this process's CUDA context is unusable until it restarts (the server restarts its "
                "worker)";
        }
    }

    algo_cache& cache_for(const std::filesystem::path& dir) {
        const auto file = dir.empty() ? std::filesystem::path() : dir / "cublaslt_algorithms.json";
        auto& slot = m_caches[file.string()];
        if (!slot) {
            slot = std::make_unique<algo_cache>(file);
        }
        return *slot;
    }

    std::string cache_key(const gemm_problem& p, const gemm_plan& plan, timing_mode mode) const {
        return m_identity.name + "|driver " + m_identity.driver_version + "|cuBLASLt " +
               m_identity.cublaslt_version + "|" + p.shape_label() + "|" + type_name(plan.a_type) + " x " +
               type_name(plan.b_type) + " -> " + type_name(plan.d_type) + " (C " + type_name(plan.c_type) +
               ", compute " + std::to_string(static_cast<int>(plan.compute)) + ")|layouts " +
               join(searched_layouts(plan)) + "|" + std::string(to_string(mode)) +
               (p.reads_c() ? "|beta" : "") + "|workspace " + std::to_string(workspace_bytes);
    }

    // Times `count` launches: cold = one memset over the flush buffer before each, hot = without it. With
    // idle_ratio > 0 (paced) the GPU rests after each sample for idle_ratio × the GEMM's time (a stamp before
    // it, a sleeping one-thread kernel after), otherwise the samples run back to back. Each batch sits behind
    // a blocking kernel until it is fully queued: "The start event may be recorded a non-trivial amount of
    // time before the kernel is ready to launch due to various work submission latencies" (nvbench).
    std::vector<double> time_samples(const std::function<void()>& launch, std::size_t count, timing_mode mode,
                                     double idle_ratio, bool& block_timed_out) {
        std::vector<double> out;
        out.reserve(count);
        int* flags = m_host_flags.get();
        const bool paced = idle_ratio > 0;
        // Hot and continuous: one event between consecutive GEMMs, so nothing but the GEMMs is timed.
        const bool chained = mode == timing_mode::hot && !paced;
        auto* stamp = m_stamp.as<std::uint64_t>();
        while (out.size() < count) {
            const std::size_t n = std::min(batch_samples, count - out.size());
            std::atomic_ref<int>(flags[0]).store(0, std::memory_order_release);
            flags[1] = 0;
            release_guard guard(flags);
            kernels::block_stream(m_flags_dev, m_flags_dev + 1, block_timeout_ns, m_stream.get());
            cudaEvent_t last = nullptr;
            if (!chained) {
                for (std::size_t i = 0; i < n; ++i) {
                    if (mode == timing_mode::cold) {
                        ROOFLINE_CUDA_CALL(
                            cudaMemsetAsync(m_flush.get(), 0, m_flush.bytes(), m_stream.get()));
                    }
                    if (paced) {
                        kernels::stamp(stamp, m_stream.get());
                    }
                    ROOFLINE_CUDA_CALL(cudaEventRecord(m_events[2 * i].get(), m_stream.get()));
                    launch();
                    ROOFLINE_CUDA_CALL(cudaEventRecord(m_events[2 * i + 1].get(), m_stream.get()));
                    if (paced) {
                        kernels::idle_proportional(stamp, idle_ratio, max_idle_ns, m_stream.get());
                    }
                }
                last = m_events[2 * n - 1].get();
            } else {
                ROOFLINE_CUDA_CALL(cudaEventRecord(m_events[0].get(), m_stream.get()));
                for (std::size_t i = 0; i < n; ++i) {
                    launch();
                    ROOFLINE_CUDA_CALL(cudaEventRecord(m_events[i + 1].get(), m_stream.get()));
                }
                last = m_events[n].get();
            }
            guard.release();
            ROOFLINE_CUDA_CALL(cudaEventSynchronize(last));
            if (paced) {
                ROOFLINE_CUDA_CALL(
                    cudaStreamSynchronize(m_stream.get())); // the last rest, before the next batch
            }
            if (std::atomic_ref<int>(flags[1]).load(std::memory_order_acquire) != 0) {
                block_timed_out = true;
            }
            for (std::size_t i = 0; i < n; ++i) {
                float ms = 0.0f;
                if (!chained) {
                    ROOFLINE_CUDA_CALL(
                        cudaEventElapsedTime(&ms, m_events[2 * i].get(), m_events[2 * i + 1].get()));
                } else {
                    ROOFLINE_CUDA_CALL(cudaEventElapsedTime(&ms, m_events[i].get(), m_events[i + 1].get()));
                }
                out.push_back(static_cast<double>(ms) * 1e-3);
            }
        }
        return out;
    }

    // The GPU's draw while the stream rests (one sleeping thread), measured once per backend with the probe
    // over just over a second (shorter regions give no energy): paced telemetry takes the rests' energy out
    // to give the GEMMs' own.
    std::optional<double> rest_power_w(measurement_probe& probe, std::vector<std::string>& notes) {
        if (!m_rest_power_checked) {
            m_rest_power_checked = true;
            ROOFLINE_CUDA_CALL(cudaStreamSynchronize(m_stream.get()));
            probe_guard watch(&probe);
            kernels::rest(rest_probe_ns, m_stream.get());
            ROOFLINE_CUDA_CALL(cudaStreamSynchronize(m_stream.get()));
            const auto t = watch.end(probe_counts{});
            if (t.energy_j && t.region_s > 0) {
                m_rest_power_w = *t.energy_j / t.region_s;
                m_rest_power_note = "rest power " + format_number(*m_rest_power_w, 3) + " W (" +
                                    t.energy_source + " over " + format_number(t.region_s, 2) +
                                    " s of rest, measured once per process)";
            } else {
                m_rest_power_note =
                    "rest power unknown (" +
                    (t.available ? std::string("neither power nor the energy counter could be read")
                                 : t.unavailable_reason) +
                    "): no energy per GEMM for paced samples";
            }
        }
        notes.push_back(m_rest_power_note);
        return m_rest_power_w;
    }

    std::unique_ptr<problem_descs> make_descs(const gemm_plan& plan, const std::string& layout,
                                              std::int64_t M, std::int64_t N, std::int64_t K,
                                              const void* a_scales, const void* b_scales) const {
        auto s = std::make_unique<problem_descs>();
        s->layout = layout;
        const bool a_k = a_contiguous_along_k(layout);
        const bool b_k = b_contiguous_along_k(layout);
        cublasLtMatmulDesc_t raw = nullptr;
        ROOFLINE_CUBLAS_CALL(cublasLtMatmulDescCreate(&raw, plan.compute, plan.scale_type));
        s->desc.reset(raw);
        set_desc(raw, CUBLASLT_MATMUL_DESC_TRANSA, a_k ? CUBLAS_OP_T : CUBLAS_OP_N);
        set_desc(raw, CUBLASLT_MATMUL_DESC_TRANSB, b_k ? CUBLAS_OP_N : CUBLAS_OP_T);
        const auto* scalars = static_cast<const char*>(m_scalars.get());
        if (plan.tensor_scaled_fp8) {
            set_desc(raw, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, static_cast<const void*>(scalars));
            set_desc(raw, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
                     static_cast<const void*>(scalars + scalar_slot));
            set_desc(raw, CUBLASLT_MATMUL_DESC_FAST_ACCUM, std::int8_t{0});
        }
        if (plan.d_scaled) {
            set_desc(raw, CUBLASLT_MATMUL_DESC_D_SCALE_POINTER,
                     static_cast<const void*>(scalars + 2 * scalar_slot));
        }
        if (plan.block_scaled) {
            const auto mode = static_cast<std::int32_t>(plan.block_scale_mode);
            set_desc(raw, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, mode);
            set_desc(raw, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, mode);
            set_desc(raw, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, a_scales);
            set_desc(raw, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, b_scales);
        }
        const auto make_layout = [](cudaDataType_t t, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
            cublasLtMatrixLayout_t l = nullptr;
            ROOFLINE_CUBLAS_CALL(cublasLtMatrixLayoutCreate(&l, t, static_cast<std::uint64_t>(rows),
                                                            static_cast<std::uint64_t>(cols), ld));
            return layout_ptr(l);
        };
        // Stored shapes: op(A) = T means A is kept K × M (lda = K), op(B) = N means B is kept K × N
        // (ldb = K).
        s->a = a_k ? make_layout(plan.a_type, K, M, K) : make_layout(plan.a_type, M, K, M);
        s->b = b_k ? make_layout(plan.b_type, K, N, K) : make_layout(plan.b_type, N, K, N);
        s->c = make_layout(plan.c_type, M, N, M);
        s->d = make_layout(plan.d_type, M, N, M);
        return s;
    }

    void run(const gemm_problem& p, const gemm_plan& plan, const measure_options& o, analysis_point& pt,
             measurement& m) {
        const std::int64_t M = p.m;
        const std::int64_t N = p.n;
        const std::int64_t K = p.k;
        cudaStream_t stream = m_stream.get();
        // The calling thread may have another current device (the server's threads); ours is m_device.
        ROOFLINE_CUDA_CALL(cudaSetDevice(m_device));
        // Busy-period bookkeeping for the warm-up: a gap since the last measurement ends the period.
        if (std::chrono::duration<double>(clock::now() - m_busy_until).count() > idle_gap_seconds) {
            m_busy_since = clock::now();
        }
        const busy_mark mark(m_busy_until);

        // 1. Does it fit? Sizes in doubles first: M·K·8 can exceed 64 bits for the largest allowed
        //    dimensions.
        const auto bytes_of = [](cudaDataType_t t, std::int64_t r, std::int64_t c) {
            const double e = static_cast<double>(r) * static_cast<double>(c);
            return t == CUDA_R_4F_E2M1 ? std::ceil(e / 2) : e * static_cast<double>(storage_bytes(t, 1, 1));
        };
        const double need_a = bytes_of(plan.a_type, M, K);
        const double need_b = bytes_of(plan.b_type, N, K);
        const double need_d = bytes_of(plan.d_type, M, N);
        // C is read only when beta != 0; when C's type differs from D's (FP8 output) it still needs its own
        // buffer, since cuBLASLt accepts C aliasing D only with identical layouts.
        const double need_c = p.reads_c() || plan.c_type != plan.d_type ? bytes_of(plan.c_type, M, N) : 0.0;
        double need_scales = 0.0;
        if (plan.block_scaled) {
            // Scale tensors are tiled in 128 × 4 blocks (cuBLASLt's block-scaling layout): round both
            // sides up.
            const auto blocks = round_up((K + plan.scale_block - 1) / plan.scale_block, 4);
            need_scales =
                static_cast<double>(round_up(M, 128) + round_up(N, 128)) * static_cast<double>(blocks);
        }
        const double need = need_a + need_b + need_c + need_d + need_scales;
        std::size_t free_bytes = 0;
        std::size_t total_bytes = 0;
        ROOFLINE_CUDA_CALL(cudaMemGetInfo(&free_bytes, &total_bytes));
        // Headroom for cuBLASLt's own allocations and the context's growth.
        const double headroom = 64.0 * mib + 0.01 * static_cast<double>(total_bytes);
        if (need + headroom > static_cast<double>(free_bytes)) {
            pt.status = disposition::invalid_problem;
            pt.message = "does not fit on " + m_identity.name + ": the operands need " + format_bytes(need) +
                         " (A " + format_bytes(need_a) + ", B " + format_bytes(need_b) +
                         (need_c > 0 ? ", C " + format_bytes(need_c) : std::string()) + ", D " +
                         format_bytes(need_d) + ") plus " + format_bytes(headroom) + " headroom, but " +
                         format_bytes(static_cast<double>(free_bytes)) + " of " +
                         format_bytes(static_cast<double>(total_bytes)) + " are free; choose a smaller shape";
            return;
        }

        // 2. Buffers and random inputs, drawn afresh for every measurement.
        device_buffer a(static_cast<std::size_t>(need_a));
        device_buffer b(static_cast<std::size_t>(need_b));
        device_buffer d(static_cast<std::size_t>(need_d));
        device_buffer c(static_cast<std::size_t>(need_c));
        device_buffer a_scales;
        device_buffer b_scales;
        const std::uint64_t seed = 0x5EEDull + 0x100000001B3ull * ++m_measurements;
        kernels::fill_random(a.get(), M * K, plan.a_type, plan.input_range, seed, stream);
        kernels::fill_random(b.get(), N * K, plan.b_type, plan.input_range, seed ^ 0xB0B0B0B0ull, stream);
        if (p.reads_c()) {
            kernels::fill_random(c.get(), M * N, plan.c_type, plan.integer ? plan.input_range : 1.0,
                                 seed ^ 0xC0C0C0C0ull, stream);
        }
        if (plan.block_scaled) {
            const auto blocks = round_up((K + plan.scale_block - 1) / plan.scale_block, 4);
            a_scales = device_buffer(static_cast<std::size_t>(round_up(M, 128) * blocks));
            b_scales = device_buffer(static_cast<std::size_t>(round_up(N, 128) * blocks));
            ROOFLINE_CUDA_CALL(cudaMemsetAsync(a_scales.get(), plan.scale_byte, a_scales.bytes(), stream));
            ROOFLINE_CUDA_CALL(cudaMemsetAsync(b_scales.get(), plan.scale_byte, b_scales.bytes(), stream));
        }
        // D = d_scale · (A·B + beta·C) for FP8 outputs: |A·B| is about range²·√K/3 for uniform inputs.
        const double d_scale =
            plan.d_scaled ? 3.0 / (plan.input_range * plan.input_range * std::sqrt(static_cast<double>(K)))
                          : 1.0;
        m_host_scalars = {1.0f, 1.0f, static_cast<float>(d_scale), 1.0f};
        // One scalar per 256-byte slot: cuBLASLt refuses FP8 kernels (CUBLAS_STATUS_NOT_SUPPORTED at launch)
        // when a scale pointer is only 4-byte aligned.
        ROOFLINE_CUDA_CALL(cudaMemcpy2DAsync(m_scalars.get(), scalar_slot, m_host_scalars.data(),
                                             sizeof(float), sizeof(float), m_host_scalars.size(),
                                             cudaMemcpyHostToDevice, stream));

        // 3. The cuBLASLt problem, one set of descriptors per layout to search (column-major throughout).
        const void* c_ptr = p.reads_c() || plan.c_type != plan.d_type ? c.get() : d.get();
        std::vector<std::unique_ptr<problem_descs>> setups;
        for (const auto& layout : searched_layouts(plan)) {
            setups.push_back(make_descs(plan, layout, M, N, K, a_scales.get(), b_scales.get()));
        }

        // alpha = 1 and beta in the scale type (host pointers).
        const double alpha_d = 1.0;
        const double beta_d = p.beta;
        const float alpha_f = 1.0f;
        const auto beta_f = static_cast<float>(p.beta);
        const std::int32_t alpha_i = 1;
        const auto beta_i = static_cast<std::int32_t>(p.beta);
        const void* alpha = plan.scale_type == CUDA_R_64F   ? static_cast<const void*>(&alpha_d)
                            : plan.scale_type == CUDA_R_32I ? static_cast<const void*>(&alpha_i)
                                                            : static_cast<const void*>(&alpha_f);
        const void* beta = plan.scale_type == CUDA_R_64F   ? static_cast<const void*>(&beta_d)
                           : plan.scale_type == CUDA_R_32I ? static_cast<const void*>(&beta_i)
                                                           : static_cast<const void*>(&beta_f);
        const auto launch_with = [&](const problem_descs& s, const cublasLtMatmulAlgo_t& algo,
                                     std::size_t ws) {
            ROOFLINE_CUBLAS_CALL(cublasLtMatmul(m_handle.get(), s.desc.get(), alpha, a.get(), s.a.get(),
                                                b.get(), s.b.get(), beta, c_ptr, s.c.get(), d.get(),
                                                s.d.get(), &algo, m_workspace.get(), ws, stream));
        };

        // 4. The algorithm: the cached choice when it still validates, else time the heuristic's
        //    candidates in every layout of the plan.
        const auto key = cache_key(p, plan, o.mode);
        algo_cache& cache = cache_for(default_cache_dir(o.cache_dir));
        if (!cache.load_warning().empty()) {
            m.notes.push_back(cache.load_warning());
        }
        bool timed_out = false;
        const bool paced = o.pacing == sample_pacing::paced;
        const double idle_ratio = paced ? std::clamp(o.idle_ratio, 0.0, 100.0) : 0.0;
        std::optional<cublasLtMatmulAlgo_t> chosen;
        const problem_descs* chosen_setup = nullptr;
        std::size_t chosen_workspace = 0;
        if (o.use_algorithm_cache) {
            if (const auto rec = cache.find(key)) {
                const problem_descs* setup = nullptr;
                for (const auto& s : setups) {
                    setup = s->layout == rec->layout ? s.get() : setup;
                }
                cublasLtMatmulAlgo_t algo{};
                std::memcpy(algo.data, rec->algo.data(), sizeof algo.data);
                cublasLtMatmulHeuristicResult_t check{};
                const auto st = setup == nullptr
                                    ? CUBLAS_STATUS_INVALID_VALUE
                                    : cublasLtMatmulAlgoCheck(m_handle.get(), setup->desc.get(),
                                                              setup->a.get(), setup->b.get(), setup->c.get(),
                                                              setup->d.get(), &algo, &check);
                if (st == CUBLAS_STATUS_SUCCESS && check.state == CUBLAS_STATUS_SUCCESS &&
                    check.workspaceSize <= workspace_bytes) {
                    try {
                        launch_with(*setup, algo, check.workspaceSize);
                        ROOFLINE_CUDA_CALL(cudaStreamSynchronize(stream));
                        chosen = algo;
                        chosen_setup = setup;
                        chosen_workspace = check.workspaceSize;
                        m.algorithm_from_cache = true;
                        m.candidates_timed = 0;
                        m.notes.push_back("algorithm from the cache " + cache.file().string() +
                                          " (chosen there among " + std::to_string(rec->candidates) +
                                          " timed candidates)");
                    } catch (const cublas_error& e) {
                        m.notes.push_back(std::string("cached algorithm failed to run (") + e.what() +
                                          "); searched again");
                    }
                } else {
                    m.notes.push_back("cached algorithm rejected by cublasLtMatmulAlgoCheck (status " +
                                      std::to_string(static_cast<int>(st)) + "); searched again");
                }
                if (!chosen) {
                    cache.erase(key);
                }
            }
        }
        if (!chosen) {
            cublasLtMatmulPreference_t raw_pref = nullptr;
            ROOFLINE_CUBLAS_CALL(cublasLtMatmulPreferenceCreate(&raw_pref));
            const pref_ptr pref(raw_pref);
            const std::uint64_t ws = workspace_bytes;
            ROOFLINE_CUBLAS_CALL(cublasLtMatmulPreferenceSetAttribute(
                pref.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
            const int requested = static_cast<int>(std::clamp<std::size_t>(o.max_candidates, 1, 64));
            double best = std::numeric_limits<double>::infinity();
            std::string last_error;
            std::size_t ran = 0;
            std::size_t offered = 0;
            std::string per_layout;
            for (const auto& s : setups) {
                std::vector<cublasLtMatmulHeuristicResult_t> results(static_cast<std::size_t>(requested));
                int returned = 0;
                const auto st = cublasLtMatmulAlgoGetHeuristic(m_handle.get(), s->desc.get(), s->a.get(),
                                                               s->b.get(), s->c.get(), s->d.get(), pref.get(),
                                                               requested, results.data(), &returned);
                if (st == CUBLAS_STATUS_NOT_SUPPORTED) {
                    returned = 0;
                } else {
                    ROOFLINE_CUBLAS_CALL(st);
                }
                offered += static_cast<std::size_t>(returned);
                per_layout += (per_layout.empty() ? "" : ", ") + s->layout + " " + std::to_string(returned);
                for (int i = 0; i < returned; ++i) {
                    const auto& r = results[static_cast<std::size_t>(i)];
                    if (r.state != CUBLAS_STATUS_SUCCESS || r.workspaceSize > workspace_bytes) {
                        continue;
                    }
                    try {
                        launch_with(*s, r.algo, r.workspaceSize); // loads the kernel's module, not timed
                        const auto times = time_samples([&] { launch_with(*s, r.algo, r.workspaceSize); },
                                                        candidate_samples, o.mode, idle_ratio, timed_out);
                        ++ran;
                        const double med = median_of(times);
                        if (med < best) {
                            best = med;
                            chosen = r.algo;
                            chosen_setup = s.get();
                            chosen_workspace = r.workspaceSize;
                        }
                    } catch (const cublas_error& e) {
                        last_error = e.what();
                        ROOFLINE_CUDA_CALL(cudaStreamSynchronize(stream));
                    }
                }
            }
            if (offered == 0) {
                pt.status = disposition::not_supported;
                pt.message =
                    "cuBLASLt " + m_identity.cublaslt_version + " has no kernel for " +
                    type_name(plan.a_type) + " x " + type_name(plan.b_type) + " -> " +
                    type_name(plan.d_type) + " at " + p.shape_label() + " on " + m_identity.name + " (sm_" +
                    std::to_string(m_props.major) + std::to_string(m_props.minor) +
                    ") in any searched layout; 8-bit and 4-bit inputs want M, N and K multiples of 16 (INT8: "
                    "of 4)";
                return;
            }
            if (!chosen) {
                pt.status = disposition::failed;
                pt.message = "none of the " + std::to_string(offered) + " cuBLASLt candidates ran" +
                             (last_error.empty() ? std::string() : ": " + last_error);
                return;
            }
            m.candidates_timed = ran;
            m.notes.push_back("algorithm search: " + std::to_string(ran) + " of " + std::to_string(offered) +
                              " cuBLASLt heuristic candidates (asked for up to " + std::to_string(requested) +
                              " per layout; offered: " + per_layout + "; workspace up to " +
                              format_bytes(workspace_bytes) + ") timed " + std::to_string(candidate_samples) +
                              " times each (" + std::string(to_string(o.mode)) + ", " +
                              std::string(to_string(o.pacing)) + "), fastest median kept");
            algo_record rec;
            std::memcpy(rec.algo.data(), chosen->data, sizeof chosen->data);
            rec.layout = chosen_setup->layout;
            rec.description = describe_algo(*chosen, chosen_workspace);
            rec.median_s = best;
            rec.candidates = ran;
            std::string why;
            if (!cache.store(key, rec, why)) {
                m.notes.push_back("algorithm not cached: " + why);
            }
        }
        const cublasLtMatmulAlgo_t algo = *chosen;
        const problem_descs& setup = *chosen_setup;
        m.layout = setup.layout;
        m.notes.push_back(describe_layout(setup.layout));
        m.algorithm = describe_algo(algo, chosen_workspace);
        const auto launch = [&] { launch_with(setup, algo, chosen_workspace); };

        // 5. Verify: poison D, run once, compare sampled elements with an FP64 reference and scan all of
        //    D for poison left behind. A wrong result gets no speed.
        constexpr std::uint32_t int_poison =
            0x7F7F7F7Fu; // |D| < 2^30 by construction, so never a real result
        ROOFLINE_CUDA_CALL(cudaMemsetAsync(d.get(), plan.integer ? 0x7F : 0xFF, d.bytes(), stream));
        launch();
        if (o.corrupt_result_for_test) {
            const std::int64_t rows = (M + 3) / 4;
            kernels::corrupt_rows(d.get(), plan.d_type, M, N, rows, stream);
            m.notes.push_back("test hook: the first " + std::to_string(rows) +
                              " rows of D were negated after the run; verification must report 'incorrect'");
        }
        if (o.verify) {
            kernels::reference_args args;
            args.a = a.get();
            args.a_type = plan.a_type;
            args.b = b.get();
            args.b_type = plan.b_type;
            args.c = p.reads_c() ? c.get() : nullptr;
            args.c_type = plan.c_type;
            args.d = d.get();
            args.d_type = plan.d_type;
            args.m = M;
            args.n = N;
            args.k = K;
            args.a_k_major = a_contiguous_along_k(setup.layout);
            args.b_k_major = b_contiguous_along_k(setup.layout);
            args.scale = d_scale;
            args.beta = p.beta * d_scale;
            args.sample_rows = static_cast<int>(std::min<std::int64_t>(M, max_sample_side));
            args.sample_cols = static_cast<int>(std::min<std::int64_t>(N, max_sample_side));
            kernels::reference_check(args, m_pairs.as<double>(), stream);
            ROOFLINE_CUDA_CALL(cudaMemsetAsync(m_counter.get(), 0, m_counter.bytes(), stream));
            kernels::count_poisoned(d.get(), plan.d_type, M * N, int_poison,
                                    m_counter.as<unsigned long long>(), stream);
            const auto checked =
                static_cast<std::size_t>(args.sample_rows) * static_cast<std::size_t>(args.sample_cols);
            std::vector<double> pairs(2 * checked);
            unsigned long long poisoned = 0;
            ROOFLINE_CUDA_CALL(cudaMemcpyAsync(pairs.data(), m_pairs.get(), sizeof(double) * pairs.size(),
                                               cudaMemcpyDeviceToHost, stream));
            ROOFLINE_CUDA_CALL(
                cudaMemcpyAsync(&poisoned, m_counter.get(), sizeof poisoned, cudaMemcpyDeviceToHost, stream));
            ROOFLINE_CUDA_CALL(cudaStreamSynchronize(stream));
            double err2 = 0.0;
            double ref2 = 0.0;
            double max_abs = 0.0;
            std::size_t non_finite = 0;
            for (std::size_t i = 0; i < checked; ++i) {
                const double got = pairs[2 * i];
                const double ref = pairs[2 * i + 1];
                if (!std::isfinite(got)) {
                    ++non_finite;
                    continue;
                }
                err2 += (got - ref) * (got - ref);
                ref2 += ref * ref;
                max_abs = std::max(max_abs, std::abs(got - ref));
            }
            accuracy acc;
            const double inf = std::numeric_limits<double>::infinity();
            acc.relative_error =
                non_finite != 0 ? inf : (ref2 > 0 ? std::sqrt(err2 / ref2) : (err2 > 0 ? inf : 0.0));
            acc.max_abs_error = non_finite != 0 ? inf : max_abs;
            acc.tolerance = plan.tolerance;
            acc.checked_elements = checked;
            acc.reference = "FP64 on the GPU from the same stored (quantized) inputs, " +
                            std::to_string(args.sample_rows) + " x " + std::to_string(args.sample_cols) +
                            " elements of D spread evenly (first and last rows and columns included); all " +
                            std::to_string(M * N) +
                            " outputs scanned for the poison written before the run. " +
                            "Tolerance: " + plan.tolerance_why;
            m.error = acc;
            const bool values_ok = plan.integer ? (non_finite == 0 && max_abs == 0.0)
                                                : (non_finite == 0 && acc.relative_error <= plan.tolerance);
            if (!values_ok || poisoned != 0) {
                pt.status = disposition::incorrect;
                pt.time_s = 0.0;
                std::string why;
                if (poisoned != 0) {
                    why = std::to_string(poisoned) + " of " + std::to_string(M * N) +
                          " outputs still hold the poison written before the run or are not finite (never "
                          "written, "
                          "or overflowed)";
                }
                if (!values_ok) {
                    why +=
                        (why.empty() ? "" : "; ") + std::string("relative L2 error ") +
                        format_number(acc.relative_error) + " over " + std::to_string(checked) +
                        " sampled elements (tolerance " + format_number(plan.tolerance) +
                        "), max abs error " + format_number(acc.max_abs_error) +
                        (non_finite != 0 ? ", " + std::to_string(non_finite) + " sampled elements not finite"
                                         : "");
                }
                pt.message = "wrong result, so no speed is reported: " + why + " (" + m.algorithm + ")" +
                             (o.corrupt_result_for_test ? "; the corrupt-result test hook was on" : "");
                return;
            }
        } else {
            m.notes.push_back("verification switched off: the result was not checked");
        }

        // 6. Warm up until the GPU has been busy for warmup_seconds() (sustained clocks), at least
        //    min_warmup_seconds. Launched in chunks of ~10 ms, one chunk in flight behind the other.
        const double warm_target = warmup_seconds(o.pacing);
        const double already_busy = std::chrono::duration<double>(clock::now() - m_busy_since).count();
        const double warm_s = std::max(std::min(min_warmup_seconds, warm_target), warm_target - already_busy);
        const auto warm = time_samples(launch, 3, timing_mode::hot, 0.0, timed_out);
        const double per_launch = std::max(median_of(warm), 1e-7);
        const auto chunk = static_cast<std::size_t>(std::clamp(std::ceil(0.01 / per_launch), 1.0, 2000.0));
        std::size_t warm_launches = 3;
        const auto warm_start = clock::now();
        cudaEvent_t previous = nullptr;
        // Paced: the warm-up rests like the samples, or its continuous load would pull the clock down before
        // the first sample (a large GEMM back to back passes 700 W within milliseconds).
        while (paced && std::chrono::duration<double>(clock::now() - warm_start).count() < warm_s) {
            warm_launches += time_samples(launch, batch_samples, o.mode, idle_ratio, timed_out).size();
        }
        for (std::size_t round = 0;
             !paced && std::chrono::duration<double>(clock::now() - warm_start).count() < warm_s; ++round) {
            for (std::size_t i = 0; i < chunk; ++i) {
                launch();
            }
            warm_launches += chunk;
            cudaEvent_t done = m_events[round % 2].get();
            ROOFLINE_CUDA_CALL(cudaEventRecord(done, stream));
            if (previous != nullptr) {
                ROOFLINE_CUDA_CALL(cudaEventSynchronize(previous));
            }
            previous = done;
        }
        ROOFLINE_CUDA_CALL(cudaStreamSynchronize(stream));
        const double warmed_s = std::chrono::duration<double>(clock::now() - warm_start).count();

        // 7. Timed samples, in batches; stop early once the spread is under target after min_samples.
        const std::size_t target =
            std::clamp<std::size_t>(o.samples, 1, std::max<std::size_t>(o.max_samples, 1));
        const std::size_t floor_samples = std::min(std::max<std::size_t>(o.min_samples, 1), target);
        std::vector<double> samples;
        samples.reserve(target);
        std::string stop;
        probe_counts counts;
        // The rest power only matters where the region is long enough to give energy at all (1 s: see
        // roofline::telemetry::summarize), and costs a second to measure.
        if (o.probe != nullptr && paced && o.telemetry_window_s >= energy_min_region_s) {
            counts.rest_power_w = rest_power_w(*o.probe, m.notes);
        }
        probe_guard probe(o.probe);
        const auto wall_start = clock::now();
        // Past the sample cap only to keep the telemetry window open (a 1 s window of 10 µs GEMMs is 50,000
        // samples); the vector of doubles stays a few MB at most.
        const std::size_t cap = std::max(target, o.max_samples);
        constexpr std::size_t telemetry_cap = 1'000'000;
        const auto telemetry_window_open = [&] {
            return probe.active() &&
                   std::chrono::duration<double>(clock::now() - wall_start).count() < o.telemetry_window_s;
        };
        while ((samples.size() < target && samples.size() < cap) ||
               (telemetry_window_open() && samples.size() < telemetry_cap)) {
            const std::size_t n = samples.size() < target
                                      ? std::min(batch_samples, target - samples.size())
                                      : std::min(batch_samples, telemetry_cap - samples.size());
            const auto got = time_samples(launch, n, o.mode, idle_ratio, timed_out);
            samples.insert(samples.end(), got.begin(), got.end());
            const double spread = relative_spread(samples);
            if (samples.size() < target && samples.size() >= floor_samples &&
                spread < o.target_relative_spread && !telemetry_window_open()) {
                stop = "stopped early after " + std::to_string(samples.size()) +
                       " samples: relative spread " + format_number(100 * spread, 2) + "% < " +
                       format_number(100 * o.target_relative_spread, 2) + "%";
                break;
            }
            const double wall = std::chrono::duration<double>(clock::now() - wall_start).count();
            if (samples.size() < target && wall > o.max_seconds) {
                stop = "stopped after " + std::to_string(samples.size()) + " samples at the " +
                       format_number(o.max_seconds) + " s cap";
                break;
            }
        }
        if (probe.active()) {
            counts.gemm_count = samples.size();
            counts.timed_s = std::accumulate(samples.begin(), samples.end(), 0.0);
            // Each rest lasts idle_ratio × its sample (plus the event record, microseconds), at most
            // max_idle_ns.
            for (const double t : samples) {
                counts.rest_s += std::min(idle_ratio * t, static_cast<double>(max_idle_ns) * 1e-9);
            }
            m.telemetry = probe.end(counts);
        }
        m.timing = summarize(samples, o.mode, o.keep_samples);
        m.timing.pacing = o.pacing;
        m.timing.idle_ratio = idle_ratio;
        pt.time_s = m.timing.median_s;
        pt.status = o.verify ? disposition::passed : disposition::not_verified;
        if (plan.measured_b != p.b || plan.measured_a != p.a) {
            pt.message = std::string(info(p.a).name) + " x " + std::string(info(p.b).name) +
                         " is not a cuBLASLt pairing: measured " + std::string(info(plan.measured_a).name) +
                         " A x " + std::string(info(plan.measured_b).name) +
                         " B (same bytes, same tensor-core rate)";
        }

        const double operands = need_a + need_b + (p.reads_c() ? need_c : 0.0) + need_d;
        if (o.mode == timing_mode::cold) {
            m.notes.push_back("cold: before each sample one cudaMemsetAsync over a " +
                              format_bytes(static_cast<double>(m_flush.bytes())) +
                              " buffer (the L2 size, allocated once) evicts the operands from L2");
        } else {
            m.notes.push_back(
                std::string("hot: no flush between samples; the operands (") + format_bytes(operands) +
                (operands <= m_identity.l2_bytes ? ") fit in L2 and stay there"
                                                 : ") exceed L2, so they come from device memory"));
        }
        m.notes.push_back(
            "CUDA events around each GEMM; each batch of up to " + std::to_string(batch_samples) +
            " samples is queued behind a blocking kernel (nvbench's method) so no launch latency is "
            "timed");
        m.notes.push_back(
            paced ? "paced: after each sample the GPU idled " + format_number(idle_ratio, 3) +
                        " x the sample's time, so it stayed under its power limit at its boost clock "
                        "(pacing \"continuous\" measures back to back, the clocks sustained under "
                        "load)"
                  : std::string("continuous: samples back to back, the clocks the GPU sustains under "
                                "load (pacing \"paced\" rests after each sample)"));
        m.notes.push_back("warm-up: " + std::to_string(warm_launches) + " launches over " +
                          format_number(warmed_s, 2) + " s, so that the GPU had been busy for " +
                          format_number(already_busy + warmed_s, 2) + " s (target " +
                          format_number(warm_target, 2) + " s; $ROOFLINE_WARMUP_SECONDS changes it)");
        if (!stop.empty()) {
            m.notes.push_back(stop);
        }
        if (timed_out) {
            m.notes.push_back("the blocking kernel timed out once: a batch may include launch latency");
        }
    }

    int m_device;
    cudaDeviceProp m_props{};
    device_identity m_identity;
    stream_ptr m_stream;
    handle_ptr m_handle;
    device_buffer m_workspace;
    device_buffer m_flush;
    device_buffer m_pairs;
    device_buffer m_stamp; // paced sampling: the GPU timer when the current sample began
    bool m_rest_power_checked = false;
    std::optional<double> m_rest_power_w;
    std::string m_rest_power_note;
    device_buffer m_counter;
    device_buffer m_scalars;
    std::array<float, 4> m_host_scalars{1.0f, 1.0f, 1.0f, 1.0f};
    host_ptr m_host_flags;
    int* m_flags_dev = nullptr;
    std::vector<event_ptr> m_events;
    std::map<std::string, std::unique_ptr<algo_cache>> m_caches;
    std::uint64_t m_measurements = 0;
    clock::time_point m_busy_since{};
    clock::time_point m_busy_until{};
    std::mutex m_mutex;
};

} // namespace

bool context_lost() noexcept {
    return g_context_lost.load();
}

std::unique_ptr<gemm_backend> make_backend(std::string& why) {
    int count = 0;
    const auto rc = cudaGetDeviceCount(&count);
    if (rc != cudaSuccess) {
        static_cast<void>(cudaGetLastError());
        why = std::string("no CUDA device: ") + cudaGetErrorString(rc) + " (" + cudaGetErrorName(rc) + ")";
        return nullptr;
    }
    if (count == 0) {
        why = "no CUDA device: cudaGetDeviceCount found none";
        return nullptr;
    }
    try {
        return std::make_unique<cublaslt_backend>(0);
    } catch (const std::exception& e) {
        why = std::string("the CUDA engine could not start: ") + e.what();
        return nullptr;
    }
}

} // namespace roofline::cuda
