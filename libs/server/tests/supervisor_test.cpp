// The worker supervisor and the GPU queue against a scripted fake worker: crashes, hangs, sticky errors and
// noise cost one precision each and never the server; jobs run one at a time, in order; the queue is bounded.
#include "roofline/server/api_error.hpp"
#include "roofline/server/gpu_queue.hpp"
#include "roofline/server/worker_supervisor.hpp"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace roofline;
using namespace roofline::server;
using namespace std::chrono_literals;

namespace {

supervisor_config fake_config(std::chrono::milliseconds timeout = 5000ms) {
    supervisor_config c;
    c.argv = {FAKE_WORKER};
    c.precision_timeout = timeout;
    c.device_timeout = 5000ms;
    return c;
}

gemm_problem problem(precision_id p) {
    return make_problem(256, 256, 256, p);
}

struct env_var {
    std::string name;
    env_var(std::string n, const std::string& value) : name(std::move(n)) {
        setenv(name.c_str(), value.c_str(), 1);
    }
    ~env_var() { unsetenv(name.c_str()); }
};

} // namespace

TEST(worker_supervisor, probes_the_device) {
    worker_supervisor s(fake_config());
    std::string why;
    const auto d = s.probe_device(why);
    ASSERT_TRUE(d) << why;
    EXPECT_EQ(d->name, "Fake GPU (test double)");
    EXPECT_EQ(d->compute_capability, "9.0");
}

TEST(worker_supervisor, no_device_is_reported_not_thrown) {
    env_var no_device("FAKE_WORKER_NO_DEVICE", "1");
    worker_supervisor s(fake_config());
    std::string why;
    EXPECT_FALSE(s.probe_device(why));
    EXPECT_NE(why.find("no CUDA device"), std::string::npos) << why;
}

TEST(worker_supervisor, missing_worker_binary_fails_the_precision_only) {
    supervisor_config c = fake_config();
    c.argv = {"/nonexistent/roofline-worker"};
    worker_supervisor s(c);
    worker_outcome o;
    const auto p = s.measure(problem(precision_id::fp16), {}, o);
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(p.status, disposition::failed);
    EXPECT_FALSE(p.message.empty());
}

TEST(worker_supervisor, measures_through_the_worker) {
    worker_supervisor s(fake_config());
    worker_outcome o;
    const auto p = s.measure(problem(precision_id::bf16), {}, o);
    EXPECT_TRUE(o.ok) << o.message;
    EXPECT_EQ(p.status, disposition::passed);
    EXPECT_EQ(p.source, point_source::measured);
    ASSERT_TRUE(p.measured);
    EXPECT_EQ(p.measured->kernel_path, "fake worker");
    EXPECT_GT(p.time_s, 0.0);
    EXPECT_EQ(s.restarts(), 0U);
}

TEST(worker_supervisor, a_crash_costs_one_precision_and_the_worker_restarts) {
    worker_supervisor s(fake_config());
    worker_outcome o;
    const auto crashed = s.measure(problem(precision_id::int8), {}, o);
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(o.code, "worker_crashed");
    EXPECT_EQ(crashed.status, disposition::failed);
    EXPECT_NE(crashed.message.find("signal 11"), std::string::npos) << crashed.message;
    EXPECT_FALSE(crashed.measured);
    EXPECT_EQ(crashed.time_s, 0.0);

    const auto next = s.measure(problem(precision_id::fp16), {}, o);
    EXPECT_TRUE(o.ok) << o.message;
    EXPECT_EQ(next.status, disposition::passed);
    EXPECT_EQ(s.restarts(), 1U);

    (void)s.measure(problem(precision_id::fp64), {}, o); // exits with status 3
    EXPECT_EQ(o.code, "worker_crashed");
    EXPECT_NE(o.message.find("exited with status 3"), std::string::npos) << o.message;
}

TEST(worker_supervisor, a_hang_is_killed_at_the_time_limit) {
    worker_supervisor s(fake_config(700ms));
    worker_outcome o;
    const auto start = std::chrono::steady_clock::now();
    const auto hung = s.measure(problem(precision_id::nvfp4), {}, o);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(o.code, "worker_timeout");
    EXPECT_EQ(hung.status, disposition::failed);
    EXPECT_GE(took, 650ms);
    EXPECT_LT(took, 5s);
    const auto next = s.measure(problem(precision_id::fp16), {}, o);
    EXPECT_TRUE(o.ok) << o.message;
    EXPECT_EQ(next.status, disposition::passed);
}

TEST(worker_supervisor, a_fatal_error_reply_restarts_the_worker) {
    const std::string log = "/tmp/roofline_fake_worker_" + std::to_string(getpid()) + ".log";
    env_var log_env("FAKE_WORKER_LOG", log);
    worker_supervisor s(fake_config());
    worker_outcome o;
    const auto p = s.measure(problem(precision_id::int4), {}, o);
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(o.code, "cuda_error");
    EXPECT_EQ(p.status, disposition::failed);
    EXPECT_NE(p.message.find("illegal memory access"), std::string::npos);
    (void)s.measure(problem(precision_id::fp16), {}, o);
    EXPECT_TRUE(o.ok);
    // The two requests went to two different processes.
    std::ifstream in(log);
    std::string pid1, pid2, rest;
    in >> pid1 >> rest >> rest >> pid2;
    EXPECT_FALSE(pid1.empty());
    EXPECT_NE(pid1, pid2);
    std::remove(log.c_str());
}

TEST(worker_supervisor, a_worker_exiting_after_its_answer_does_not_fail_the_next_precision) {
    worker_supervisor s(fake_config());
    worker_outcome o;
    const auto sticky = s.measure(problem(precision_id::fp8_e5m2), {}, o);
    EXPECT_EQ(sticky.status, disposition::failed);
    EXPECT_NE(o.message.find("restarted"), std::string::npos) << o.message;
    const auto next = s.measure(problem(precision_id::fp16), {}, o);
    EXPECT_TRUE(o.ok) << o.message;
    EXPECT_EQ(next.status, disposition::passed);
    EXPECT_EQ(s.restarts(), 1U);
}

TEST(worker_supervisor, stdout_noise_is_ignored) {
    worker_supervisor s(fake_config());
    worker_outcome o;
    const auto p = s.measure(problem(precision_id::fp32), {}, o);
    EXPECT_TRUE(o.ok) << o.message;
    EXPECT_EQ(p.status, disposition::passed);
}

TEST(gpu_queue, runs_jobs_in_order_one_at_a_time_and_bounds_the_queue) {
    env_var delay("FAKE_WORKER_DELAY_MS", "300");
    worker_supervisor s(fake_config());
    gpu_queue q(s, 1);
    std::vector<std::string> order;
    std::mutex order_mutex;
    const auto make = [&](const std::string& tag) {
        auto job = std::make_shared<analysis_job>(std::vector<gemm_problem>{problem(precision_id::fp16)},
                                                  measure_options{});
        job->complete = [&, tag](analysis_job&) {
            std::lock_guard lock(order_mutex);
            order.push_back(tag);
            return job_event{"done", tag};
        };
        return job;
    };
    auto a = make("a");
    auto b = make("b");
    EXPECT_EQ(q.submit(a), 0U);
    // Let the queue thread take `a` (it publishes "started") so that `b` is the one waiting.
    job_event started;
    ASSERT_EQ(a->next(started, std::chrono::steady_clock::now() + 5s), analysis_job::wait_result::event);
    EXPECT_EQ(started.name, "started");
    EXPECT_EQ(q.length(), 1U);
    EXPECT_EQ(q.submit(b), 1U);
    try {
        (void)q.submit(make("c"));
        FAIL() << "a full queue must refuse";
    } catch (const api_error& e) {
        EXPECT_EQ(e.status(), 429);
        ASSERT_TRUE(e.retry_after_s());
        EXPECT_GE(*e.retry_after_s(), 1);
    }
    for (auto* job : {a.get(), b.get()}) {
        job_event e;
        while (job->next(e, std::chrono::steady_clock::now() + 10s) != analysis_job::wait_result::finished) {
        }
    }
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
    for (int i = 0; i < 100 && q.length() != 0; ++i) { // the queue thread books the end just after finish()
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(q.length(), 0U);
}

TEST(gpu_queue, cancel_skips_precisions_not_started_and_crashes_do_not_stop_the_job) {
    env_var delay("FAKE_WORKER_DELAY_MS", "200");
    worker_supervisor s(fake_config());
    gpu_queue q(s, 4);
    auto job = std::make_shared<analysis_job>(
        std::vector<gemm_problem>{problem(precision_id::int8), problem(precision_id::fp16),
                                  problem(precision_id::bf16), problem(precision_id::fp8_e4m3)},
        measure_options{});
    (void)q.submit(job);
    std::vector<std::string> events;
    job_event e;
    while (job->next(e, std::chrono::steady_clock::now() + 10s) != analysis_job::wait_result::finished) {
        events.push_back(e.name);
        if (e.name == "point" && events.size() > 4) {
            job->cancel(); // after the second point: the third and fourth precisions must not start
        }
    }
    ASSERT_EQ(job->measured.size(), 4U);
    EXPECT_EQ(job->measured[0].status, disposition::failed) << "INT8 crashed the worker";
    EXPECT_EQ(job->measured[1].status, disposition::passed) << "the next precision ran on a fresh worker";
    EXPECT_EQ(job->measured[3].status, disposition::not_run);
    const auto started = std::count(events.begin(), events.end(), "started");
    EXPECT_LE(started, 3);
    EXPECT_EQ(std::count(events.begin(), events.end(), "error"), 1);
}
