// Several GPUs on one node, on CPU: one fake worker per "GPU" (pinned with CUDA_VISIBLE_DEVICES, as on a real
// node), a sweep spread over them, one GPU crashing without stopping the others, a worker whose first probe
// hangs coming up later through the retry, and the node check finding a planted slow GPU.
#include "roofline/core/analysis.hpp"
#include "roofline/core/hardware.hpp"
#include "roofline/core/roofline_model.hpp"
#include "roofline/server/gpu_queue.hpp"
#include "roofline/server/node_check.hpp"
#include "roofline/server/worker_supervisor.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <set>
#include <thread>
#include <unistd.h>

using namespace roofline;
using namespace roofline::server;
using namespace std::chrono_literals;

namespace {

struct env_var {
    std::string name;
    env_var(std::string n, const std::string& value) : name(std::move(n)) {
        setenv(name.c_str(), value.c_str(), 1);
    }
    ~env_var() { unsetenv(name.c_str()); }
};

supervisor_config base_config() {
    supervisor_config c;
    c.argv = {FAKE_WORKER};
    c.precision_timeout = 5000ms;
    c.device_timeout = 5000ms;
    return c;
}

// A node of `n` fake GPUs, probed.
struct fake_node {
    std::vector<std::unique_ptr<worker_supervisor>> supervisors;
    std::unique_ptr<gpu_queue> queue;

    explicit fake_node(std::size_t n, supervisor_config base = base_config()) {
        std::vector<gpu_lane_init> lanes;
        for (std::size_t i = 0; i < n; ++i) {
            supervisors.push_back(
                std::make_unique<worker_supervisor>(pinned_worker(base, static_cast<std::int64_t>(i))));
            gpu_lane_init l;
            l.supervisor = supervisors.back().get();
            l.device = l.supervisor->probe_device(l.why);
            lanes.push_back(std::move(l));
        }
        queue = std::make_unique<gpu_queue>(std::move(lanes), 8);
    }
    ~fake_node() { queue.reset(); }
};

void run_to_end(gpu_queue& q, const std::shared_ptr<analysis_job>& job) {
    (void)q.submit(job);
    job_event e;
    while (job->next(e, std::chrono::steady_clock::now() + 60s) != analysis_job::wait_result::finished) {
    }
}

gemm_problem problem(precision_id p) {
    return make_problem(256, 256, 256, p);
}

} // namespace

TEST(worker_supervisor, pinned_worker_sees_its_gpu_and_tags_its_points) {
    worker_supervisor s(pinned_worker(base_config(), 3));
    std::string why;
    const auto d = s.probe_device(why);
    ASSERT_TRUE(d) << why;
    EXPECT_EQ(d->uuid, "GPU-fake-3"); // the worker saw CUDA_VISIBLE_DEVICES=3
    EXPECT_EQ(d->serial, "fake-serial-3");
    EXPECT_EQ(d->index, 3);
    worker_outcome o;
    const auto p = s.measure(problem(precision_id::fp16), {}, o);
    ASSERT_TRUE(o.ok) << o.message;
    ASSERT_TRUE(p.measured);
    EXPECT_EQ(p.measured->device.index, 3);
    EXPECT_EQ(p.measured->device.pci_bus_id, "00000000:03:00.0");
}

TEST(worker_supervisor, failed_probes_back_off) {
    env_var no_device("FAKE_WORKER_NO_DEVICE", "1");
    auto c = base_config();
    c.probe_retry_initial = 200ms;
    c.probe_retry_max = 700ms;
    worker_supervisor s(c);
    std::string why;
    std::vector<std::chrono::milliseconds> waits;
    for (int i = 0; i < 4; ++i) {
        const auto before = std::chrono::steady_clock::now();
        EXPECT_FALSE(s.probe_device(why));
        waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(s.next_probe_due() - before));
    }
    EXPECT_EQ(s.probe_failures(), 4U);
    EXPECT_EQ(s.last_probe_code(), "no_device");
    // 200, 400, then capped at 700 (each measured from before the probe, so a little more).
    EXPECT_GE(waits[0], 200ms);
    EXPECT_LT(waits[0], 400ms);
    EXPECT_GE(waits[1], 400ms);
    EXPECT_GE(waits[2], 700ms);
    EXPECT_LT(waits[3], 1400ms);
}

TEST(gpu_queue, a_sweep_is_spread_over_the_gpus_in_order) {
    env_var delay("FAKE_WORKER_DELAY_MS", "300");
    fake_node node(3);
    ASSERT_EQ(node.queue->lanes_up(), 3U);
    const std::vector<precision_id> sweep{precision_id::fp16, precision_id::bf16, precision_id::fp8_e4m3,
                                          precision_id::tf32, precision_id::fp16, precision_id::bf16};
    std::vector<gemm_problem> problems;
    for (const auto p : sweep) {
        problems.push_back(problem(p));
    }
    auto job = std::make_shared<analysis_job>(problems, measure_options{});
    const auto start = std::chrono::steady_clock::now();
    run_to_end(*node.queue, job);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(job->measured.size(), sweep.size());
    std::set<std::int64_t> gpus;
    for (std::size_t i = 0; i < sweep.size(); ++i) {
        const auto& p = job->measured[i];
        EXPECT_EQ(p.problem.a, sweep[i]) << "points come back in the problems' order";
        EXPECT_EQ(p.status, disposition::passed) << p.message;
        ASSERT_TRUE(p.measured);
        ASSERT_TRUE(p.measured->device.index);
        EXPECT_EQ(p.measured->device.uuid, "GPU-fake-" + std::to_string(*p.measured->device.index));
        gpus.insert(*p.measured->device.index);
    }
    EXPECT_GE(gpus.size(), 2U) << "a sweep runs on more than one GPU";
    // Six 300 ms precisions one after another take 1.8 s; spread over three GPUs about 0.6 s.
    EXPECT_LT(took, 1600ms);
}

// Each GPU works through the queue at its own pace: two one-precision analyses from two clients run on two
// GPUs at the same time instead of one after the other.
TEST(gpu_queue, separate_jobs_run_on_separate_gpus_at_once) {
    env_var delay("FAKE_WORKER_DELAY_MS", "600");
    fake_node node(2);
    ASSERT_EQ(node.queue->lanes_up(), 2U);
    auto first = std::make_shared<analysis_job>(std::vector<gemm_problem>{problem(precision_id::fp16)},
                                                measure_options{});
    auto second = std::make_shared<analysis_job>(std::vector<gemm_problem>{problem(precision_id::bf16)},
                                                 measure_options{});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(node.queue->submit(first), 0U);
    (void)node.queue->submit(second);
    std::this_thread::sleep_for(200ms);
    std::size_t busy = 0;
    for (const auto& l : node.queue->lanes()) {
        busy += l.state == "busy" ? 1 : 0;
    }
    EXPECT_EQ(busy, 2U) << "the second job started on the idle GPU";
    job_event e;
    for (const auto& j : {first, second}) {
        while (j->next(e, std::chrono::steady_clock::now() + 60s) != analysis_job::wait_result::finished) {
        }
    }
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(first->measured.size(), 1U);
    ASSERT_EQ(second->measured.size(), 1U);
    ASSERT_TRUE(first->measured[0].measured && second->measured[0].measured);
    EXPECT_NE(first->measured[0].measured->device.index, second->measured[0].measured->device.index);
    EXPECT_LT(took, 1100ms) << "two 600 ms precisions on two GPUs overlap";
}

// An exclusive job (the node check's phases) waits for the running ones and nothing starts beside it, so a
// GPU measured "alone" has idle neighbours.
TEST(gpu_queue, an_exclusive_job_runs_with_the_node_to_itself) {
    env_var delay("FAKE_WORKER_DELAY_MS", "400");
    fake_node node(2);
    auto before = std::make_shared<analysis_job>(std::vector<gemm_problem>{problem(precision_id::fp16)},
                                                 measure_options{});
    auto alone = std::make_shared<analysis_job>(std::vector<gemm_problem>{problem(precision_id::bf16)},
                                                measure_options{});
    alone->lane_for = {1};
    alone->exclusive = true;
    auto after = std::make_shared<analysis_job>(std::vector<gemm_problem>{problem(precision_id::tf32)},
                                                measure_options{});
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::chrono::steady_clock::duration> ended(3);
    (void)node.queue->submit(before);
    (void)node.queue->submit(alone);
    (void)node.queue->submit(after);
    job_event e;
    std::size_t k = 0;
    for (const auto& j : {before, alone, after}) {
        while (j->next(e, std::chrono::steady_clock::now() + 60s) != analysis_job::wait_result::finished) {
        }
        ended[k++] = std::chrono::steady_clock::now() - t0;
    }
    ASSERT_EQ(alone->measured.size(), 1U);
    ASSERT_TRUE(alone->measured[0].measured);
    EXPECT_EQ(alone->measured[0].measured->device.index, 1);
    // Serial, not overlapped: before (0.4 s), then alone (0.4 s), then after (0.4 s), although two GPUs idle.
    EXPECT_GE(ended[1], 750ms) << "the exclusive job waited for the running one";
    EXPECT_GE(ended[2] - ended[1], 300ms) << "nothing ran beside the exclusive job";
}

TEST(gpu_queue, a_crashing_gpu_is_marked_and_restarted_while_the_others_go_on) {
    env_var crash("FAKE_WORKER_CRASH_GPU", "1");
    fake_node node(3);
    auto job = std::make_shared<analysis_job>(
        std::vector<gemm_problem>{problem(precision_id::fp16), problem(precision_id::fp16),
                                  problem(precision_id::fp16), problem(precision_id::bf16),
                                  problem(precision_id::bf16), problem(precision_id::bf16)},
        measure_options{});
    job->lane_for = {0, 1, 2, 0, 1, 2};
    run_to_end(*node.queue, job);
    for (std::size_t i = 0; i < job->measured.size(); ++i) {
        const auto& p = job->measured[i];
        if (job->lane_for[i] == 1) {
            EXPECT_EQ(p.status, disposition::failed);
            EXPECT_NE(p.message.find("died"), std::string::npos) << p.message;
        } else {
            EXPECT_EQ(p.status, disposition::passed) << p.message;
        }
    }
    const auto lanes = node.queue->lanes();
    EXPECT_EQ(lanes[1].state, "restarting");
    EXPECT_EQ(lanes[1].faults, 2U);
    EXPECT_GE(lanes[1].restarts, 1U); // a fresh worker for its second precision
    EXPECT_FALSE(lanes[1].last_error.empty());
    EXPECT_EQ(lanes[0].state, "ready");
    EXPECT_EQ(lanes[0].faults, 0U);
    EXPECT_EQ(lanes[2].restarts, 0U);
    // The node keeps working: a free sweep still completes, on the GPUs that work and the one that crashes.
    auto next = std::make_shared<analysis_job>(std::vector<gemm_problem>{problem(precision_id::tf32)},
                                               measure_options{});
    next->lane_for = {2};
    run_to_end(*node.queue, next);
    EXPECT_EQ(next->measured.at(0).status, disposition::passed);
}

TEST(gpu_queue, a_worker_whose_first_probe_hangs_comes_up_through_the_retry) {
    const auto marker =
        std::filesystem::temp_directory_path() / ("hang-first-probe-" + std::to_string(getpid()));
    std::filesystem::remove(marker);
    env_var hang("FAKE_WORKER_HANG_FIRST_PROBE", marker.string());
    auto base = base_config();
    base.device_timeout = 500ms;
    base.probe_retry_initial = 200ms;
    fake_node node(1, base);
    EXPECT_EQ(node.queue->lanes_up(), 0U) << "the first probe hung past device_timeout";
    EXPECT_EQ(node.queue->lanes().at(0).state, "down");
    EXPECT_NE(node.queue->lanes().at(0).last_error.find("no answer"), std::string::npos)
        << node.queue->lanes().at(0).last_error;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (node.queue->lanes_up() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(node.queue->lanes_up(), 1U) << "the lane probed again and its worker answered";
    ASSERT_TRUE(node.queue->first_device());
    EXPECT_EQ(node.queue->first_device()->uuid, "GPU-fake-0");
    auto job = std::make_shared<analysis_job>(std::vector<gemm_problem>{problem(precision_id::fp16)},
                                              measure_options{});
    run_to_end(*node.queue, job);
    EXPECT_EQ(job->measured.at(0).status, disposition::passed) << job->measured.at(0).message;
    std::filesystem::remove(marker);
}

TEST(gpu_queue, work_pinned_to_a_down_gpu_fails_with_its_reason_and_the_job_ends) {
    const auto marker = std::filesystem::temp_directory_path() / ("hang-pinned-" + std::to_string(getpid()));
    std::filesystem::remove(marker);
    env_var hang("FAKE_WORKER_HANG_FIRST_PROBE", marker.string());
    auto base = base_config();
    base.device_timeout = 300ms;
    base.probe_retry_initial = 60s; // stays down for the test
    fake_node node(2, base);        // GPU 0's probe hangs (the first), GPU 1 answers
    ASSERT_EQ(node.queue->lanes_up(), 1U);
    auto job = std::make_shared<analysis_job>(
        std::vector<gemm_problem>{problem(precision_id::fp16), problem(precision_id::fp16)},
        measure_options{});
    job->lane_for = {0, 1};
    run_to_end(*node.queue, job);
    EXPECT_EQ(job->measured.at(0).status, disposition::failed);
    EXPECT_NE(job->measured.at(0).message.find("GPU 0 is down"), std::string::npos)
        << job->measured.at(0).message;
    EXPECT_EQ(job->measured.at(1).status, disposition::passed);
    std::filesystem::remove(marker);
}

TEST(node_check, a_slow_gpu_among_fakes_is_flagged_for_its_clock) {
    env_var slow("FAKE_WORKER_SLOW_GPU", "2");
    fake_node node(4);
    node_check_request r;
    r.problems = {make_problem(2048, 2048, 2048, precision_id::bf16)};
    const auto registry = hardware_registry::builtin();
    const auto& hw = registry.at("h100-sxm");
    const auto report = run_node_check(
        *node.queue, r, [&hw](analysis_point& p) { annotate(hw, p); }, nullptr);
    ASSERT_EQ(report.gpus.size(), 4U);
    for (const auto& g : report.gpus) {
        EXPECT_TRUE(g.alone.ran) << g.alone.message;
        EXPECT_TRUE(g.together.ran) << g.together.message;
        EXPECT_EQ(g.uuid, "GPU-fake-" + std::to_string(g.index));
        EXPECT_EQ(g.serial, "fake-serial-" + std::to_string(g.index));
    }
    ASSERT_FALSE(report.outliers.empty());
    for (const auto& o : report.outliers) {
        EXPECT_EQ(o.index, 2) << o.message;
        EXPECT_NE(std::find(o.reasons.begin(), o.reasons.end(), "clock"), o.reasons.end()) << o.message;
    }
    ASSERT_TRUE(report.alone.spread_pct);
    EXPECT_GT(*report.alone.spread_pct, 4.0);
}

TEST(node_check, a_crashing_gpu_is_reported_failed_and_the_others_measured) {
    env_var crash("FAKE_WORKER_CRASH_GPU", "0");
    fake_node node(2);
    node_check_request r;
    r.problems = {make_problem(1024, 1024, 1024, precision_id::fp16)};
    const auto registry = hardware_registry::builtin();
    const auto& hw = registry.at("h100-sxm");
    const auto report = run_node_check(
        *node.queue, r, [&hw](analysis_point& p) { annotate(hw, p); }, nullptr);
    ASSERT_EQ(report.gpus.size(), 2U);
    EXPECT_FALSE(report.gpus[0].alone.ran);
    EXPECT_TRUE(report.gpus[1].alone.ran);
    EXPECT_TRUE(report.gpus[1].together.ran);
    const auto failed =
        std::count_if(report.outliers.begin(), report.outliers.end(), [](const node_outlier& o) {
            return o.index == 0 && o.reasons == std::vector<std::string>{"failed"};
        });
    EXPECT_EQ(failed, 2); // alone and together
}
