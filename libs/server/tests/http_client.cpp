#include "http_client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace test {
namespace fs = std::filesystem;

temp_dir::temp_dir() {
    char tmpl[] = "/tmp/roofline_api_XXXXXX";
    path = mkdtemp(tmpl);
}

temp_dir::~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

namespace {

std::vector<char*> make_env(const std::vector<std::string>& extra, std::vector<std::string>& storage) {
    for (char** e = environ; *e != nullptr; ++e) {
        storage.emplace_back(*e);
    }
    for (const auto& x : extra) {
        storage.push_back(x);
    }
    std::vector<char*> out;
    for (auto& s : storage) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, int out_fd,
            int err_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    std::vector<std::string> argv_storage = argv;
    std::vector<char*> args;
    for (auto& a : argv_storage) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    std::vector<std::string> env_storage;
    auto envp = make_env(env, env_storage);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

int wait_with_timeout(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return status;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
}

int connect_to(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
        const auto n = send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

server_process::server_process(server_process&& o) noexcept
    : pid(o.pid), port(o.port), log(std::move(o.log)), start_error(std::move(o.start_error)) {
    o.pid = -1;
}

server_process& server_process::operator=(server_process&& o) noexcept {
    if (this != &o) {
        if (pid > 0) {
            (void)stop();
        }
        pid = o.pid;
        port = o.port;
        log = std::move(o.log);
        start_error = std::move(o.start_error);
        o.pid = -1;
    }
    return *this;
}

server_process::~server_process() {
    if (pid > 0) {
        (void)stop();
    }
}

void server_process::kill9() {
    if (pid > 0) {
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        pid = -1;
    }
}

int server_process::stop() {
    if (pid <= 0) {
        return -1;
    }
    kill(pid, SIGTERM);
    const int status = wait_with_timeout(pid, std::chrono::milliseconds(15000));
    pid = -1;
    return status;
}

std::string server_process::log_text() const {
    std::ifstream in(log);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

server_process start_server(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    static int counter = 0;
    server_process p;
    p.log = fs::temp_directory_path() /
            ("roofline_api_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".log");
    const int err_fd = open(p.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        p.start_error = "pipe failed";
        return p;
    }
    std::vector<std::string> argv{ROOFLINE_BIN, "serve", "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    p.pid = spawn(argv, env, out[1], err_fd);
    close(out[1]);
    close(err_fd);
    if (p.pid <= 0) {
        close(out[0]);
        p.start_error = "spawn failed";
        return p;
    }
    // The first line on stdout is "listening on http://127.0.0.1:PORT".
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd pfd{out[0], POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        char buf[256];
        const auto n = read(out[0], buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]); // later stdout lines are not needed; the server writes only this one
    const auto at = text.find("listening on http://");
    const auto colon = at == std::string::npos ? std::string::npos : text.find(':', at + 20);
    if (colon != std::string::npos) {
        p.port = std::atoi(text.c_str() + colon + 1);
    }
    if (p.port <= 0) {
        p.start_error = "no 'listening on' line; stdout: '" + text + "'; log: " + p.log_text();
        int status = 0;
        if (waitpid(p.pid, &status, WNOHANG) == 0) {
            kill(p.pid, SIGKILL);
            waitpid(p.pid, &status, 0);
        }
        p.pid = -1;
    }
    return p;
}

int run_binary(const std::vector<std::string>& args, std::string& output,
               const std::vector<std::string>& env) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        return -1;
    }
    std::vector<std::string> argv{ROOFLINE_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    const pid_t pid = spawn(argv, env, out[1], out[1]);
    close(out[1]);
    char buf[4096];
    for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) {
        output.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    const int status = wait_with_timeout(pid, std::chrono::milliseconds(30000));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string raw_exchange(int port, const std::string& request, std::chrono::milliseconds timeout) {
    const int fd = connect_to(port);
    if (fd < 0) {
        return {};
    }
    std::string out;
    if (send_all(fd, request)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{fd, POLLIN, 0};
            if (poll(&pfd, 1, 50) <= 0) {
                continue;
            }
            char buf[4096];
            const auto n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    close(fd);
    return out;
}

std::string raw_read_until_then_close(int port, const std::string& request, const std::string& until,
                                      std::chrono::milliseconds timeout) {
    const int fd = connect_to(port);
    if (fd < 0) {
        return {};
    }
    std::string out;
    if (send_all(fd, request)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out.find(until) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{fd, POLLIN, 0};
            if (poll(&pfd, 1, 50) <= 0) {
                continue;
            }
            char buf[4096];
            const auto n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    // An abrupt close (RST): the server notices at its next write.
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
    return out;
}

int open_connection(int port) {
    return connect_to(port);
}

bool send_bytes(int fd, const std::string& bytes) {
    return send_all(fd, bytes);
}

std::string raw_exchange_half_close(int port, const std::string& request, std::chrono::milliseconds timeout) {
    const int fd = connect_to(port);
    if (fd < 0) {
        return {};
    }
    std::string out;
    if (send_all(fd, request)) {
        shutdown(fd, SHUT_WR); // the server sees the end of the requests, answers them and closes
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{fd, POLLIN, 0};
            if (poll(&pfd, 1, 50) <= 0) {
                continue;
            }
            char buf[16384];
            const auto n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    close(fd);
    return out;
}

} // namespace test
