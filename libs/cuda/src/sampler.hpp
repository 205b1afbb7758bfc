// The timing phases: warm-up, then timed samples (cold or hot, paced or continuous) until the stop rule says
// enough, with the telemetry probe around the timed region. Knows nothing of GEMMs: it times a `launch`, so
// any measurement path (cuBLASLt, our own kernels) samples the same way.
#pragma once

#include "resources.hpp"
#include "roofline/core/backend.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace roofline::cuda {

using launch_fn = std::function<void()>;

// Samples queued behind one blocking kernel; the event pool holds two per sample plus one.
inline constexpr std::size_t batch_samples = 10;

struct warmup_report {
    std::size_t launches = 0;
    double seconds = 0.0;     // wall time of the warm-up
    double busy_before = 0.0; // how long the GPU had already been busy when it began
    double target = 0.0;      // the busy time aimed for
};

struct sampling_report {
    std::vector<double> samples;
    std::string stop; // non-empty when the stop rule ended it before the target
    std::optional<telemetry_summary> telemetry;
};

class sampler {
  public:
    using clock = std::chrono::steady_clock;

    // warmup_s: engine_settings::warmup_s (the pacing's default when empty).
    sampler(cudaStream_t stream, std::size_t l2_bytes, std::optional<double> warmup_s);
    sampler(const sampler&) = delete;
    sampler& operator=(const sampler&) = delete;
    ~sampler() = default;

    // Busy-period bookkeeping for the warm-up: call at the start of a measurement; the returned mark stamps
    // the end of GPU activity when the measurement leaves, whichever way it leaves.
    class busy_mark {
      public:
        explicit busy_mark(clock::time_point& until) : m_until(until) {}
        busy_mark(const busy_mark&) = delete;
        busy_mark& operator=(const busy_mark&) = delete;
        ~busy_mark() { m_until = clock::now(); }

      private:
        clock::time_point& m_until;
    };
    [[nodiscard]] busy_mark begin_measurement();

    // Times `count` launches: cold = one memset over the flush buffer before each, hot = without it. With
    // idle_ratio > 0 (paced) the GPU rests after each sample for idle_ratio × the launch's time.
    std::vector<double> time_samples(const launch_fn& launch, std::size_t count, timing_mode mode,
                                     double idle_ratio);

    // Warm-up until the GPU has been busy for the pacing's warm-up time (at least 20 ms).
    warmup_report warm_up(const launch_fn& launch, const measure_options& o, double idle_ratio);

    // The timed samples, in batches, until the stop rule; with a probe, its window around them.
    sampling_report sample(const launch_fn& launch, const measure_options& o, double idle_ratio,
                           std::vector<std::string>& notes);

    // The notes that say how the samples were taken.
    void describe(const measure_options& o, double idle_ratio, double operand_bytes, double l2_bytes,
                  const warmup_report& warm, std::vector<std::string>& notes) const;

    // True once a blocking kernel timed out (a batch may then include launch latency).
    [[nodiscard]] bool block_timed_out() const noexcept { return m_timed_out; }
    void clear_timeout() noexcept { m_timed_out = false; }

  private:
    std::optional<double> rest_power_w(measurement_probe& probe, std::vector<std::string>& notes);

    std::optional<double> m_warmup_s;
    cudaStream_t m_stream;
    // One buffer of the L2's size, allocated once: a memset over it before each cold sample evicts the
    // operands (nvbench's l2flush). Re-allocating it per sample would cost more than the GEMMs we time.
    device_buffer m_flush;
    device_buffer m_stamp; // paced sampling: the GPU timer when the current sample began
    host_ptr m_host_flags;
    int* m_flags_dev = nullptr;
    std::vector<event_ptr> m_events;
    bool m_timed_out = false;
    bool m_rest_power_checked = false;
    std::optional<double> m_rest_power_w;
    std::string m_rest_power_note;
    clock::time_point m_busy_since{};
    clock::time_point m_busy_until{};
};

} // namespace roofline::cuda
