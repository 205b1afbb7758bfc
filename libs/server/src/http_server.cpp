// The HTTP layer: Boost.Beast on Boost.Asio, behind api_server (server.hpp). The only file that includes
// them.
//
// Why Beast (Debian's libboost-dev, header-only): an event-driven server holds a connection as a socket and a
// buffer, not a thread, so thousands of slow or idle clients cost memory only (issue 18: cpp-httplib served
// one thread per connection, and 64 slowloris connections took it down). Deadlines are absolute per phase
// (the next request's first byte, its header, its body, the answer's write) and never restart with a byte.
//
// Threads: a few I/O threads per core run the event loop (accept, read, write) and the handlers that answer
// from memory; a prediction-only analysis is one: its run is queued for the store's group commit and the
// writer's callback brings the answer back, so no thread waits for the commit. Handlers that may wait (a GPU
// analysis, a store read, a deletion) run on a pool. Streamed answers (server-sent events, CSV exports) run
// on a thread of their own each (they block on the client), bounded in number.
#include "api.hpp"
#include "compat_handlers.hpp"
#include "log.hpp"
#include "roofline/server/server.hpp"

// Beast's string_view as std::string_view (its default in 1.74 is boost::string_view).
#define BOOST_BEAST_USE_STD_STRING_VIEW
#include <arpa/inet.h>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <utility>

namespace roofline::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::uintmax_t max_static_file_bytes = 64ULL * 1024 * 1024;
constexpr std::size_t max_header_bytes = 16 * 1024;
// A keep-alive connection may wait this long for its next request's first byte; then it is closed.
constexpr auto idle_timeout = 60s;
// From a request's first byte to the end of its header, and then to the end of its body: a client that
// sends a byte now and then (slowloris) is cut off when the phase's time is up, however many bytes it sent.
constexpr auto header_timeout = 10s;
constexpr auto body_timeout = 20s;
constexpr auto write_timeout = 20s;
// A stream whose client stops reading is given up after this long without progress.
constexpr int stream_write_timeout_ms = 10000;
constexpr std::size_t max_streams = 256;

std::string error_text(int status, const std::string& code, const std::string& message) {
    return error_body(api_error(status, code, message));
}

// Constant-time comparison: the time a wrong token takes to reject says nothing about its prefix.
bool same_secret(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
        const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

// "localhost:8000" -> "localhost", "[::1]:8000" -> "::1"
std::string host_name(const std::string& host_header) {
    if (!host_header.empty() && host_header.front() == '[') {
        const auto close = host_header.find(']');
        return close == std::string::npos ? host_header : host_header.substr(1, close - 1);
    }
    return host_header.substr(0, host_header.find(':'));
}

// "http://localhost:5173" -> "localhost:5173"
std::string origin_authority(const std::string& origin) {
    const auto scheme = origin.find("://");
    return scheme == std::string::npos ? origin : origin.substr(scheme + 3);
}

std::string read_file(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec || size > max_static_file_bytes) {
        throw api_error(404, "not_found", "no file " + file.filename().string());
    }
    std::ifstream in(file, std::ios::binary);
    std::string out(static_cast<std::size_t>(size), '\0');
    in.read(out.data(), static_cast<std::streamsize>(size));
    if (!in) {
        throw api_error(404, "not_found", "could not read " + file.filename().string());
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// The request path with its %XX escapes decoded ('+' stays: it is a space only in a query). The bytes may be
// anything; the router and the static route judge them, and messages quote them as valid UTF-8.
std::string decode_path(std::string_view p) {
    std::string out;
    out.reserve(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] != '%') {
            out += p[i];
            continue;
        }
        const int hi = i + 2 < p.size() ? hex_digit(p[i + 1]) : -1;
        const int lo = hi >= 0 ? hex_digit(p[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            throw bad_request("malformed percent-escape in the request path");
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// What a Range header asks of a file of `size` bytes: one range ("bytes=A-B", "bytes=A-", "bytes=-N"), a
// range that starts past the end (416), or nothing to honour (no header, several ranges, another unit, a
// malformed one: the whole file, as RFC 9110 lets a server answer).
struct byte_range {
    enum class kind { whole, part, unsatisfiable } what = kind::whole;
    std::size_t first = 0;
    std::size_t last = 0;
};

byte_range parse_byte_range(std::string_view header, std::size_t size) {
    constexpr std::string_view unit = "bytes=";
    byte_range out;
    if (header.substr(0, unit.size()) != unit || header.find(',') != std::string_view::npos) {
        return out;
    }
    const auto spec = header.substr(unit.size());
    const auto dash = spec.find('-');
    const auto number = [](std::string_view t, std::size_t& n) {
        if (t.empty() || t.size() > 18) {
            return false;
        }
        n = 0;
        for (const char c : t) {
            if (c < '0' || c > '9') {
                return false;
            }
            n = n * 10 + static_cast<std::size_t>(c - '0');
        }
        return true;
    };
    std::size_t a = 0;
    std::size_t b = 0;
    if (dash == std::string_view::npos) {
        return out;
    }
    if (dash == 0) { // the last N bytes
        if (!number(spec.substr(1), b)) {
            return out;
        }
        if (b == 0 || size == 0) {
            out.what = byte_range::kind::unsatisfiable;
            return out;
        }
        out = {byte_range::kind::part, b >= size ? 0 : size - b, size - 1};
        return out;
    }
    if (!number(spec.substr(0, dash), a)) {
        return out;
    }
    b = size == 0 ? 0 : size - 1;
    if (dash + 1 < spec.size() && (!number(spec.substr(dash + 1), b) || b < a)) {
        return {}; // malformed: the whole file
    }
    if (a >= size) {
        out.what = byte_range::kind::unsatisfiable;
        return out;
    }
    out = {byte_range::kind::part, a, std::min(b, size - 1)};
    return out;
}

// Handlers may block (a GPU job, a commit): they run here, never on an I/O thread.
class handler_pool {
  public:
    explicit handler_pool(std::size_t threads) {
        for (std::size_t i = 0; i < threads; ++i) {
            m_threads.emplace_back([this] { work(); });
        }
    }
    handler_pool(const handler_pool&) = delete;
    handler_pool& operator=(const handler_pool&) = delete;
    ~handler_pool() { // runs what is queued, then joins
        {
            const std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_cv.notify_all();
        for (auto& t : m_threads) {
            t.join();
        }
    }
    void post(std::function<void()> task) {
        {
            const std::lock_guard lock(m_mutex);
            m_tasks.push_back(std::move(task));
        }
        m_cv.notify_one();
    }

  private:
    void work() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock lock(m_mutex);
                m_cv.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
                if (m_tasks.empty()) {
                    return;
                }
                task = std::move(m_tasks.front());
                m_tasks.pop_front();
            }
            task();
        }
    }
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::function<void()>> m_tasks;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

// Streamed answers (server-sent events, CSV exports) written straight to the socket by the stream's own
// thread, as HTTP/1.1 chunks. Nothing else touches the socket meanwhile (the connection reads no further
// request while it streams). The head goes out with the first chunk (or alone, by open()).
class socket_sink final : public event_sink, public body_sink {
  public:
    socket_sink(int fd, std::string head, const std::atomic<bool>& stopping)
        : m_fd(fd), m_head(std::move(head)), m_stopping(stopping) {}
    bool send(std::string_view event, std::string_view data) override {
        std::string msg;
        msg.reserve(event.size() + data.size() + 16);
        msg.append("event: ").append(event).append("\ndata: ").append(data).append("\n\n");
        return chunk(msg);
    }
    bool comment(std::string_view text) override { return chunk(": " + std::string(text) + "\n\n"); }
    bool write(std::string_view bytes) override { return bytes.empty() || chunk(bytes); }
    [[nodiscard]] bool head_sent() const { return m_head_sent; }
    bool open() { return head_sent() || write_all(take_head()); }
    bool end() { return write_all(take_head() + "0\r\n\r\n"); } // the last chunk: the body is complete
    bool write_all(std::string_view s) {
        while (m_ok && !s.empty()) {
            const auto n = ::send(m_fd, s.data(), s.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                s.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                // Back-pressure: a client slow to read holds the producer here, not more memory. In slices,
                // so a stopping server is not held by a client that stopped reading.
                m_ok = wait_writable();
                continue;
            }
            m_ok = false;
        }
        return m_ok;
    }

  private:
    bool wait_writable() {
        for (int waited = 0; waited < stream_write_timeout_ms && !m_stopping; waited += poll_slice_ms) {
            pollfd p{m_fd, POLLOUT, 0};
            const int n = ::poll(&p, 1, poll_slice_ms);
            if (n != 0) {
                return n > 0 && (p.revents & (POLLERR | POLLHUP)) == 0;
            }
        }
        return false;
    }
    static constexpr int poll_slice_ms = 200;
    std::string take_head() {
        m_head_sent = true;
        return std::exchange(m_head, std::string());
    }
    bool chunk(std::string_view payload) {
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
        std::string out = take_head();
        out.reserve(out.size() + payload.size() + 32);
        out.append(size).append(payload).append("\r\n");
        return write_all(out);
    }
    int m_fd;
    std::string m_head;
    const std::atomic<bool>& m_stopping;
    bool m_head_sent = false;
    bool m_ok = true;
};

struct server_state; // the parts sessions share (below)

class session : public std::enable_shared_from_this<session> {
  public:
    session(tcp::socket socket, server_state& s);
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    ~session();
    void start() { wait_for_request(); }

  private:
    using clock = std::chrono::steady_clock;
    void wait_for_request();
    void read_header();
    void on_header(beast::error_code ec);
    void read_body();
    void on_body(beast::error_code ec);
    void dispatch();
    void run_handler(); // on the I/O thread, or on the pool for a handler that may wait
    void respond(http_response out);
    void serve_range(http_response& out) const;
    void refuse(http::status status, const std::string& code, const std::string& message);
    void write(std::shared_ptr<http::response<http::string_body>> res);
    // How a streamed answer starts and ends: events (the head at once), a body (the head with its first
    // piece), or a HEAD answer (the head alone).
    enum class stream_kind { events, body, head_only };
    void start_stream(std::function<void(socket_sink&)> produce, std::string head, stream_kind kind);
    [[nodiscard]] std::string cors_lines() const;
    [[nodiscard]] std::string whole_answer_text(const http_response& out) const;
    void close();
    void drain();

    tcp::socket m_socket;
    beast::flat_buffer m_buffer;
    net::steady_timer m_timer;
    server_state& m_server;
    std::optional<http::request_parser<http::string_body>> m_parser;
    http::request<http::string_body> m_request;
    http_request m_call; // the request as the handlers see it
    std::string m_origin;
    bool m_closing = false;

    // Deadlines. One timer per connection, re-armed only when a phase's deadline comes before the time it is
    // set for: on a busy keep-alive connection a phase change moves m_deadline (a store) instead of
    // cancelling and re-arming the timer (a completion handler and a timer-queue update each, several per
    // request). An expired deadline closes the socket, which ends the operation it guarded.
    clock::time_point m_deadline = clock::time_point::max(); // max: nothing guarded
    clock::time_point m_timer_at = clock::time_point::max(); // when the armed timer fires; max: not armed
    void arm(clock::duration d);
    void disarm() { m_deadline = clock::time_point::max(); }
    void start_timer(clock::time_point at);
    void on_timer(clock::time_point at);
    void stop_timer(); // the session may end: no wait of the timer keeps it alive

    bool m_head = false;     // the request being answered is a HEAD
    bool m_draining = false; // close() has begun
};

struct server_state {
    server_config config;
    std::unique_ptr<store::run_store> store;
    std::unique_ptr<api> handlers;
    bool host_guard = false; // loopback without token: refuse foreign Host headers (DNS rebinding)
    std::atomic<std::size_t> connections{0};
    std::atomic<std::size_t> streams{0};
    std::mutex streams_mutex;
    std::condition_variable streams_done;
    std::unique_ptr<handler_pool> pool;
    net::io_context io;
    tcp::acceptor acceptor{io};
    std::atomic<bool> stopping{false};

    [[nodiscard]] bool origin_allowed(const std::string& origin) const {
        return std::find(config.cors_origins.begin(), config.cors_origins.end(), origin) !=
               config.cors_origins.end();
    }

    void accept() {
        acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted || !acceptor.is_open()) {
                return;
            }
            if (ec) {
                // Out of descriptors (EMFILE) and the like: say so once a second, not once per attempt.
                log_line("accept: " + ec.message());
                auto t = std::make_shared<net::steady_timer>(io, 100ms);
                t->async_wait([this, t](beast::error_code) { accept(); });
                return;
            }
            if (connections.load() >= config.max_connections) {
                refuse_connection(std::move(socket));
            } else {
                std::make_shared<session>(std::move(socket), *this)->start();
            }
            accept();
        });
    }

    // Over the connection cap: a clear 503 and the connection closed, without reading the request.
    void refuse_connection(tcp::socket socket) {
        const auto body =
            error_text(503, "too_many_connections",
                       "the server holds its limit of " + std::to_string(config.max_connections) +
                           " connections; retry in a moment, or raise --max-connections");
        auto text = std::make_shared<std::string>("HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                                                  "application/json\r\nRetry-After: 1\r\nConnection: "
                                                  "close\r\nContent-Length: " +
                                                  std::to_string(body.size()) + "\r\n\r\n" + body);
        auto sock = std::make_shared<tcp::socket>(std::move(socket));
        net::async_write(*sock, net::buffer(*text), [sock, text](beast::error_code, std::size_t) {
            // Closing with the client's request unread would reset the connection and could discard the
            // answer before the client reads it: end our side, give the client a moment, then close.
            beast::error_code ignored;
            sock->shutdown(tcp::socket::shutdown_send, ignored);
            auto linger = std::make_shared<net::steady_timer>(sock->get_executor(), 500ms);
            linger->async_wait([sock, linger](beast::error_code) {
                beast::error_code e;
                sock->close(e);
            });
        });
    }
};

session::session(tcp::socket socket, server_state& s)
    : m_socket(std::move(socket)), m_buffer(max_header_bytes + max_body_bytes + 4096),
      m_timer(m_socket.get_executor()), m_server(s) {
    ++m_server.connections;
    beast::error_code ignored;
    m_socket.set_option(tcp::no_delay(true), ignored);
}

session::~session() {
    --m_server.connections;
}

void session::arm(clock::duration d) {
    m_deadline = clock::now() + d;
    if (m_deadline < m_timer_at) {
        start_timer(m_deadline);
    }
}

void session::start_timer(clock::time_point at) {
    m_timer_at = at;
    m_timer.expires_at(at); // cancels a wait already pending (its handler sees operation_aborted)
    m_timer.async_wait([self = shared_from_this(), at](beast::error_code ec) {
        if (!ec) {
            self->on_timer(at);
        }
    });
}

void session::on_timer(clock::time_point at) {
    if (at != m_timer_at) {
        return; // a wait replaced after it had already fired
    }
    m_timer_at = clock::time_point::max();
    if (m_deadline == clock::time_point::max()) {
        return; // nothing is guarded now; the next arm() starts the timer again
    }
    if (clock::now() < m_deadline) {
        start_timer(m_deadline); // the deadline moved on since the timer was set
        return;
    }
    beast::error_code ignored;
    m_socket.cancel(ignored);
    m_socket.shutdown(tcp::socket::shutdown_both, ignored);
    m_socket.close(ignored);
}

void session::stop_timer() {
    disarm();
    m_timer_at = clock::time_point::max();
    m_timer.cancel();
}

void session::close() {
    stop_timer();
    if (!m_socket.is_open() || m_draining) {
        return;
    }
    // Our side ends first; what the client still sends (the rest of a refused body) is read and dropped for
    // a moment, so that closing does not reset the connection and discard the answer before it is read.
    m_draining = true;
    beast::error_code ignored;
    m_socket.shutdown(tcp::socket::shutdown_send, ignored);
    arm(1s);
    drain();
}

void session::drain() {
    m_buffer.clear();
    m_socket.async_read_some(m_buffer.prepare(4096),
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (ec) {
                                     self->stop_timer();
                                     beast::error_code ignored;
                                     self->m_socket.close(ignored);
                                     return;
                                 }
                                 self->drain();
                             });
}

void session::wait_for_request() {
    if (m_server.stopping) {
        close();
        return;
    }
    if (m_buffer.size() > 0) { // a pipelined request is already here
        read_header();
        return;
    }
    arm(idle_timeout);
    m_socket.async_read_some(m_buffer.prepare(4096),
                             [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                 if (ec) {
                                     self->close(); // closed by the client, or idle too long
                                     return;
                                 }
                                 self->m_buffer.commit(n);
                                 self->read_header();
                             });
}

void session::read_header() {
    m_head = false;
    m_parser.emplace();
    m_parser->header_limit(max_header_bytes);
    m_parser->body_limit(max_body_bytes);
    arm(header_timeout);
    http::async_read_header(
        m_socket, m_buffer, *m_parser,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void session::on_header(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
        ec == net::error::bad_descriptor) {
        close();
        return;
    }
    if (ec == http::error::body_limit) { // a Content-Length over the limit, seen with the header
        refuse(http::status::payload_too_large, "payload_too_large",
               "request body over " + std::to_string(max_body_bytes) + " bytes");
        return;
    }
    if (ec == http::error::header_limit) {
        refuse(http::status::request_header_fields_too_large, "header_too_large",
               "request line and headers over " + std::to_string(max_header_bytes) + " bytes");
        return;
    }
    if (ec) {
        refuse(http::status::bad_request, "bad_request", "malformed HTTP request: " + ec.message());
        return;
    }
    const auto& req = m_parser->get();
    m_origin = std::string(req[http::field::origin]);
    // Strict framing: two Host or Content-Length headers let two parsers (a proxy and us) disagree on where
    // a request ends; a body-carrying method needs its length announced.
    if (req.count(http::field::host) > 1) {
        refuse(http::status::bad_request, "bad_request", "more than one Host header");
        return;
    }
    if (req.count(http::field::content_length) > 1) {
        refuse(http::status::bad_request, "bad_request", "more than one Content-Length header");
        return;
    }
    const auto method = req.method();
    const bool has_length = req.count(http::field::content_length) == 1 || m_parser->chunked();
    if ((method == http::verb::post || method == http::verb::put || method == http::verb::patch) &&
        !has_length) {
        refuse(http::status::bad_request, "length_required",
               std::string(req.method_string()) +
                   " needs a Content-Length header (or chunked transfer encoding)");
        return;
    }
    if (m_parser->content_length() && *m_parser->content_length() > max_body_bytes) {
        refuse(http::status::payload_too_large, "payload_too_large",
               "request body over " + std::to_string(max_body_bytes) + " bytes");
        return;
    }
    if (m_parser->is_done()) {
        disarm();
        dispatch();
        return;
    }
    if (beast::iequals(req[http::field::expect], "100-continue")) {
        auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
        net::async_write(m_socket, net::buffer(*cont),
                         [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
                             if (e) {
                                 self->close();
                                 return;
                             }
                             self->read_body();
                         });
        return;
    }
    read_body();
}

void session::read_body() {
    arm(body_timeout);
    http::async_read(m_socket, m_buffer, *m_parser,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void session::on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) {
        refuse(http::status::payload_too_large, "payload_too_large",
               "request body over " + std::to_string(max_body_bytes) + " bytes");
        return;
    }
    if (ec) {
        close(); // cut off by the body deadline, or the client went away
        return;
    }
    disarm();
    dispatch();
}

void session::refuse(http::status status, const std::string& code, const std::string& message) {
    m_closing = true;
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    res->set(http::field::content_type, "application/json");
    res->body() = error_text(static_cast<int>(status), code, message);
    write(std::move(res));
}

void session::write(std::shared_ptr<http::response<http::string_body>> res) {
    const bool head = m_head;
    if (!m_origin.empty() && m_server.origin_allowed(m_origin)) {
        res->set(http::field::access_control_allow_origin, m_origin);
        res->set(http::field::access_control_expose_headers, "Retry-After");
        res->set(http::field::vary, "Origin");
    }
    res->set("X-Content-Type-Options", "nosniff");
    res->keep_alive(!m_closing && !m_server.stopping);
    if (res->result() == http::status::no_content) {
        res->body().clear();
    } else {
        res->prepare_payload();
    }
    if (head) {
        res->body().clear(); // the length stays that of the GET answer
    }
    arm(write_timeout);
    http::async_write(m_socket, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
        self->disarm();
        if (ec || !res->keep_alive()) {
            self->close();
            return;
        }
        self->wait_for_request();
    });
}

void session::dispatch() {
    m_request = m_parser->release();
    const auto& req = m_request;
    m_closing = !req.keep_alive();
    m_head = req.method() == http::verb::head;
    auto& s = m_server;
    const auto header = [&](http::field f) { return std::string(req[f]); };
    const auto host = header(http::field::host);
    if (s.host_guard && req.count(http::field::host) == 1 && !is_loopback_host(host_name(host))) {
        refuse(
            http::status::forbidden, "host_not_allowed",
            "this server listens on a loopback address and only answers requests addressed to localhost or "
            "127.0.0.1");
        return;
    }
    if (req.method() == http::verb::options) { // CORS preflight: carries no token by design
        if (m_origin.empty() || !s.origin_allowed(m_origin)) {
            refuse(http::status::forbidden, "origin_not_allowed",
                   "cross-origin requests from '" + m_origin.substr(0, 100) +
                       "' are not allowed; start the server with --cors-origin to allow an origin");
            return;
        }
        auto res =
            std::make_shared<http::response<http::string_body>>(http::status::no_content, req.version());
        res->set(http::field::access_control_allow_methods, "GET, POST, DELETE, OPTIONS");
        res->set(http::field::access_control_allow_headers, "Content-Type, Authorization");
        res->set(http::field::access_control_max_age, "600");
        write(std::move(res));
        return;
    }
    if (!s.config.token.empty()) {
        const auto auth = header(http::field::authorization);
        constexpr std::string_view bearer = "Bearer ";
        if (auth.size() <= bearer.size() || auth.compare(0, bearer.size(), bearer) != 0 ||
            !same_secret(std::string_view(auth).substr(bearer.size()), s.config.token)) {
            m_closing = true;
            auto res = std::make_shared<http::response<http::string_body>>(http::status::unauthorized, 11);
            res->set(http::field::content_type, "application/json");
            res->set(http::field::www_authenticate, "Bearer realm=\"roofline\"");
            res->body() =
                error_text(401, "unauthorized",
                           "this server needs its access token: send 'Authorization: Bearer <token>'");
            write(std::move(res));
            return;
        }
    }
    // A page on another site may not drive this API from a browser (CSRF), unless its origin is configured.
    if (!m_origin.empty() && !s.origin_allowed(m_origin) && origin_authority(m_origin) != host) {
        refuse(http::status::forbidden, "origin_not_allowed",
               "cross-origin requests from '" + m_origin.substr(0, 100) +
                   "' are not allowed; start the server with --cors-origin to allow an origin");
        return;
    }
    // Handlers that answer from memory (a prediction-only analysis among them: its commit calls back) run
    // here, on the I/O thread, which saves two thread hand-offs per request; one that may wait (the GPU, a
    // store reader, a deletion's commit) runs on the pool.
    const std::string_view target = req.target();
    if (s.handlers->may_block(req.method_string(), target.substr(0, target.find('?')))) {
        s.pool->post([self = shared_from_this()] { self->run_handler(); });
    } else {
        run_handler();
    }
}

// Range is honoured on static files only (an API answer is whole: a cut analysis answer is not JSON, and its
// run is stored all the same). One range: 206 with Content-Range; a range past the end: 416.
void session::serve_range(http_response& out) const {
    out.headers.emplace_back("Accept-Ranges", "bytes");
    const auto range = m_request[http::field::range];
    if (range.empty() || out.status != 200) {
        return;
    }
    const auto size = out.body.size();
    const auto r = parse_byte_range(range, size);
    if (r.what == byte_range::kind::unsatisfiable) {
        out.status = 416;
        out.body.clear();
        out.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    } else if (r.what == byte_range::kind::part) {
        out.status = 206;
        out.headers.emplace_back("Content-Range", "bytes " + std::to_string(r.first) + "-" +
                                                      std::to_string(r.last) + "/" + std::to_string(size));
        out.body = out.body.substr(r.first, r.last - r.first + 1);
    }
}

void session::run_handler() {
    auto& srv = m_server;
    auto& request = m_request;
    m_call = http_request{};
    auto& r = m_call;
    r.method = std::string(request.method_string());
    const std::string_view target = request.target();
    http_response out;
    try {
        r.path = decode_path(target.substr(0, target.find('?')));
        r.query = parse_query_string(target);
        r.original_form = compat::asks_original_form(request[http::field::accept]);
        r.body = std::move(request.body());
        out = srv.handlers->handle(r);
    } catch (const api_error& e) {
        out = error_response(e);
    }
    if (!out.file.empty()) {
        try {
            out.body = read_file(out.file);
            serve_range(out);
        } catch (const api_error& e) {
            out = error_response(e);
        }
    }
    if (out.later) {
        // The finisher runs on whichever thread the answer became ready on (the store's writer): the answer
        // is made and written on this connection's strand.
        auto later = std::move(out.later);
        try {
            later([self = shared_from_this()](response_maker make) {
                net::post(self->m_socket.get_executor(), [self, make = std::move(make)] {
                    self->respond(self->m_server.handlers->finish(make, self->m_call));
                });
            });
            return;
        } catch (...) { // nothing was queued: no finisher will come
            out = srv.handlers->finish(
                [e = std::current_exception()]() -> http_response { std::rethrow_exception(e); }, r);
        }
    }
    net::dispatch(m_socket.get_executor(), [self = shared_from_this(), out = std::move(out)]() mutable {
        self->respond(std::move(out));
    });
}

std::string session::cors_lines() const {
    if (m_origin.empty() || !m_server.origin_allowed(m_origin)) {
        return {};
    }
    return "Access-Control-Allow-Origin: " + m_origin +
           "\r\nAccess-Control-Expose-Headers: Retry-After\r\nVary: Origin\r\n";
}

// A complete answer as text, for a stream thread that owns the socket (an export that failed before its
// first byte): framed by its length, and the connection closes after it.
std::string session::whole_answer_text(const http_response& out) const {
    std::string text = "HTTP/1.1 " + std::to_string(out.status) + " " +
                       std::string(http::obsolete_reason(static_cast<http::status>(out.status))) +
                       "\r\nContent-Type: " + out.content_type +
                       "\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: " +
                       std::to_string(out.body.size()) + "\r\n" + cors_lines();
    for (const auto& [k, v] : out.headers) {
        text += k + ": " + v + "\r\n";
    }
    return text + "\r\n" + out.body;
}

void session::respond(http_response out) {
    if (out.stream || out.body_stream) {
        std::string head = "HTTP/1.1 " + std::to_string(out.status) + " " +
                           std::string(http::obsolete_reason(static_cast<http::status>(out.status))) +
                           "\r\nContent-Type: " + out.content_type +
                           "\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\nX-Content-Type-Options: "
                           "nosniff\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n" +
                           cors_lines();
        for (const auto& [k, v] : out.headers) {
            head += k + ": " + v + "\r\n";
        }
        head += "\r\n";
        if (out.stream) {
            // Events: the head at once, so the client sees the stream open before the first event.
            start_stream(
                [stream = std::move(out.stream)](socket_sink& sink) {
                    try {
                        stream(sink);
                    } catch (const std::exception& e) {
                        log_line(std::string("event stream ended by an error: ") + e.what());
                    }
                },
                std::move(head), stream_kind::events);
        } else if (m_head) {
            start_stream([](socket_sink&) {}, std::move(head), stream_kind::head_only);
        } else {
            start_stream(std::move(out.body_stream), std::move(head), stream_kind::body);
        }
        return;
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(out.status),
                                                                   m_request.version());
    for (const auto& [k, v] : out.headers) {
        res->set(k, v);
    }
    if (!out.content_type.empty()) {
        res->set(http::field::content_type, out.content_type);
    }
    res->body() = std::move(out.body);
    write(std::move(res));
}

// A body's head goes out with its first piece, so an export that fails before its first byte is still
// answered with a plain error status.
void session::start_stream(std::function<void(socket_sink&)> produce, std::string head, stream_kind kind) {
    auto& s = m_server;
    if (s.streams.load() >= max_streams) {
        refuse(http::status::service_unavailable, "too_many_streams",
               "the server holds its limit of " + std::to_string(max_streams) +
                   " streamed answers (event streams and exports); close one, or retry in a moment");
        return;
    }
    ++s.streams;
    disarm();
    std::thread([self = shared_from_this(), produce = std::move(produce), head = std::move(head), kind] {
        auto& srv = self->m_server;
        socket_sink sink(self->m_socket.native_handle(), head, srv.stopping);
        if (kind == stream_kind::head_only) {
            (void)sink.open();
        } else if (kind == stream_kind::body || sink.open()) {
            try {
                produce(sink);
                (void)sink.end();
            } catch (const std::exception& e) {
                if (sink.head_sent()) {
                    // The status went out: the body is left unterminated (no last chunk), so the client
                    // sees it is incomplete.
                    log_line(std::string("streamed answer cut off by an error: ") + e.what());
                } else {
                    const auto out = srv.handlers->finish(
                        [ep = std::current_exception()]() -> http_response { std::rethrow_exception(ep); },
                        self->m_call);
                    (void)sink.write_all(self->whole_answer_text(out));
                }
            }
        }
        net::post(self->m_socket.get_executor(), [self] { self->close(); });
        {
            const std::lock_guard lock(srv.streams_mutex);
            --srv.streams;
        }
        srv.streams_done.notify_all();
    }).detach();
}

// As many open descriptors as the hard limit allows: each connection holds one.
void raise_descriptor_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &r);
    }
}

} // namespace

bool is_loopback_host(const std::string& host) {
    if (host == "localhost" || host == "::1" || host == "[::1]") {
        return true;
    }
    in_addr addr{};
    return inet_pton(AF_INET, host.c_str(), &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

void check_config(const server_config& c) {
    if (!is_loopback_host(c.host) && c.token.empty()) {
        throw std::invalid_argument(
            "refusing to listen on " + c.host +
            " without an access token: anyone who can reach that address "
            "could run GPU work and read your results. Either keep the default --host 127.0.0.1 and reach it "
            "through an SSH tunnel (docs/SSH_TUNNEL_SETUP.md), or pass --token T (or set ROOFLINE_TOKEN); "
            "every "
            "request must then carry 'Authorization: Bearer T'");
    }
    if (!c.token.empty() && c.token.size() < 16) {
        throw std::invalid_argument("--token must be at least 16 characters (e.g. `openssl rand -hex 16`)");
    }
    if (c.port < 0 || c.port > 65535) {
        throw std::invalid_argument("--port must be in [0, 65535] (0: any free port)");
    }
    if (c.queue_capacity < 1 || c.queue_capacity > 1000) {
        throw std::invalid_argument("--queue-capacity must be in [1, 1000]");
    }
    if (c.max_connections < 1) {
        throw std::invalid_argument("--max-connections must be at least 1");
    }
}

struct api_server::impl {
    server_state state;
    int port = -1;
    std::once_flag stopped;
};

api_server::api_server(server_config config, hardware_registry registry) : m_impl(std::make_unique<impl>()) {
    check_config(config);
    auto& s = m_impl->state;
    s.config = std::move(config);
    if (s.config.db_path.empty()) {
        throw std::invalid_argument("no run database path (the caller resolves it: --db, $ROOFLINE_DB, ...)");
    }
    store::store_options store_options;
    store_options.max_db_bytes = s.config.max_db_bytes;
    s.store = store::run_store::open(s.config.db_path.string(), store_options); // SQLite makes the folder
    s.handlers = std::make_unique<api>(s.config, std::move(registry), *s.store);
    s.host_guard = is_loopback_host(s.config.host) && s.config.token.empty();
    s.pool = std::make_unique<handler_pool>(std::max<std::size_t>(4, s.config.http_threads));
    raise_descriptor_limit();

    beast::error_code ec;
    const auto address =
        net::ip::make_address(s.config.host == "localhost" ? "127.0.0.1" : s.config.host, ec);
    if (!ec) {
        const tcp::endpoint endpoint(address, static_cast<unsigned short>(s.config.port));
        s.acceptor.open(endpoint.protocol(), ec);
        if (!ec) {
            s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
            s.acceptor.bind(endpoint, ec);
        }
        if (!ec) {
            s.acceptor.listen(net::socket_base::max_listen_connections, ec);
        }
    }
    if (ec) {
        throw std::runtime_error(
            "cannot listen on " + s.config.host + ":" + std::to_string(s.config.port) + " (" + ec.message() +
            "); is another server using the port? Try --port 0 for any free one, or find the "
            "other process with `ss -ltnp | grep :" +
            std::to_string(s.config.port) + "`");
    }
    m_impl->port = s.acceptor.local_endpoint().port();
    s.accept();
}

api_server::~api_server() {
    stop();
    auto& s = m_impl->state;
    s.pool.reset(); // handlers still running finish (the GPU worker was aborted by stop())
    {
        std::unique_lock lock(s.streams_mutex);
        s.streams_done.wait(lock, [&s] { return s.streams.load() == 0; }); // streams end at their next event
    }
    s.handlers.reset(); // GPU queue and worker first
    s.store.reset();    // then drain the writer: every answered run is committed
}

int api_server::port() const noexcept {
    return m_impl->port;
}

std::string api_server::url() const {
    const auto& h = m_impl->state.config.host;
    const bool v6 = h.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + h + "]" : h) + ":" + std::to_string(m_impl->port);
}

void api_server::run() {
    auto& s = m_impl->state;
    // Nothing on the I/O threads waits (a prediction's commit answers through the store's callback; handlers
    // that may wait run on the pool), but they do run the predictions, CPU work. Four per core: on a machine
    // shared with other work (a workstation, this project's build machine) the kernel shares the cores out
    // per runnable thread, and a server with one thread per core got half the CPU time that eight threads got
    // at the same cost per request (bench/server/README.md, run 3). ROOFLINE_IO_THREADS sets the count.
    auto n = std::clamp<std::size_t>(4 * std::max(1U, std::thread::hardware_concurrency()), 8, 64);
    if (const char* env = std::getenv("ROOFLINE_IO_THREADS"); env != nullptr && std::atoi(env) > 0) {
        n = std::min<std::size_t>(static_cast<std::size_t>(std::atoi(env)), 256);
    }
    std::vector<std::thread> extra;
    for (std::size_t i = 1; i < n; ++i) {
        extra.emplace_back([&s] { s.io.run(); });
    }
    s.io.run();
    for (auto& t : extra) {
        t.join();
    }
}

void api_server::stop() {
    std::call_once(m_impl->stopped, [this] {
        auto& s = m_impl->state;
        s.stopping = true;
        if (s.handlers) {
            s.handlers->begin_shutdown();
        }
        net::post(s.io, [&s] {
            beast::error_code ignored;
            s.acceptor.close(ignored);
        });
        s.io.stop(); // open connections are dropped; every answered run is already committed
    });
}

} // namespace roofline::server
