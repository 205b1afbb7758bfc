#include "roofline/server/gpu_queue.hpp"

#include "log.hpp"
#include "roofline/core/report.hpp"
#include "roofline/server/api_error.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace roofline::server {

using json = nlohmann::json;

analysis_job::analysis_job(std::vector<gemm_problem> problems, measure_options options)
    : m_problems(std::move(problems)), m_options(std::move(options)) {}

void analysis_job::publish(job_event e) {
    {
        std::lock_guard lock(m_mutex);
        m_events.push_back(std::move(e));
    }
    m_cv.notify_all();
}

void analysis_job::finish() {
    {
        std::lock_guard lock(m_mutex);
        m_finished = true;
    }
    m_cv.notify_all();
}

analysis_job::wait_result analysis_job::next(job_event& out, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(m_mutex);
    if (!m_cv.wait_until(lock, deadline, [&] { return !m_events.empty() || m_finished; })) {
        return wait_result::timeout;
    }
    if (!m_events.empty()) {
        out = std::move(m_events.front());
        m_events.pop_front();
        return wait_result::event;
    }
    return wait_result::finished;
}

gpu_queue::gpu_queue(worker_supervisor& supervisor, std::size_t capacity)
    : gpu_queue(
          std::vector<gpu_lane_init>{{&supervisor, std::optional<device_identity>(device_identity{}), ""}},
          capacity) {}

gpu_queue::gpu_queue(std::vector<gpu_lane_init> lanes, std::size_t capacity)
    : m_capacity(capacity), m_lanes(lanes.size()) {
    if (lanes.empty()) {
        throw std::invalid_argument("a GPU queue needs at least one lane");
    }
    for (std::size_t i = 0; i < lanes.size(); ++i) {
        m_lanes[i].supervisor = lanes[i].supervisor;
        m_lanes[i].device = std::move(lanes[i].device);
        m_lanes[i].why_down = std::move(lanes[i].why);
    }
    // Threads start once every lane is filled: a lane thread reads the others' state (lanes_up()).
    for (std::size_t i = 0; i < m_lanes.size(); ++i) {
        m_lanes[i].thread = std::thread([this, i] { run_lane(i); });
    }
}

gpu_queue::~gpu_queue() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (auto& j : m_waiting) {
            j->cancel();
        }
        for (auto& r : m_running) {
            r.job->cancel();
        }
    }
    // Shutdown within a few seconds whatever the workers do: the running precisions are not waited for (a
    // hung one would hold the exit for the whole --precision-timeout); their points are stored as failed.
    for (auto& l : m_lanes) {
        l.supervisor->abort_now();
    }
    m_cv.notify_all();
    for (auto& l : m_lanes) {
        l.thread.join();
    }
}

int gpu_queue::retry_after_s() const {
    const double wait = m_mean_job_s * static_cast<double>(m_waiting.size() + m_running.size());
    return static_cast<int>(std::clamp(std::ceil(wait), 1.0, 3600.0));
}

std::size_t gpu_queue::submit(const std::shared_ptr<analysis_job>& job) {
    std::size_t position = 0;
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping) {
            throw api_error(503, "shutting_down", "the server is shutting down");
        }
        if (m_waiting.size() >= m_capacity) {
            throw api_error(429, "queue_full",
                            "the GPU queue is full (" + std::to_string(m_waiting.size()) +
                                " analyses waiting behind the running ones); retry later")
                .with_retry_after(retry_after_s());
        }
        for (const int l : job->lane_for) {
            if (l >= static_cast<int>(m_lanes.size())) {
                throw std::invalid_argument("a job is pinned to lane " + std::to_string(l) + " of " +
                                            std::to_string(m_lanes.size()));
            }
        }
        position = m_waiting.size() + m_running.size();
        m_waiting.push_back(job);
    }
    m_cv.notify_all();
    return position;
}

std::size_t gpu_queue::length() const {
    std::lock_guard lock(m_mutex);
    return m_waiting.size() + m_running.size();
}

std::size_t gpu_queue::restarts() const noexcept {
    std::size_t n = 0;
    for (const auto& l : m_lanes) {
        n += l.supervisor->restarts();
    }
    return n;
}

std::size_t gpu_queue::lanes_up() const {
    std::lock_guard lock(m_mutex);
    return static_cast<std::size_t>(
        std::count_if(m_lanes.begin(), m_lanes.end(), [](const lane& l) { return l.device.has_value(); }));
}

std::vector<gpu_lane_status> gpu_queue::lanes() const {
    std::lock_guard lock(m_mutex);
    std::vector<gpu_lane_status> out;
    for (std::size_t i = 0; i < m_lanes.size(); ++i) {
        const auto& l = m_lanes[i];
        gpu_lane_status s;
        s.lane = i;
        s.gpu_index = l.supervisor->config().gpu_index;
        s.device = l.device;
        s.state = !l.device ? "down" : l.busy ? "busy" : l.failed_last ? "restarting" : "ready";
        s.last_error = l.device ? l.last_error : l.why_down;
        s.faults = l.faults;
        s.restarts = l.supervisor->restarts();
        out.push_back(std::move(s));
    }
    return out;
}

std::optional<device_identity> gpu_queue::first_device() const {
    std::lock_guard lock(m_mutex);
    for (const auto& l : m_lanes) {
        if (l.device) {
            return l.device;
        }
    }
    return std::nullopt;
}

bool gpu_queue::can_take(std::size_t i, const running& r, std::size_t p) const {
    if (r.claimed[p]) {
        return false;
    }
    const auto& job = *r.job;
    const int pin = p < job.lane_for.size() ? job.lane_for[p] : -1;
    const bool up = m_lanes[i].device.has_value();
    const bool any_up = std::any_of(m_lanes.begin(), m_lanes.end(), [](const lane& l) { return l.device; });
    // A down lane answers what is pinned to it (failed, with its reason) so the job can end; it takes free
    // work only when no lane is up, for the same reason. A cancelled job's rest is skipped by anyone.
    return pin == static_cast<int>(i) || (pin < 0 && (up || !any_up)) || job.cancelled();
}

std::optional<std::size_t> gpu_queue::first_takeable(std::size_t i, const running& r) const {
    for (std::size_t p = 0; p < r.claimed.size(); ++p) {
        if (can_take(i, r, p)) {
            return p;
        }
    }
    return std::nullopt;
}

bool gpu_queue::can_start_next() const {
    if (m_waiting.empty()) {
        return false;
    }
    if (m_running.empty()) {
        return true;
    }
    // FIFO: only the head starts, so an exclusive job waits for the node to drain and is not overtaken.
    return !m_waiting.front()->exclusive && std::none_of(m_running.begin(), m_running.end(),
                                                         [](const running& r) { return r.job->exclusive; });
}

std::optional<gpu_queue::claimed_problem> gpu_queue::claim(std::size_t i,
                                                           std::shared_ptr<analysis_job>& empty_job) {
    for (;;) {
        for (auto& r : m_running) {
            if (const auto p = first_takeable(i, r)) {
                r.claimed[*p] = true;
                return claimed_problem{r.job, *p};
            }
        }
        if (!can_start_next()) {
            return std::nullopt;
        }
        running r;
        r.job = m_waiting.front();
        r.claimed.assign(r.job->problems().size(), false);
        // An empty job has nothing to take: whoever sees it finishes it.
        if (!r.claimed.empty() && !first_takeable(i, r)) {
            // Its work is another lane's (pinned there, or this lane is down): that lane starts it, so the
            // waiting jobs stay waiting (and count against the queue's capacity) until a lane can run them.
            return std::nullopt;
        }
        m_waiting.pop_front();
        r.results.resize(r.job->problems().size());
        r.started = std::chrono::steady_clock::now();
        const bool empty = r.job->problems().empty();
        m_running.push_back(std::move(r));
        m_cv.notify_all(); // the other lanes may have work in it
        if (empty) {
            empty_job = m_running.back().job;
            m_running.pop_back();
            return std::nullopt;
        }
    }
}

void gpu_queue::run_lane(std::size_t i) {
    for (;;) {
        std::optional<claimed_problem> work;
        std::shared_ptr<analysis_job> empty_job;
        {
            std::unique_lock lock(m_mutex);
            for (;;) {
                if (m_stopping && m_waiting.empty() && m_running.empty()) {
                    return;
                }
                work = claim(i, empty_job);
                if (work || empty_job) {
                    if (work) {
                        m_lanes[i].busy = true;
                    }
                    break;
                }
                if (!m_lanes[i].device && !m_stopping) {
                    const auto due = m_lanes[i].supervisor->next_probe_due();
                    if (std::chrono::steady_clock::now() >= due) {
                        lock.unlock();
                        reprobe(i);
                        lock.lock();
                        continue;
                    }
                    m_cv.wait_until(lock, due);
                    continue;
                }
                m_cv.wait(lock);
            }
        }
        if (empty_job) {
            // A job with no problems: publish its completion once.
            if (empty_job->complete) {
                empty_job->publish(empty_job->complete(*empty_job));
            }
            empty_job->finish();
            m_cv.notify_all();
            continue;
        }
        analysis_point point;
        measure_one(i, *work->job, work->index, point);
        finish_one(*work->job, work->index, std::move(point));
    }
}

void gpu_queue::reprobe(std::size_t i) {
    std::string why;
    auto device = m_lanes[i].supervisor->probe_device(why); // the supervisor is this lane's alone
    {
        std::lock_guard lock(m_mutex);
        if (device) {
            m_lanes[i].device = std::move(device);
            m_lanes[i].why_down.clear();
            log_line("gpu queue: lane " + std::to_string(i) + " is up after " +
                     "a retried probe: " + m_lanes[i].device->name);
        } else {
            m_lanes[i].why_down = why;
        }
    }
    m_cv.notify_all();
}

void gpu_queue::measure_one(std::size_t i, analysis_job& job, std::size_t index, analysis_point& point) {
    const auto& problem = job.problems()[index];
    const auto label = problem.precision_label();
    if (job.cancelled()) {
        point = failed_point(problem, "cancelled before it started: the client went away or the server "
                                      "is shutting down");
        point.status = disposition::not_run;
        if (job.annotate) {
            job.annotate(point);
        }
        return;
    }
    const auto gpu = m_lanes[i].supervisor->config().gpu_index;
    json started{{"precision", label}, {"index", index}, {"total", job.problems().size()}};
    if (gpu) {
        started["gpu"] = *gpu;
    }
    std::string why_down;
    {
        std::lock_guard lock(m_mutex);
        if (!m_lanes[i].device) {
            why_down = m_lanes[i].why_down.empty() ? "its worker did not answer" : m_lanes[i].why_down;
        }
    }
    worker_outcome outcome;
    if (!why_down.empty()) {
        outcome = {false, "gpu_down",
                   (gpu ? "GPU " + std::to_string(*gpu) : std::string("the GPU")) + " is down: " + why_down};
        point = failed_point(problem, outcome.message);
    } else {
        job.publish({"started", started.dump()});
        point = m_lanes[i].supervisor->measure(problem, job.options(), outcome);
    }
    {
        std::lock_guard lock(m_mutex);
        auto& l = m_lanes[i];
        l.busy = false;
        l.failed_last = !outcome.ok && outcome.code != "gpu_down";
        if (l.failed_last) {
            ++l.faults;
            l.last_error = outcome.message;
        }
    }
    if (job.annotate) {
        job.annotate(point);
    }
    if (!outcome.ok) {
        json e{{"precision", label},
               {"index", index},
               {"error", {{"code", outcome.code}, {"message", outcome.message}}}};
        if (gpu) {
            e["gpu"] = *gpu;
        }
        job.publish({"error", e.dump()});
    }
    job.publish({"point", job.describe ? job.describe(point) : to_json(point).dump()});
}

void gpu_queue::finish_one(analysis_job& job, std::size_t index, analysis_point point) {
    std::optional<running> ended;
    {
        std::lock_guard lock(m_mutex);
        const auto it = std::find_if(m_running.begin(), m_running.end(),
                                     [&](const running& r) { return r.job.get() == &job; });
        it->results[index] = std::move(point);
        if (++it->done < it->results.size()) {
            return;
        }
        ended = std::move(*it);
        m_running.erase(it);
        const double took =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - ended->started).count();
        if (!job.cancelled()) {
            m_mean_job_s = 0.7 * m_mean_job_s + 0.3 * took;
        }
    }
    // The last precision of the job: its points in the problems' order, then its final event. Other lanes
    // may start the next job meanwhile.
    m_cv.notify_all();
    job.measured.clear();
    for (auto& r : ended->results) {
        job.measured.push_back(std::move(*r));
    }
    if (job.complete) {
        try {
            job.publish(job.complete(job));
        } catch (const std::exception& e) {
            log_line(std::string("gpu queue: completing a job failed: ") + e.what());
            job.publish({"error", json{{"error", {{"code", "internal"}, {"message", e.what()}}}}.dump()});
        }
    }
    job.finish();
}

} // namespace roofline::server
