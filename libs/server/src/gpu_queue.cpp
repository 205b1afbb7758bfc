#include "roofline/server/gpu_queue.hpp"

#include "log.hpp"
#include "roofline/core/report.hpp"
#include "roofline/server/api_error.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

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
    : m_supervisor(supervisor), m_capacity(capacity) {
    m_thread = std::thread([this] { run(); });
}

gpu_queue::~gpu_queue() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (auto& j : m_waiting) {
            j->cancel();
        }
    }
    // Shutdown within a few seconds whatever the worker does: the running precision is not waited for (a hung
    // one would hold the exit for the whole --precision-timeout); its point is stored as failed.
    m_supervisor.abort_now();
    m_cv.notify_all();
    m_thread.join();
}

int gpu_queue::retry_after_s() const {
    const double wait = m_mean_job_s * static_cast<double>(m_waiting.size() + (m_running_job ? 1 : 0));
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
                                " analyses waiting behind the running one); retry later")
                .with_retry_after(retry_after_s());
        }
        position = m_waiting.size() + (m_running_job ? 1 : 0);
        m_waiting.push_back(job);
    }
    m_cv.notify_all();
    return position;
}

std::size_t gpu_queue::length() const {
    std::lock_guard lock(m_mutex);
    return m_waiting.size() + (m_running_job ? 1 : 0);
}

void gpu_queue::run() {
    for (;;) {
        std::shared_ptr<analysis_job> job;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [&] { return m_stopping || !m_waiting.empty(); });
            if (m_waiting.empty()) {
                return;
            }
            job = std::move(m_waiting.front());
            m_waiting.pop_front();
            m_running_job = true;
        }
        const auto start = std::chrono::steady_clock::now();
        execute(*job);
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::lock_guard lock(m_mutex);
        m_running_job = false;
        if (!job->cancelled()) {
            m_mean_job_s = 0.7 * m_mean_job_s + 0.3 * took;
        }
    }
}

void gpu_queue::execute(analysis_job& job) {
    const auto& problems = job.problems();
    for (std::size_t i = 0; i < problems.size(); ++i) {
        const auto& problem = problems[i];
        const auto label = problem.precision_label();
        if (job.cancelled()) {
            auto p = failed_point(problem, "cancelled before it started: the client went away or the server "
                                           "is shutting down");
            p.status = disposition::not_run;
            if (job.annotate) {
                job.annotate(p);
            }
            job.measured.push_back(std::move(p));
            continue;
        }
        job.publish({"started", json{{"precision", label}, {"index", i}, {"total", problems.size()}}.dump()});
        worker_outcome outcome;
        auto point = m_supervisor.measure(problem, job.options(), outcome);
        if (job.annotate) {
            job.annotate(point);
        }
        if (!outcome.ok) {
            job.publish({"error", json{{"precision", label},
                                       {"index", i},
                                       {"error", {{"code", outcome.code}, {"message", outcome.message}}}}
                                      .dump()});
        }
        job.publish({"point", job.describe ? job.describe(point) : to_json(point).dump()});
        job.measured.push_back(std::move(point));
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
