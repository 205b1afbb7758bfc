// The adapter between cpp-httplib and the handlers: the only file that includes httplib.h.
//
// Why cpp-httplib (Debian's libcpp-httplib-dev 0.11.4): it is packaged by Debian (no vendored copy, security
// updates from the distribution), small, dependency-free for our use, and has what the API needs: keep-alive,
// a payload limit (413), chunked responses for server-sent events and a replaceable thread pool. Its routing
// uses std::regex, so every request goes through one catch-all route into our own string router.
#include "api.hpp"
#include "compat_handlers.hpp"
#include "log.hpp"
#include "roofline/server/server.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace roofline::server {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::uintmax_t max_static_file_bytes = 64ULL * 1024 * 1024;

class httplib_sink final : public event_sink {
  public:
    explicit httplib_sink(httplib::DataSink& sink) : m_sink(sink) {}
    bool send(std::string_view event, std::string_view data) override {
        std::string msg;
        msg.reserve(event.size() + data.size() + 16);
        msg.append("event: ").append(event).append("\ndata: ").append(data).append("\n\n");
        return write(msg);
    }
    bool comment(std::string_view text) override { return write(": " + std::string(text) + "\n\n"); }

  private:
    bool write(const std::string& s) { return m_sink.is_writable() && m_sink.write(s.data(), s.size()); }
    httplib::DataSink& m_sink;
};

std::string error_body(const std::string& code, const std::string& message) {
    return server::error_body(api_error(400, code, message));
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
}

struct api_server::impl {
    server_config config;
    std::unique_ptr<store::run_store> store;
    std::unique_ptr<api> handlers;
    httplib::Server http;
    int port = -1;
    bool host_guard = false; // loopback without token: refuse foreign Host headers (DNS rebinding)

    bool origin_allowed(const std::string& origin) const {
        return std::find(config.cors_origins.begin(), config.cors_origins.end(), origin) !=
               config.cors_origins.end();
    }

    void serve(const httplib::Request& req, httplib::Response& res) {
        http_request r;
        r.method = req.method;
        r.path = req.path;
        http_response out;
        try {
            r.query = parse_query_string(req.target);
            r.original_form = compat::asks_original_form(req.get_header_value("Accept"));
            r.body = req.body;
            out = handlers->handle(r);
        } catch (const api_error& e) {
            out = error_response(e);
        }
        if (!out.file.empty()) {
            try {
                out.body = read_file(out.file);
            } catch (const api_error& e) {
                out = error_response(e);
            }
        }
        res.status = out.status;
        for (const auto& [k, v] : out.headers) {
            res.set_header(k, v);
        }
        if (out.stream) {
            res.set_header("Cache-Control", "no-cache");
            res.set_header("X-Accel-Buffering", "no");
            auto stream = std::move(out.stream);
            res.set_chunked_content_provider(
                out.content_type, [stream](std::size_t, httplib::DataSink& sink) {
                    httplib_sink s(sink);
                    try {
                        stream(s);
                    } catch (const std::exception& e) {
                        log_line(std::string("event stream ended by an error: ") + e.what());
                    }
                    sink.done();
                    return true;
                });
        } else if (!out.content_type.empty()) {
            res.set_content(out.body, out.content_type);
        }
    }

    httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res) {
        const auto origin = req.get_header_value("Origin");
        const auto reject = [&](int status, const std::string& code, const std::string& message) {
            res.status = status;
            res.set_header("Connection", "close");
            res.set_content(error_body(code, message), "application/json");
            return httplib::Server::HandlerResponse::Handled;
        };
        if (host_guard && req.has_header("Host") &&
            !is_loopback_host(host_name(req.get_header_value("Host")))) {
            return reject(403, "host_not_allowed",
                          "this server listens on a loopback address and only answers requests addressed to "
                          "localhost or 127.0.0.1");
        }
        if (req.method == "OPTIONS") { // CORS preflight: carries no token by design
            if (origin.empty() || !origin_allowed(origin)) {
                return reject(
                    403, "origin_not_allowed",
                    "cross-origin requests from '" + origin.substr(0, 100) +
                        "' are not allowed; start the server with --cors-origin to allow an origin");
            }
            res.status = 204;
            res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
            res.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization");
            res.set_header("Access-Control-Max-Age", "600");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!config.token.empty()) {
            const auto auth = req.get_header_value("Authorization");
            constexpr std::string_view bearer = "Bearer ";
            if (auth.size() <= bearer.size() || auth.compare(0, bearer.size(), bearer) != 0 ||
                !same_secret(std::string_view(auth).substr(bearer.size()), config.token)) {
                res.set_header("WWW-Authenticate", "Bearer realm=\"roofline\"");
                return reject(401, "unauthorized",
                              "this server needs its access token: send 'Authorization: Bearer <token>'");
            }
        }
        // A page on another site may not drive this API from a browser (CSRF), unless its origin is
        // configured.
        if (!origin.empty() && !origin_allowed(origin) &&
            origin_authority(origin) != req.get_header_value("Host")) {
            return reject(403, "origin_not_allowed",
                          "cross-origin requests from '" + origin.substr(0, 100) +
                              "' are not allowed; start the server with --cors-origin to allow an origin");
        }
        return httplib::Server::HandlerResponse::Unhandled;
    }
};

api_server::api_server(server_config config, hardware_registry registry) : m_impl(std::make_unique<impl>()) {
    check_config(config);
    auto& s = *m_impl;
    s.config = std::move(config);
    if (s.config.db_path.empty()) {
        throw std::invalid_argument("no run database path (the caller resolves it: --db, $ROOFLINE_DB, ...)");
    }
    store::store_options store_options;
    store_options.max_db_bytes = s.config.max_db_bytes;
    s.store = store::run_store::open(s.config.db_path.string(), store_options); // SQLite makes the folder
    s.handlers = std::make_unique<api>(s.config, std::move(registry), *s.store);
    s.host_guard = is_loopback_host(s.config.host) && s.config.token.empty();

    auto& http = s.http;
    const auto threads = std::max<std::size_t>(4, s.config.http_threads);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_keep_alive_max_count(1000000); // Debian's build defaults to 5 requests per connection
    // An idle keep-alive connection holds a pool thread, and stop() waits for it: a few seconds is enough for
    // browsers and load generators, and bounds how long a shutdown takes.
    http.set_keep_alive_timeout(3);
    http.set_read_timeout(10, 0);
    http.set_write_timeout(10, 0);
    http.set_tcp_nodelay(true);
    http.set_payload_max_length(max_body_bytes);
    http.set_pre_routing_handler(
        [&s](const httplib::Request& req, httplib::Response& res) { return s.pre_route(req, res); });
    const auto handler = [&s](const httplib::Request& req, httplib::Response& res) { s.serve(req, res); };
    http.Get(".*", handler);
    http.Post(".*", handler);
    http.Delete(".*", handler);
    http.Put(".*", handler);
    http.Patch(".*", handler);
    http.set_post_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
        const auto origin = req.get_header_value("Origin");
        if (!origin.empty() && s.origin_allowed(origin)) {
            res.set_header("Access-Control-Allow-Origin", origin);
            res.set_header("Access-Control-Expose-Headers", "Retry-After");
            res.set_header("Vary", "Origin");
        }
        res.set_header("X-Content-Type-Options", "nosniff");
    });
    // Errors produced by the library itself (bad request line, 413 body, 414 URI) get our JSON shape too.
    http.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
            if (res.body.empty() && !res.content_provider_) {
                std::string code = "http_error";
                std::string message = "HTTP error " + std::to_string(res.status);
                if (res.status == 413) {
                    code = "payload_too_large";
                    message = "request body over " + std::to_string(max_body_bytes) + " bytes";
                } else if (res.status == 414) {
                    code = "uri_too_long";
                    message = "request target too long";
                } else if (res.status == 400) {
                    code = "bad_request";
                    message = "malformed HTTP request";
                } else if (res.status == 404) {
                    code = "not_found";
                    message = "not found";
                }
                res.set_content(error_body(code, message), "application/json");
            }
            return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        log_line("internal error: " + what);
        res.status = 500;
        res.set_content(error_body("internal", "internal error: " + what), "application/json");
    });

    errno = 0;
    if (s.config.port == 0) {
        s.port = http.bind_to_any_port(s.config.host);
    } else {
        s.port = http.bind_to_port(s.config.host, s.config.port) ? s.config.port : -1;
    }
    if (s.port <= 0) {
        const int err = errno;
        throw std::runtime_error(
            "cannot listen on " + s.config.host + ":" + std::to_string(s.config.port) +
            (err != 0 ? std::string(" (") + std::strerror(err) + ")" : std::string()) +
            "; is another server using the port? Try --port 0 for any free one, or find the "
            "other process with `ss -ltnp | grep :" +
            std::to_string(s.config.port) + "`");
    }
}

api_server::~api_server() {
    stop();
    m_impl->handlers.reset(); // GPU queue and worker first
    m_impl->store.reset();    // then drain the writer: every answered run is committed
}

int api_server::port() const noexcept {
    return m_impl->port;
}

std::string api_server::url() const {
    const auto& h = m_impl->config.host;
    const bool v6 = h.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + h + "]" : h) + ":" + std::to_string(m_impl->port);
}

void api_server::run() {
    m_impl->http.listen_after_bind();
}

void api_server::stop() {
    if (m_impl->handlers) {
        m_impl->handlers->begin_shutdown();
    }
    m_impl->http.stop();
}

} // namespace roofline::server
