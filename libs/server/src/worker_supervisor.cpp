#include "roofline/server/worker_supervisor.hpp"

#include "log.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/worker_protocol.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <spawn.h>
#include <string_view>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace roofline::server {
namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t max_reply_bytes = 64 * 1024 * 1024; // a point with every sample kept is far smaller

[[noreturn]] void throw_errno(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* name = strsignal(sig);
        return "killed by signal " + std::to_string(sig) + " (" + (name != nullptr ? name : "?") + ")";
    }
    return "ended with wait status " + std::to_string(status);
}

} // namespace

analysis_point failed_point(const gemm_problem& problem, std::string message) {
    analysis_point p;
    p.problem = problem;
    p.traffic = compute_traffic(problem);
    p.source = point_source::measured;
    p.status = disposition::failed;
    p.message = std::move(message);
    return p;
}

supervisor_config pinned_worker(const supervisor_config& base, std::int64_t ordinal) {
    auto c = base;
    // PCI order, as NVML and nvidia-smi number GPUs: CUDA's default order (fastest first) would make ordinal
    // 2 a different board than nvidia-smi's GPU 2.
    c.env.emplace_back("CUDA_DEVICE_ORDER=PCI_BUS_ID");
    c.env.push_back("CUDA_VISIBLE_DEVICES=" + std::to_string(ordinal));
    c.gpu_index = ordinal;
    return c;
}

// ----------------------------------------------------------------------------------------------
// worker_process

worker_process::worker_process(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    if (argv.empty()) {
        throw std::invalid_argument("worker command is empty");
    }
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0) {
        throw_errno("pipe2");
    }
    if (pipe2(out, O_CLOEXEC) != 0) {
        const int e = errno;
        close(in[0]);
        close(in[1]);
        errno = e;
        throw_errno("pipe2");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    // Client sockets and the database stay with the server: a worker holding a socket would keep a
    // connection open after the server closed it.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE); // the server ignores SIGPIPE; the worker gets the default back
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    // Its own process group: whatever it forks (a compiler, a profiler, a helper a library starts) is killed
    // with it.
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    // The server's environment with `env` on top (an entry of `env` replaces one of the same name).
    std::vector<std::string> merged;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('=') + 1);
        const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) {
            return x.compare(0, name.size(), name) == 0;
        });
        if (!replaced) {
            merged.emplace_back(entry);
        }
    }
    merged.insert(merged.end(), env.begin(), env.end());
    std::vector<char*> envp;
    envp.reserve(merged.size() + 1);
    for (auto& e : merged) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    const int rc = posix_spawnp(&m_pid, args[0], &actions, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        m_pid = -1;
        throw std::system_error(rc, std::generic_category(), "posix_spawnp(" + argv[0] + ")");
    }
    m_to_child = in[1];
    m_from_child = out[0];
}

worker_process::~worker_process() {
    (void)finish();
}

bool worker_process::send_line(const std::string& line) {
    std::size_t done = 0;
    while (done < line.size()) {
        const auto n = write(m_to_child, line.data() + done, line.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false; // EPIPE: the child is gone (SIGPIPE is ignored by the server)
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

worker_process::read_status worker_process::read_line(std::string& line,
                                                      std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        if (const auto nl = m_buffer.find('\n'); nl != std::string::npos) {
            line.assign(m_buffer, 0, nl);
            m_buffer.erase(0, nl + 1);
            return read_status::line;
        }
        if (m_buffer.size() > max_reply_bytes) {
            return read_status::too_long;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
        if (left.count() <= 0) {
            return read_status::timeout;
        }
        pollfd p{m_from_child, POLLIN, 0};
        const int r = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (r < 0 && errno != EINTR) {
            return read_status::eof;
        }
        if (r <= 0) {
            continue;
        }
        char buf[65536];
        const auto n = read(m_from_child, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            return read_status::eof;
        }
        m_buffer.append(buf, static_cast<std::size_t>(n));
    }
}

bool worker_process::closes_within(std::chrono::milliseconds wait) {
    const auto deadline = clock_type::now() + wait;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd p{m_from_child, POLLIN, 0};
        const int r = poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        char buf[4096];
        const auto n = read(m_from_child, buf, sizeof buf);
        if (n == 0) {
            return true;
        }
        if (n > 0) {
            m_buffer.append(buf, static_cast<std::size_t>(n));
        }
    }
}

std::string worker_process::finish() {
    if (m_pid > 0) {
        if (m_to_child >= 0) {
            close(m_to_child);
            m_to_child = -1;
        }
        // A worker that already ended tells how; one still running is stopped here on purpose (no longer
        // needed, or hung), which is no crash and is not worded as one.
        int status = 0;
        pid_t done = 0;
        // A worker that just crashed closes its pipe a moment before the kernel makes it reapable: give it up
        // to 100 ms to be seen ending by itself, or its crash would read as a stop.
        for (int i = 0; i < 100; ++i) {
            while ((done = waitpid(m_pid, &status, WNOHANG)) < 0 && errno == EINTR) {
            }
            if (done != 0) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        kill(-m_pid, SIGKILL); // the group: children the worker forked go too
        if (done == m_pid) {
            m_ended = describe_status(status);
        } else {
            kill(m_pid, SIGKILL);
            while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
            }
            m_ended = "stopped by the server";
        }
        m_pid = -1;
    }
    if (m_to_child >= 0) {
        close(m_to_child);
        m_to_child = -1;
    }
    if (m_from_child >= 0) {
        close(m_from_child);
        m_from_child = -1;
    }
    return m_ended;
}

// -------------------------------------------------------------------------------------------
// worker_supervisor

worker_supervisor::worker_supervisor(supervisor_config config) : m_config(std::move(config)) {
    if (m_config.argv.empty()) {
        m_config.argv = {"/proc/self/exe", "worker"};
    }
    // Writing to a worker that just died must be an error code, not a signal that ends the server.
    std::signal(SIGPIPE, SIG_IGN);
}

worker_supervisor::~worker_supervisor() = default;

void worker_supervisor::ensure_started() {
    if (m_worker) {
        return;
    }
    m_worker.emplace(m_config.argv, m_config.env);
    if (m_starts++ > 0) {
        ++m_restarts;
        log_line("worker: restarted (pid " + std::to_string(m_worker->pid()) + ")");
    }
}

void worker_supervisor::discard_worker() {
    if (m_worker) {
        const auto pid = m_worker->pid();
        const auto ended = m_worker->finish();
        log_line("worker: pid " + std::to_string(pid) + " " + ended);
        m_worker.reset();
    }
}

void worker_supervisor::note_noise(const std::string& line) {
    if (m_noise_logged < max_noise_lines_logged) {
        ++m_noise_logged;
        log_line(
            "worker: ignored a non-protocol line: " + line.substr(0, 200) +
            (m_noise_logged == max_noise_lines_logged ? " (further lines are counted, not logged)" : ""));
    } else {
        ++m_noise_suppressed;
    }
}

void worker_supervisor::flush_noise() {
    if (m_noise_suppressed > 0) {
        log_line("worker: " + std::to_string(m_noise_suppressed) + " more non-protocol lines ignored");
        m_noise_suppressed = 0;
    }
}

void worker_supervisor::abort_now() noexcept {
    m_aborted = true;
    if (const pid_t pid = m_running_pid.load(); pid > 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
}

std::optional<std::string> worker_supervisor::exchange(const std::string& request, std::int64_t id,
                                                       std::chrono::milliseconds timeout,
                                                       worker_outcome& outcome,
                                                       const std::string& timeout_hint) {
    const auto fail = [&](std::string code, std::string message) {
        flush_noise();
        std::string ended;
        m_running_pid = -1;
        if (m_worker) {
            ended = m_worker->finish();
            m_worker.reset();
        }
        outcome = {false, std::move(code),
                   message + (ended.empty() ? "" : " (the worker " + ended + ")") +
                       "; the server restarts it for the next precision"};
        log_line("worker: " + outcome.message);
        return std::nullopt;
    };
    try {
        ensure_started();
    } catch (const std::exception& e) {
        outcome = {false, "worker_unavailable", std::string("could not start the GPU worker: ") + e.what()};
        return std::nullopt;
    }
    if (m_aborted) {
        outcome = {false, "server_stopping", "the server is stopping"};
        return std::nullopt;
    }
    m_running_pid = m_worker->pid();
    if (!m_worker->send_line(request + "\n")) {
        return fail("worker_crashed", "the GPU worker was gone before it took the request");
    }
    const auto deadline = clock_type::now() + timeout;
    std::string line;
    for (;;) {
        switch (m_worker->read_line(line, deadline)) {
        case worker_process::read_status::eof:
            return fail("worker_crashed", "the GPU worker died while working on this precision");
        case worker_process::read_status::timeout:
            return fail("worker_timeout", "no answer from the GPU worker within " +
                                              std::to_string(timeout.count() / 1000) +
                                              " s, so it was killed; " + timeout_hint);
        case worker_process::read_status::too_long:
            return fail("protocol_error", "the GPU worker sent a reply line over 64 MiB");
        case worker_process::read_status::line:
            break;
        }
        const auto reply = json::parse(line, nullptr, false);
        if (!reply.is_object() || !reply.contains("id")) {
            // Libraries sometimes print to stdout; such lines are noise, not replies. A worker that prints
            // without end must not fill the server's log: the first few lines are kept, then a count.
            note_noise(line);
            continue;
        }
        if (!reply["id"].is_number_integer() || reply["id"].get<std::int64_t>() != id) {
            note_noise(line);
            continue;
        }
        flush_noise();
        m_running_pid = -1;
        outcome = {};
        return line;
    }
}

std::optional<device_identity> worker_supervisor::probe_device(std::string& why) {
    auto device = ask_device(why);
    if (device) {
        m_probe_failures = 0;
        device->index = m_config.gpu_index;
        return device;
    }
    // Backoff: initial, 2x, 4x, ... up to the maximum, so a worker that hung its first probe (a slow driver
    // start, a GPU held by another process) is asked again without the log filling up with retries.
    const auto shift = std::min<std::size_t>(m_probe_failures, 16);
    ++m_probe_failures;
    const std::chrono::milliseconds wait = std::min(
        m_config.probe_retry_max, std::chrono::milliseconds(m_config.probe_retry_initial.count() << shift));
    m_next_probe = clock_type::now() + wait;
    log_line("worker" +
             (m_config.gpu_index ? " for GPU " + std::to_string(*m_config.gpu_index) : std::string()) +
             ": probe " + std::to_string(m_probe_failures) + " failed (" + why + "); next try in " +
             std::to_string(wait.count()) + " ms");
    return std::nullopt;
}

std::optional<device_identity> worker_supervisor::ask_device(std::string& why) {
    const auto id = m_next_id++;
    worker_outcome outcome;
    const auto line =
        exchange(json{{"id", id}, {"command", "device"}}.dump(), id, m_config.device_timeout, outcome,
                 "raise --device-timeout if CUDA takes this long to start on this machine");
    if (!line) {
        why = outcome.message;
        m_last_probe_code = outcome.code; // worker_timeout, worker_crashed, ...: worth asking again
        return std::nullopt;
    }
    m_last_probe_code = "no_device";
    const auto reply = json::parse(*line, nullptr, false);
    if (const auto d = reply.find("device"); d != reply.end() && d->is_object()) {
        return device_from_json(*d);
    }
    if (const auto e = reply.find("error"); e != reply.end() && e->is_object()) {
        why = e->value("message", std::string("the worker reported no device"));
    } else {
        why = "the worker's reply to 'device' had neither 'device' nor 'error'";
    }
    discard_worker(); // nothing to measure with: no need to keep the process
    return std::nullopt;
}

void worker_supervisor::retire_if_exiting(worker_outcome& outcome) {
    // `roofline worker` answers a precision that hit a sticky CUDA error and then exits (its context is gone
    // for good). Noticing the exit now keeps the next precision from being blamed for this one's fault.
    if (m_worker && m_worker->closes_within(std::chrono::milliseconds(300))) {
        discard_worker();
        outcome.message += "; the worker exited after it (a sticky CUDA error) and was restarted";
    }
}

analysis_point worker_supervisor::measure(const gemm_problem& problem, const measure_options& options,
                                          worker_outcome& outcome) {
    const auto id = m_next_id++;
    const json request{{"id", id}, {"problem", to_json(problem)}, {"options", to_json(options)}};
    const auto line = exchange(request.dump(), id, m_config.precision_timeout, outcome,
                               "raise --precision-timeout if this shape legitimately takes longer");
    if (!line) {
        return failed_point(problem, outcome.message);
    }
    const auto reply = json::parse(*line, nullptr, false);
    if (const auto p = reply.find("point"); p != reply.end() && p->is_object()) {
        try {
            auto point = point_from_json(*p);
            point.source = point_source::measured;
            if (point.measured && m_config.gpu_index) {
                point.measured->device.index = m_config.gpu_index; // the GPU it ran on, for a node's sweep
            }
            if (point.problem.m != problem.m || point.problem.n != problem.n ||
                point.problem.k != problem.k || point.problem.a != problem.a ||
                point.problem.b != problem.b) {
                outcome = {false, "protocol_error", "the GPU worker answered for another problem"};
                discard_worker();
                return failed_point(problem, outcome.message);
            }
            // not_supported and invalid_problem are answers, not faults: the point carries their message.
            if (point.status == disposition::failed) {
                outcome = {false, std::string(to_string(point.status)), point.message};
                retire_if_exiting(outcome);
            }
            return point;
        } catch (const std::exception& e) {
            outcome = {false, "protocol_error",
                       std::string("the GPU worker's point did not parse: ") + e.what()};
            discard_worker();
            return failed_point(problem, outcome.message);
        }
    }
    if (const auto e = reply.find("error"); e != reply.end() && e->is_object()) {
        outcome = {false, e->value("code", std::string("worker_error")),
                   e->value("message", std::string("the GPU worker reported an error"))};
        // A sticky CUDA error leaves the worker's context unusable: the worker says so with "fatal": true
        // (or exits, which the next request notices); either way the next precision gets a fresh process.
        if (e->value("fatal", false) || reply.value("fatal", false)) {
            discard_worker();
            outcome.message += "; the worker was restarted";
        } else {
            retire_if_exiting(outcome);
        }
        return failed_point(problem, outcome.message);
    }
    outcome = {false, "protocol_error", "the GPU worker's reply had neither 'point' nor 'error'"};
    discard_worker();
    return failed_point(problem, outcome.message);
}

} // namespace roofline::server
