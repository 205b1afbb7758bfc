// Issue 18's worker edges: the worker's children die with it (process group), its noise is logged bounded, a
// hung device probe names --device-timeout, and shutdown does not wait for a hung precision.
#include "roofline/server/worker_supervisor.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <unistd.h>

using namespace roofline;
using namespace roofline::server;
using namespace std::chrono_literals;

namespace {

// Alive and not a zombie (a zombie waits for whoever adopted it to reap it; it runs nothing).
bool process_runs(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return false;
    }
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

std::filesystem::path temp_file(const std::string& name) {
    return std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()));
}

} // namespace

TEST(worker_edges, children_the_worker_forked_are_killed_with_it) {
    const auto pid_file = temp_file("roofline_worker_child");
    supervisor_config c;
    // A worker that starts a helper and then never answers.
    c.argv = {"/bin/sh", "-c", "sleep 300 & echo $! > " + pid_file.string() + "; exec sleep 300"};
    c.device_timeout = 700ms;
    pid_t child = -1;
    {
        worker_supervisor s(c);
        std::string why;
        EXPECT_FALSE(s.probe_device(why));
        std::ifstream in(pid_file);
        ASSERT_TRUE(in >> child) << "the helper did not start";
    }
    for (int i = 0; i < 50 && process_runs(child); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_FALSE(process_runs(child)) << "pid " << child << " outlived the worker";
    std::filesystem::remove(pid_file);
}

TEST(worker_edges, a_hung_device_probe_names_the_device_timeout) {
    supervisor_config c;
    c.argv = {"/bin/sh", "-c", "exec sleep 300"};
    c.device_timeout = 500ms;
    worker_supervisor s(c);
    std::string why;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(s.probe_device(why));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    EXPECT_NE(why.find("--device-timeout"), std::string::npos) << why;
    EXPECT_EQ(why.find("--precision-timeout"), std::string::npos) << why;
}

TEST(worker_edges, noise_is_logged_bounded) {
    supervisor_config c;
    c.argv = {"/bin/sh", "-c",
              "i=0; while [ $i -lt 5000 ]; do echo noise $i; i=$((i+1)); done; exec sleep 300"};
    c.device_timeout = 1500ms;
    worker_supervisor s(c);
    testing::internal::CaptureStderr();
    std::string why;
    EXPECT_FALSE(s.probe_device(why));
    const auto log = testing::internal::GetCapturedStderr();
    std::size_t lines = 0;
    for (const char ch : log) {
        lines += ch == '\n' ? 1 : 0;
    }
    EXPECT_LE(lines, 25U) << log.substr(0, 2000);
    EXPECT_NE(log.find("more non-protocol lines ignored"), std::string::npos) << log.substr(0, 2000);
}

TEST(worker_edges, abort_ends_a_hung_precision_at_once) {
    supervisor_config c;
    c.argv = {FAKE_WORKER}; // NVFP4: hangs without answering
    c.precision_timeout = 60s;
    c.device_timeout = 5s;
    worker_supervisor s(c);
    std::string why;
    ASSERT_TRUE(s.probe_device(why)) << why;
    auto measured = std::async(std::launch::async, [&s] {
        worker_outcome outcome;
        return s.measure(make_problem(256, 256, 256, precision_id::nvfp4), measure_options{}, outcome);
    });
    std::this_thread::sleep_for(300ms);
    const auto t0 = std::chrono::steady_clock::now();
    s.abort_now();
    ASSERT_EQ(measured.wait_for(3s), std::future_status::ready) << "the hung precision held the shutdown";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    EXPECT_EQ(measured.get().status, disposition::failed);
    worker_outcome outcome; // and nothing new starts once aborted
    EXPECT_EQ(s.measure(make_problem(256, 256, 256, precision_id::fp16), measure_options{}, outcome).status,
              disposition::failed);
    EXPECT_EQ(outcome.code, "server_stopping");
}
