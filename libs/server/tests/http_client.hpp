// Test helpers: start the real `roofline serve` on a free port, and talk to it over raw sockets when a test
// needs bytes a normal client would not send (path traversal, a client vanishing mid-stream).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace test {

struct server_process {
    pid_t pid = -1;
    int port = 0;
    std::filesystem::path log; // the server's stderr
    std::string start_error;   // set when it did not come up; the log's tail included

    server_process() = default;
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;
    server_process(server_process&& o) noexcept;
    server_process& operator=(server_process&& o) noexcept; // stops the server it held
    ~server_process();

    [[nodiscard]] bool running() const { return pid > 0 && port > 0; }
    void kill9();
    int stop(); // SIGTERM, wait; the exit status
    [[nodiscard]] std::string log_text() const;
};

// Starts ROOFLINE_BIN serve --port 0 <args> with extra environment "NAME=value" entries.
server_process start_server(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// Runs ROOFLINE_BIN with args to completion; exit code and everything it printed.
int run_binary(const std::vector<std::string>& args, std::string& output,
               const std::vector<std::string>& env = {});

// Sends `request` verbatim and returns everything the server sends back until it closes (or the timeout).
std::string raw_exchange(int port, const std::string& request,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

// Connects, sends `request`, reads until `until` appears in the response, then closes the socket abruptly.
// Returns what was read.
std::string raw_read_until_then_close(int port, const std::string& request, const std::string& until,
                                      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// Sends `request` (one or more requests), closes the sending side, and returns everything until the server
// closes (or the timeout).
std::string raw_exchange_half_close(int port, const std::string& request,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// A connected socket (caller closes), and a send of all bytes.
int open_connection(int port);
bool send_bytes(int fd, const std::string& bytes);

struct temp_dir {
    std::filesystem::path path;
    temp_dir();
    ~temp_dir();
};

} // namespace test
