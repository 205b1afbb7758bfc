// One GPU, one job at a time: a bounded FIFO of analysis jobs and the single thread that runs them through
// the worker supervisor. No two kernels ever run concurrently on the GPU because only this thread talks to
// the worker, one precision after another.
#pragma once

#include "roofline/core/backend.hpp"
#include "roofline/core/result.hpp"
#include "roofline/server/worker_supervisor.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace roofline::server {

// A progress event: SSE event name and its JSON data.
struct job_event {
    std::string name;
    std::string data;
};

// A list of problems measured in order. Events flow from the queue thread to whoever waits on the job (an
// SSE stream, or a plain request waiting for the end).
class analysis_job {
  public:
    analysis_job(std::vector<gemm_problem> problems, measure_options options);
    analysis_job(const analysis_job&) = delete;
    analysis_job& operator=(const analysis_job&) = delete;

    [[nodiscard]] const std::vector<gemm_problem>& problems() const noexcept { return m_problems; }
    [[nodiscard]] const measure_options& options() const noexcept { return m_options; }

    // Precisions that have not started when cancel() is called are skipped (disposition not_run).
    void cancel() noexcept { m_cancelled = true; }
    [[nodiscard]] bool cancelled() const noexcept { return m_cancelled; }

    // Called on the queue thread for each measured point before it is published (fills roof, hardware key).
    std::function<void(analysis_point&)> annotate;
    // The 'point' event's data for a measured point (the answer's form, gap included); to_json when unset.
    std::function<std::string(const analysis_point&)> describe;
    // Called on the queue thread once every precision has ended; returns the final event ("done").
    std::function<job_event(analysis_job&)> complete;

    // Queue-thread side.
    void publish(job_event e);
    void finish();
    std::vector<analysis_point> measured; // one per problem, filled by the queue thread

    enum class wait_result { event, timeout, finished };
    // Consumer side: the next event, or timeout at `deadline`, or finished once every event was taken.
    [[nodiscard]] wait_result next(job_event& out, std::chrono::steady_clock::time_point deadline);

  private:
    std::vector<gemm_problem> m_problems;
    measure_options m_options;
    std::atomic<bool> m_cancelled{false};
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<job_event> m_events;
    bool m_finished = false;
};

class gpu_queue {
  public:
    // `capacity`: jobs that may wait behind the running one; one more is answered 429.
    gpu_queue(worker_supervisor& supervisor, std::size_t capacity);
    gpu_queue(const gpu_queue&) = delete;
    gpu_queue& operator=(const gpu_queue&) = delete;
    ~gpu_queue(); // kills the running precision (stored as failed), cancels the rest

    // The job's position (0: it starts now); throws api_error 429 with Retry-After when the queue is full.
    std::size_t submit(const std::shared_ptr<analysis_job>& job);
    [[nodiscard]] std::size_t length() const; // waiting + running
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }
    [[nodiscard]] std::size_t restarts() const noexcept { return m_supervisor.restarts(); }

  private:
    void run();
    void execute(analysis_job& job);
    [[nodiscard]] int retry_after_s() const; // needs m_mutex

    worker_supervisor& m_supervisor;
    std::size_t m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::shared_ptr<analysis_job>> m_waiting;
    bool m_running_job = false;
    bool m_stopping = false;
    double m_mean_job_s = 30.0; // moving average of job durations, for Retry-After
    std::thread m_thread;
};

} // namespace roofline::server
