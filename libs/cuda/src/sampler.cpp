#include "sampler.hpp"

#include "format.hpp"
#include "kernels.hpp"
#include "statistics.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <numeric>

namespace roofline::cuda {
namespace {

constexpr std::uint64_t block_timeout_ns = 5'000'000'000ull;
// Warm-up before the timed samples. Paced sampling (the default) keeps the GPU at its boost clock, so 20 ms
// is enough: it loads the chosen kernel and fills the launch queue. Continuous sampling measures the clocks
// the GPU sustains under its power limit (700 W on H100/H200 SXM pulls a large GEMM from 1980 to 1100-1600
// MHz within about a second), so it first keeps the GPU busy for 1 s, counting the search and the
// measurements just before. engine_settings::warmup_s (the app reads $ROOFLINE_WARMUP_SECONDS, 0 to 10)
// overrides either.
constexpr double paced_warmup_seconds = 0.02;
constexpr double continuous_warmup_seconds = 1.0;
// The minimum warm-up even when the GPU is already warm: loads the chosen kernel and fills the launch queue.
constexpr double min_warmup_seconds = 0.02;
constexpr double max_warmup_seconds = 10.0;
// An idle gap longer than this ends a busy period (the power controller relaxes within a few hundred ms).
constexpr double idle_gap_seconds = 0.25;
// Paced sampling: no single rest longer than this, whatever the sample took.
constexpr std::uint64_t max_idle_ns = 1'000'000'000ull;
// The rest-power measurement: just over the 1 s that energy needs.
constexpr double energy_min_region_s = 1.0;
constexpr std::uint64_t rest_probe_ns = 1'050'000'000ull;
// Past the sample cap only to keep the telemetry window open (a 1 s window of 10 µs GEMMs is 50,000 samples);
// the vector of doubles stays a few MB at most.
constexpr std::size_t telemetry_cap = 1'000'000;

using clock = sampler::clock;

double seconds_since(clock::time_point t) {
    return std::chrono::duration<double>(clock::now() - t).count();
}

double warmup_seconds(sample_pacing pacing, std::optional<double> configured) {
    if (configured) {
        return std::clamp(*configured, 0.0, max_warmup_seconds);
    }
    return pacing == sample_pacing::paced ? paced_warmup_seconds : continuous_warmup_seconds;
}

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

} // namespace

sampler::sampler(cudaStream_t stream, std::size_t l2_bytes, std::optional<double> warmup_s)
    : m_warmup_s(warmup_s), m_stream(stream), m_flush(std::max<std::size_t>(l2_bytes, mib)),
      m_stamp(sizeof(std::uint64_t)) {
    int* host = nullptr;
    ROOFLINE_CUDA_CALL(cudaHostAlloc(reinterpret_cast<void**>(&host), 2 * sizeof(int), cudaHostAllocMapped));
    m_host_flags.reset(host);
    host[0] = 1;
    host[1] = 0;
    ROOFLINE_CUDA_CALL(cudaHostGetDevicePointer(reinterpret_cast<void**>(&m_flags_dev), host, 0));
    for (std::size_t i = 0; i < 2 * batch_samples + 1; ++i) {
        m_events.push_back(make_event());
    }
}

sampler::busy_mark sampler::begin_measurement() {
    if (seconds_since(m_busy_until) > idle_gap_seconds) {
        m_busy_since = clock::now();
    }
    return busy_mark(m_busy_until);
}

// Each batch sits behind a blocking kernel until it is fully queued: "The start event may be recorded a
// non-trivial amount of time before the kernel is ready to launch due to various work submission latencies"
// (nvbench). Paced: a stamp before each launch and a sleeping one-thread kernel after it.
std::vector<double> sampler::time_samples(const launch_fn& launch, std::size_t count, timing_mode mode,
                                          double idle_ratio) {
    std::vector<double> out;
    out.reserve(count);
    int* flags = m_host_flags.get();
    const bool paced = idle_ratio > 0;
    // Hot and continuous: one event between consecutive launches, so nothing but the launches is timed.
    const bool chained = mode == timing_mode::hot && !paced;
    auto* stamp = m_stamp.as<std::uint64_t>();
    while (out.size() < count) {
        const std::size_t n = std::min(batch_samples, count - out.size());
        std::atomic_ref<int>(flags[0]).store(0, std::memory_order_release);
        flags[1] = 0;
        release_guard guard(flags);
        kernels::block_stream(m_flags_dev, m_flags_dev + 1, block_timeout_ns, m_stream);
        cudaEvent_t last = nullptr;
        if (!chained) {
            for (std::size_t i = 0; i < n; ++i) {
                if (mode == timing_mode::cold) {
                    ROOFLINE_CUDA_CALL(cudaMemsetAsync(m_flush.get(), 0, m_flush.bytes(), m_stream));
                }
                if (paced) {
                    kernels::stamp(stamp, m_stream);
                }
                ROOFLINE_CUDA_CALL(cudaEventRecord(m_events[2 * i].get(), m_stream));
                launch();
                ROOFLINE_CUDA_CALL(cudaEventRecord(m_events[2 * i + 1].get(), m_stream));
                if (paced) {
                    kernels::idle_proportional(stamp, idle_ratio, max_idle_ns, m_stream);
                }
            }
            last = m_events[2 * n - 1].get();
        } else {
            ROOFLINE_CUDA_CALL(cudaEventRecord(m_events[0].get(), m_stream));
            for (std::size_t i = 0; i < n; ++i) {
                launch();
                ROOFLINE_CUDA_CALL(cudaEventRecord(m_events[i + 1].get(), m_stream));
            }
            last = m_events[n].get();
        }
        guard.release();
        ROOFLINE_CUDA_CALL(cudaEventSynchronize(last));
        if (paced) {
            ROOFLINE_CUDA_CALL(cudaStreamSynchronize(m_stream)); // the last rest, before the next batch
        }
        if (std::atomic_ref<int>(flags[1]).load(std::memory_order_acquire) != 0) {
            m_timed_out = true;
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

// Launched in chunks of ~10 ms, one chunk in flight behind the other (continuous); paced, the warm-up rests
// like the samples, or its continuous load would pull the clock down before the first sample (a large GEMM
// back to back passes 700 W within milliseconds).
warmup_report sampler::warm_up(const launch_fn& launch, const measure_options& o, double idle_ratio) {
    warmup_report w;
    const bool paced = o.pacing == sample_pacing::paced;
    w.target = warmup_seconds(o.pacing, m_warmup_s);
    w.busy_before = seconds_since(m_busy_since);
    const double warm_s = std::max(std::min(min_warmup_seconds, w.target), w.target - w.busy_before);
    const auto warm = time_samples(launch, 3, timing_mode::hot, 0.0);
    const double per_launch = std::max(median_of(warm), 1e-7);
    const auto chunk = static_cast<std::size_t>(std::clamp(std::ceil(0.01 / per_launch), 1.0, 2000.0));
    w.launches = 3;
    const auto start = clock::now();
    cudaEvent_t previous = nullptr;
    while (paced && seconds_since(start) < warm_s) {
        w.launches += time_samples(launch, batch_samples, o.mode, idle_ratio).size();
    }
    for (std::size_t round = 0; !paced && seconds_since(start) < warm_s; ++round) {
        for (std::size_t i = 0; i < chunk; ++i) {
            launch();
        }
        w.launches += chunk;
        cudaEvent_t done = m_events[round % 2].get();
        ROOFLINE_CUDA_CALL(cudaEventRecord(done, m_stream));
        if (previous != nullptr) {
            ROOFLINE_CUDA_CALL(cudaEventSynchronize(previous));
        }
        previous = done;
    }
    ROOFLINE_CUDA_CALL(cudaStreamSynchronize(m_stream));
    w.seconds = seconds_since(start);
    return w;
}

sampling_report sampler::sample(const launch_fn& launch, const measure_options& o, double idle_ratio,
                                std::vector<std::string>& notes) {
    sampling_report r;
    const bool paced = o.pacing == sample_pacing::paced;
    stop_rule rule;
    rule.target = std::clamp<std::size_t>(o.samples, 1, std::max<std::size_t>(o.max_samples, 1));
    rule.floor = std::min(std::max<std::size_t>(o.min_samples, 1), rule.target);
    rule.target_spread = o.target_relative_spread;
    rule.max_seconds = o.max_seconds;
    r.samples.reserve(rule.target);
    probe_counts counts;
    // The rest power only matters where the region is long enough to give energy at all (1 s: see
    // roofline::telemetry::summarize), and costs a second to measure.
    if (o.probe != nullptr && paced && o.telemetry_window_s >= energy_min_region_s) {
        counts.rest_power_w = rest_power_w(*o.probe, notes);
    }
    probe_guard probe(o.probe);
    const auto wall_start = clock::now();
    const std::size_t cap = std::max(rule.target, o.max_samples);
    const auto telemetry_window_open = [&] {
        return probe.active() && seconds_since(wall_start) < o.telemetry_window_s;
    };
    auto& samples = r.samples;
    while ((samples.size() < rule.target && samples.size() < cap) ||
           (telemetry_window_open() && samples.size() < telemetry_cap)) {
        const std::size_t n = samples.size() < rule.target
                                  ? std::min(batch_samples, rule.target - samples.size())
                                  : std::min(batch_samples, telemetry_cap - samples.size());
        const auto got = time_samples(launch, n, o.mode, idle_ratio);
        samples.insert(samples.end(), got.begin(), got.end());
        if (auto stop = rule.early_stop(samples, seconds_since(wall_start), telemetry_window_open())) {
            r.stop = std::move(*stop);
            break;
        }
    }
    if (probe.active()) {
        counts.gemm_count = samples.size();
        counts.timed_s = std::accumulate(samples.begin(), samples.end(), 0.0);
        // Each rest lasts idle_ratio × its sample (plus the event record, microseconds), at most max_idle_ns.
        for (const double t : samples) {
            counts.rest_s += std::min(idle_ratio * t, static_cast<double>(max_idle_ns) * 1e-9);
        }
        r.telemetry = probe.end(counts);
    }
    return r;
}

void sampler::describe(const measure_options& o, double idle_ratio, double operand_bytes, double l2_bytes,
                       const warmup_report& warm, std::vector<std::string>& notes) const {
    const bool paced = o.pacing == sample_pacing::paced;
    if (o.mode == timing_mode::cold) {
        notes.push_back("cold: before each sample one cudaMemsetAsync over a " +
                        format_bytes(static_cast<double>(m_flush.bytes())) +
                        " buffer (the L2 size, allocated once) evicts the operands from L2");
    } else {
        notes.push_back(std::string("hot: no flush between samples; the operands (") +
                        format_bytes(operand_bytes) +
                        (operand_bytes <= l2_bytes ? ") fit in L2 and stay there"
                                                   : ") exceed L2, so they come from device memory"));
    }
    notes.push_back("CUDA events around each GEMM; each batch of up to " + std::to_string(batch_samples) +
                    " samples is queued behind a blocking kernel (nvbench's method) so no launch latency is "
                    "timed");
    notes.push_back(paced ? "paced: after each sample the GPU idled " + format_number(idle_ratio, 3) +
                                " x the sample's time, so it stayed under its power limit at its boost clock "
                                "(pacing \"continuous\" measures back to back, the clocks sustained under "
                                "load)"
                          : std::string("continuous: samples back to back, the clocks the GPU sustains under "
                                        "load (pacing \"paced\" rests after each sample)"));
    notes.push_back("warm-up: " + std::to_string(warm.launches) + " launches over " +
                    format_number(warm.seconds, 2) + " s, so that the GPU had been busy for " +
                    format_number(warm.busy_before + warm.seconds, 2) + " s (target " +
                    format_number(warm.target, 2) + " s; $ROOFLINE_WARMUP_SECONDS changes it)");
}

// The GPU's draw while the stream rests (one sleeping thread), measured once per backend with the probe over
// just over a second (shorter regions give no energy): paced telemetry takes the rests' energy out to give
// the GEMMs' own.
std::optional<double> sampler::rest_power_w(measurement_probe& probe, std::vector<std::string>& notes) {
    if (!m_rest_power_checked) {
        m_rest_power_checked = true;
        ROOFLINE_CUDA_CALL(cudaStreamSynchronize(m_stream));
        probe_guard watch(&probe);
        kernels::rest(rest_probe_ns, m_stream);
        ROOFLINE_CUDA_CALL(cudaStreamSynchronize(m_stream));
        const auto t = watch.end(probe_counts{});
        if (t.energy_j && t.region_s > 0) {
            m_rest_power_w = *t.energy_j / t.region_s;
            m_rest_power_note = "rest power " + format_number(*m_rest_power_w, 3) + " W (" + t.energy_source +
                                " over " + format_number(t.region_s, 2) +
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

} // namespace roofline::cuda
