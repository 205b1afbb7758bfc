// The GPUs of a node: a bounded FIFO of analysis jobs and one lane per GPU (its own thread, its own
// supervised worker process pinned to that GPU). A job is spread over the lanes: each lane takes the oldest
// running job's next precision that is free or pinned to it (the node check pins one problem to each GPU), so
// a sweep of eight precisions on eight GPUs takes the time of one; a lane with nothing left in the running
// jobs starts the next waiting one, so each GPU works through the queue at its own pace and two clients'
// analyses run on two GPUs at once. No two kernels ever run concurrently on one GPU because only its lane
// talks to its worker. An exclusive job (the node check's phases) starts only on an idle node and nothing
// starts beside it, so a GPU measured "alone" has idle neighbours and one measured "together" shares the node
// with its peers only.
//
// A lane whose worker crashes or hangs gives a failed point for that precision, is marked (faults,
// last_error) and its worker restarted for its next precision; the other lanes go on. A lane whose probe
// failed at start (no device, a hang past --device-timeout) is down: it probes again with backoff and takes
// work once it answers. Precisions pinned to a down lane fail at once with its reason.
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
#include <list>
#include <memory>
#include <mutex>
#include <optional>
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

    // Per problem, the lane (GPU position in the queue) that must run it; empty or -1: any lane.
    std::vector<int> lane_for;
    // Runs with no other job on the node: it starts once the running jobs have ended, and none starts beside
    // it (the node check's phases: a GPU measured alone must have its neighbours idle).
    bool exclusive = false;

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

// A lane as the queue starts it: its supervisor and the outcome of its first probe.
struct gpu_lane_init {
    worker_supervisor* supervisor = nullptr;
    std::optional<device_identity> device; // nullopt: down (why says why); the lane probes again
    std::string why;
};

// A lane for /api/health, the node check and the CLI.
struct gpu_lane_status {
    std::size_t lane = 0;
    std::optional<std::int64_t> gpu_index;
    std::optional<device_identity> device;
    std::string state;      // "ready" | "busy" | "restarting" (its last precision failed) | "down"
    std::string last_error; // the last fault's message
    std::size_t faults = 0; // precisions that ended in a worker fault
    std::size_t restarts = 0;
};

class gpu_queue {
  public:
    // `capacity`: jobs that may wait behind the running one; one more is answered 429.
    gpu_queue(worker_supervisor& supervisor, std::size_t capacity); // one lane, probed
    gpu_queue(std::vector<gpu_lane_init> lanes, std::size_t capacity);
    gpu_queue(const gpu_queue&) = delete;
    gpu_queue& operator=(const gpu_queue&) = delete;
    ~gpu_queue(); // kills the running precision (stored as failed), cancels the rest

    // The job's position (0: it starts now); throws api_error 429 with Retry-After when the queue is full.
    std::size_t submit(const std::shared_ptr<analysis_job>& job);
    [[nodiscard]] std::size_t length() const; // waiting + running
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }
    [[nodiscard]] std::size_t restarts() const noexcept;
    [[nodiscard]] std::size_t lane_count() const noexcept { return m_lanes.size(); }
    [[nodiscard]] std::size_t lanes_up() const;
    [[nodiscard]] std::vector<gpu_lane_status> lanes() const;
    // The first lane's device that is up (the server's "device"); nullopt when none is.
    [[nodiscard]] std::optional<device_identity> first_device() const;

  private:
    struct lane {
        worker_supervisor* supervisor = nullptr;
        std::optional<device_identity> device;
        std::string why_down;
        bool busy = false;
        bool failed_last = false;
        std::string last_error;
        std::size_t faults = 0;
        std::thread thread;
    };
    // A job whose precisions are being spread over the lanes. Several run at once: a lane with nothing to do
    // in the older ones starts the next waiting job, so each GPU works through the queue at its own pace.
    struct running {
        std::shared_ptr<analysis_job> job;
        std::vector<bool> claimed;
        std::vector<std::optional<analysis_point>> results;
        std::size_t done = 0;
        std::chrono::steady_clock::time_point started;
    };
    void run_lane(std::size_t lane_index);
    // A problem lane `i` takes: the job and the problem's index in it.
    struct claimed_problem {
        std::shared_ptr<analysis_job> job;
        std::size_t index = 0;
    };
    // Needs m_mutex. The next problem lane `i` may take, oldest running job first; when none has one, the
    // next waiting job is started (not beside an exclusive job, and an exclusive one only on an idle node).
    // An empty job started here is finished by the caller: `empty_job` is set.
    [[nodiscard]] std::optional<claimed_problem> claim(std::size_t i,
                                                       std::shared_ptr<analysis_job>& empty_job);
    [[nodiscard]] bool can_take(std::size_t i, const running& r, std::size_t p) const; // needs m_mutex
    [[nodiscard]] std::optional<std::size_t> first_takeable(std::size_t i, const running& r) const; // ditto
    [[nodiscard]] bool can_start_next() const; // needs m_mutex
    void measure_one(std::size_t lane_index, analysis_job& job, std::size_t problem_index,
                     analysis_point& out);
    void finish_one(analysis_job& job, std::size_t problem_index, analysis_point point);
    void reprobe(std::size_t lane_index);
    [[nodiscard]] int retry_after_s() const; // needs m_mutex

    std::size_t m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::shared_ptr<analysis_job>> m_waiting;
    std::list<running> m_running; // oldest first; a list: entries stay put while lanes hold them
    bool m_stopping = false;
    double m_mean_job_s = 30.0; // moving average of job durations, for Retry-After
    std::vector<lane> m_lanes;  // fixed size after construction (threads hold indices)
};

} // namespace roofline::server
