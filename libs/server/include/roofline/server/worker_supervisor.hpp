// The supervisor of `roofline worker`: the child process that owns the GPU (line protocol in
// roofline/core/worker_protocol.hpp).
//
// Why a process: a sticky CUDA error poisons the CUDA context of the process for good, a crash in a library
// takes the process down, and a kernel that never returns cannot be interrupted from another thread. In a
// child each of these costs one precision: the supervisor reports it as failed, kills and reaps the child,
// and starts a fresh one for the next precision. The server itself never loads CUDA.
#pragma once

#include "roofline/core/backend.hpp"
#include "roofline/core/result.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace roofline::server {

// One child with its stdin/stdout on pipes. Not thread-safe: one supervisor thread drives it.
class worker_process {
  public:
    // Spawns argv[0] with argv (posix_spawn: safe in a threaded server, unlike fork). Every descriptor above
    // stderr is closed in the child, so it holds no client socket or database file. Throws std::system_error.
    // `env`: "NAME=value" entries set in the child on top of the server's environment (CUDA_VISIBLE_DEVICES
    // pins a worker to one GPU).
    explicit worker_process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
    worker_process(const worker_process&) = delete;
    worker_process& operator=(const worker_process&) = delete;
    ~worker_process(); // kills (SIGKILL) and reaps

    enum class read_status { line, eof, timeout, too_long };
    [[nodiscard]] bool send_line(const std::string& line); // false when the child is gone
    [[nodiscard]] read_status read_line(std::string& line, std::chrono::steady_clock::time_point deadline);
    // True when the child closes its stdout (exits) within `wait`; lines it writes meanwhile are kept.
    [[nodiscard]] bool closes_within(std::chrono::milliseconds wait);
    // Kills the child if it still runs, reaps it, and says how it ended ("killed by signal 11 (Segmentation
    // fault)", "exited with status 3").
    std::string finish();
    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }

  private:
    pid_t m_pid = -1;
    int m_to_child = -1;
    int m_from_child = -1;
    std::string m_buffer;
    std::string m_ended;
};

struct supervisor_config {
    std::vector<std::string> argv;                       // default: {"/proc/self/exe", "worker"}
    std::chrono::milliseconds precision_timeout{180000}; // one precision: setup, search, timing, verify
    std::chrono::milliseconds device_timeout{
        60000};                            // the first answer (CUDA initialisation): --device-timeout
    std::vector<std::string> env;          // "NAME=value" for the worker (CUDA_VISIBLE_DEVICES=2)
    std::optional<std::int64_t> gpu_index; // the GPU this worker is pinned to: tags its device and points
    // A probe that failed (a hang past device_timeout, no device) is tried again after this, doubling up to
    // probe_retry_max: a GPU that was slow to come up once is not down for the server's life.
    std::chrono::milliseconds probe_retry_initial{5000};
    std::chrono::milliseconds probe_retry_max{300000};
};

// How one request to the worker ended, for progress events.
struct worker_outcome {
    bool ok = true;
    std::string code;    // "worker_crashed", "worker_timeout", "worker_error", "protocol_error", ...
    std::string message; // a sentence a user can act on
};

class worker_supervisor {
  public:
    explicit worker_supervisor(supervisor_config config);
    worker_supervisor(const worker_supervisor&) = delete;
    worker_supervisor& operator=(const worker_supervisor&) = delete;
    ~worker_supervisor();

    // The worker's device; nullopt with `why` when it has none (no GPU, no CUDA in the build) or fails.
    // Each failure pushes the next retry (next_probe_due) back by the backoff.
    [[nodiscard]] std::optional<device_identity> probe_device(std::string& why);
    // When a failed probe may be tried again (the backoff), and how many probes failed in a row.
    [[nodiscard]] std::chrono::steady_clock::time_point next_probe_due() const noexcept {
        return m_next_probe;
    }
    [[nodiscard]] std::size_t probe_failures() const noexcept { return m_probe_failures; }
    // How the last failed probe ended: "no_device" (the worker answered: no GPU, no CUDA) or the fault
    // ("worker_timeout", "worker_crashed", ...), which a retry may cure.
    [[nodiscard]] const std::string& last_probe_code() const noexcept { return m_last_probe_code; }
    // Measures one problem in the worker. Never throws for worker faults: a crash, a hang past the time
    // limit, an error reply or a garbled line give a point with disposition failed and a message, and the
    // worker is restarted for the next call.
    [[nodiscard]] analysis_point measure(const gemm_problem& problem, const measure_options& options,
                                         worker_outcome& outcome);
    [[nodiscard]] std::size_t restarts() const noexcept { return m_restarts; }
    [[nodiscard]] const supervisor_config& config() const noexcept { return m_config; }
    // From any thread (shutdown): kills the worker's process group now, so a hung precision ends at once and
    // no later request starts one. The call on the supervisor's thread returns a failed point.
    void abort_now() noexcept;

  private:
    // Sends one request and waits for the reply with the same id. On failure the worker is killed.
    std::optional<std::string> exchange(const std::string& request, std::int64_t id,
                                        std::chrono::milliseconds timeout, worker_outcome& outcome,
                                        const std::string& timeout_hint);
    [[nodiscard]] std::optional<device_identity> ask_device(std::string& why);
    void note_noise(const std::string& line);
    void flush_noise();
    void ensure_started();
    void discard_worker();
    void retire_if_exiting(worker_outcome& outcome);

    supervisor_config m_config;
    std::optional<worker_process> m_worker;
    std::int64_t m_next_id = 1;
    std::size_t m_starts = 0;
    std::atomic<std::size_t> m_restarts{0}; // read by /api/health from other threads
    std::atomic<pid_t> m_running_pid{-1};   // the worker while a request is out, for abort_now()
    std::atomic<bool> m_aborted{false};
    std::size_t m_probe_failures = 0;
    std::string m_last_probe_code;
    std::chrono::steady_clock::time_point m_next_probe{};
    static constexpr std::size_t max_noise_lines_logged = 20; // per server run; the rest are counted
    std::size_t m_noise_logged = 0;
    std::size_t m_noise_suppressed = 0;
};

// The configuration of the worker for GPU `ordinal` of the node: CUDA_VISIBLE_DEVICES=ordinal (PCI order, as
// nvidia-smi numbers GPUs) in its environment, its device and points tagged with the ordinal.
[[nodiscard]] supervisor_config pinned_worker(const supervisor_config& base, std::int64_t ordinal);

// A failed measured point for `problem` (traffic filled, no time) with `message`.
[[nodiscard]] analysis_point failed_point(const gemm_problem& problem, std::string message);

} // namespace roofline::server
