#include "roofline/telemetry/telemetry.hpp"

#include <condition_variable>
#include <thread>

namespace roofline::telemetry {

// The sampling thread. It reads on a fixed schedule (sleep_until, not sleep_for, so NVML's own latency does
// not slow the rate) and wakes at once when stopped, so end() adds no wait to the measurement.
struct nvml_probe::worker {
    std::mutex mutex;
    std::condition_variable wake;
    bool stop = false;
    std::vector<sample> samples;
    std::thread thread;

    worker(device_reader& reader, std::chrono::steady_clock::time_point start,
           std::chrono::microseconds interval) {
        samples.reserve(4096);
        thread = std::thread([this, &reader, start, interval] {
            auto next = std::chrono::steady_clock::now();
            std::unique_lock lock(mutex);
            do {
                lock.unlock();
                const auto now = std::chrono::steady_clock::now();
                // Not under the lock: NVML calls take tens to hundreds of microseconds and stop() must not
                // wait.
                sample s = reader.read(std::chrono::duration<double>(now - start).count());
                lock.lock();
                samples.push_back(std::move(s));
                next += interval;
                if (next < std::chrono::steady_clock::now()) {
                    next = std::chrono::steady_clock::now(); // fell behind: no burst of catch-up reads
                }
            } while (!wake.wait_until(lock, next, [this] { return stop; }));
        });
    }
    std::vector<sample> finish() {
        {
            const std::lock_guard lock(mutex);
            stop = true;
        }
        wake.notify_all();
        thread.join();
        return std::move(samples);
    }
    ~worker() {
        if (thread.joinable()) {
            finish();
        }
    }
};

nvml_probe::nvml_probe(std::unique_ptr<device_reader> reader, sampler_options options)
    : m_reader(std::move(reader)), m_options(options) {
    if (!m_reader) {
        m_why = "NVML not available";
    }
}

nvml_probe::nvml_probe(std::string unavailable_reason) : m_why(std::move(unavailable_reason)) {}

nvml_probe::~nvml_probe() = default;

void nvml_probe::begin() {
    if (!m_reader) {
        return;
    }
    m_worker.reset(); // a begin() without end(): drop the unfinished region
    // The energy counter first: reading it can take milliseconds, which must fall before the region starts.
    m_energy_begin = m_reader->energy_j();
    m_start = std::chrono::steady_clock::now();
    m_worker = std::make_unique<worker>(*m_reader, m_start, m_options.interval);
}

telemetry_summary nvml_probe::end(const probe_counts& counts) {
    if (!m_reader) {
        telemetry_summary t;
        t.unavailable_reason = m_why;
        return t;
    }
    if (!m_worker) {
        telemetry_summary t;
        t.unavailable_reason = "telemetry probe: end() without begin()";
        return t;
    }
    const auto stop = std::chrono::steady_clock::now();
    m_samples = m_worker->finish();
    m_worker.reset();
    m_region_s = std::chrono::duration<double>(stop - m_start).count();
    region r;
    r.seconds = m_region_s;
    r.energy_begin_j = m_energy_begin;
    r.energy_end_j = m_reader->energy_j();
    r.gemm_count = counts.gemm_count;
    r.timed_s = counts.timed_s;
    r.rest_s = counts.rest_s;
    r.rest_power_w = counts.rest_power_w;
    return summarize(m_samples, r, m_reader->info());
}

std::unique_ptr<nvml_probe> make_probe(const std::shared_ptr<nvml::library>& lib, const device_selector& sel,
                                       std::string& why, sampler_options options) {
    auto reader = open_device(lib, sel, why);
    if (!reader) {
        return std::make_unique<nvml_probe>(why);
    }
    why.clear();
    return std::make_unique<nvml_probe>(std::move(reader), options);
}

std::unique_ptr<nvml_probe> make_probe(unsigned device_index, std::string& why) {
    auto lib = nvml::library::shared(why);
    device_selector sel;
    sel.index = device_index;
    return make_probe(lib, sel, why);
}

std::unique_ptr<nvml_probe> make_probe(const device_identity& device, std::string& why) {
    auto lib = nvml::library::shared(why);
    device_selector sel;
    sel.pci_bus_id = device.pci_bus_id;
    sel.uuid = device.uuid;
    if (sel.pci_bus_id.empty() && sel.uuid.empty()) {
        sel.index = 0;
    }
    return make_probe(lib, sel, why);
}

} // namespace roofline::telemetry
