// API tests against the real binary: `roofline serve --port 0` with a temporary database, over HTTP.
// Prediction-only unless a test gives the server the scripted fake worker (the GPU path is checked on the GPU
// machine).
#include "http_client.hpp"
#include "roofline/core/measured_profile.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sqlite3.h>
#include <sstream>
#include <thread>

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string seed_body = R"({"M":4096,"N":4096,"K":4096,"precision":"FP16"})";

struct api_fixture : ::testing::Test {
    test::temp_dir dir;
    test::server_process server;

    void start(std::vector<std::string> args = {}, const std::vector<std::string>& env = {}) {
        args.insert(args.end(), {"--db", (dir.path / "runs.db").string()});
        server = test::start_server(args, env);
        ASSERT_TRUE(server.running()) << server.start_error;
    }
    httplib::Client client() const {
        httplib::Client c("127.0.0.1", server.port);
        c.set_read_timeout(60, 0);
        c.set_keep_alive(true);
        // httplib's client writes headers and body in two sends: without TCP_NODELAY, Nagle's algorithm and
        // the server's delayed ACK add 40 ms to every POST.
        c.set_tcp_nodelay(true);
        return c;
    }
};

json body_json(const httplib::Result& r) {
    return json::parse(r->body);
}

// Every error answer has the same shape.
void expect_error(const httplib::Result& r, int status, const std::string& field = "") {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, status) << r->body;
    const auto j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r->body;
    EXPECT_TRUE(j["error"]["code"].is_string());
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_TRUE(j["error"].contains("field"));
    if (!field.empty()) {
        EXPECT_EQ(j["error"]["field"], field) << r->body;
    }
}

std::vector<std::pair<std::string, json>> parse_sse(const std::string& text) {
    std::vector<std::pair<std::string, json>> events;
    std::istringstream in(text);
    std::string line;
    std::string name;
    while (std::getline(in, line)) {
        if (line.rfind("event: ", 0) == 0) {
            name = line.substr(7);
        } else if (line.rfind("data: ", 0) == 0) {
            events.emplace_back(name, json::parse(line.substr(6), nullptr, false));
        }
    }
    return events;
}

std::string fake_worker() {
    return FAKE_WORKER;
}

} // namespace

TEST_F(api_fixture, health_precisions_hardware) {
    start();
    auto c = client();
    auto r = c.Get("/api/health");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    auto h = body_json(r);
    EXPECT_EQ(h["status"], "ok");
    EXPECT_EQ(h["backend"], "prediction-only");
    EXPECT_TRUE(h["device"].is_null());
    EXPECT_FALSE(h["nvml"]["available"].get<bool>());
    EXPECT_NE(h["nvml"]["reason"].get<std::string>().find("NVML not available"), std::string::npos);
    EXPECT_EQ(h["queue_length"], 0);
    EXPECT_TRUE(h["version"].is_string());

    r = c.Get("/api/precisions");
    ASSERT_TRUE(r);
    const auto p = body_json(r);
    ASSERT_GE(p["precisions"].size(), 11U);
    EXPECT_EQ(p["precisions"][0]["name"], "FP64");
    EXPECT_EQ(p["default_sweep"].size(), 5U);
    for (const auto& e : p["precisions"]) {
        for (const char* f :
             {"name", "display_name", "bits_per_element", "colour", "default_output", "integer", "summary"}) {
            EXPECT_TRUE(e.contains(f)) << f;
        }
    }

    r = c.Get("/api/hardware");
    ASSERT_TRUE(r);
    EXPECT_GE(body_json(r)["hardware"].size(), 10U);
    r = c.Get("/api/hardware/H100-SXM");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(body_json(r)["key"], "h100-sxm");
    expect_error(c.Get("/api/hardware/no-such-gpu"), 404, "key");
}

TEST_F(api_fixture, analyze_store_get_list_delete) {
    start();
    auto c = client();
    auto r = c.Post("/api/analyze?hardware_key=b10&run_all_precisions=false", seed_body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto a = body_json(r);
    EXPECT_EQ(a["backend"], "prediction-only");
    EXPECT_TRUE(a["measured"].empty());
    ASSERT_EQ(a["predicted"].size(), 1U);
    const auto& pt = a["predicted"][0];
    for (const char* f : {"ai", "tflops", "time_us", "precision", "label", "flops", "bytes", "disposition",
                          "roof", "bound", "source", "message"}) {
        EXPECT_TRUE(pt.contains(f)) << f;
    }
    EXPECT_NEAR(pt["ai"].get<double>(), 1365.33333, 1e-3);
    EXPECT_EQ(pt["precision"], "FP16");
    EXPECT_EQ(a["hardware"]["key"], "b10");
    EXPECT_FALSE(a["hardware"]["roofs"].empty());
    EXPECT_EQ(a["schema_version"], 1);
    const auto id = a["run_id"].get<std::int64_t>();
    EXPECT_GE(id, 1);

    r = c.Get("/api/runs/" + std::to_string(id));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const auto stored = body_json(r);
    // One name for the run's id (issue 11: it used to answer both "id" and "run_id").
    EXPECT_EQ(stored["run_id"], id);
    EXPECT_FALSE(stored.contains("id")) << "a stored run names its id once: run_id";
    EXPECT_TRUE(stored["created_at"].is_string());
    EXPECT_EQ(stored["predicted"], a["predicted"]);

    r = c.Post("/api/analyze?run_all_precisions=true", R"({"M":1,"N":4096,"K":4096,"precision":"FP64"})",
               "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto sweep = body_json(r);
    ASSERT_EQ(sweep["predicted"].size(), 5U);
    const std::vector<std::string> want{"FP16", "FP8_E4M3", "NVFP4", "INT8", "INT4"};
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(sweep["predicted"][i]["precision"], want[i]);
    }
    EXPECT_EQ(sweep["hardware"]["key"], "b10") << "no GPU: the default roofs are b10's";

    r = c.Get("/api/runs");
    ASSERT_TRUE(r);
    auto list = body_json(r);
    EXPECT_EQ(list["total"], 2);
    ASSERT_EQ(list["runs"].size(), 2U);
    EXPECT_EQ(list["runs"][0]["precisions"].size(), 5U) << "newest first";
    for (const char* f : {"run_id", "created_at", "M", "N", "K", "precisions", "hardware_key", "backend",
                          "device_name", "points"}) {
        EXPECT_TRUE(list["runs"][0].contains(f)) << f;
    }
    EXPECT_FALSE(list["runs"][0].contains("id"));
    r = c.Get("/api/runs?precision=nvfp4&limit=10");
    ASSERT_TRUE(r);
    EXPECT_EQ(body_json(r)["total"], 1);
    r = c.Get("/api/runs?source=measured");
    EXPECT_EQ(body_json(r)["total"], 0);

    r = c.Get("/api/runs.csv");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->get_header_value("Content-Type").find("text/csv"), std::string::npos);
    EXPECT_EQ(r->body.rfind("run_id,created_at,label,precision,", 0), 0U) << r->body.substr(0, 200);
    EXPECT_EQ(std::count(r->body.begin(), r->body.end(), '\n'), 1 + 5 + 1);

    r = c.Delete("/api/runs/" + std::to_string(id));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    expect_error(c.Get("/api/runs/" + std::to_string(id)), 404, "id");
    expect_error(c.Delete("/api/runs/" + std::to_string(id)), 404, "id");
    r = c.Get("/api/runs");
    EXPECT_EQ(body_json(r)["total"], 1);
}

TEST_F(api_fixture, errors_have_one_shape_and_bad_input_never_loses_data) {
    start();
    auto c = client();
    ASSERT_EQ(c.Post("/api/analyze", seed_body, "application/json")->status, 200);

    expect_error(c.Post("/api/analyze", "{not json", "application/json"), 400);
    expect_error(c.Post("/api/analyze", "", "application/json"), 400);
    expect_error(c.Post("/api/analyze", R"({"M":0,"N":1,"K":1})", "application/json"), 422, "M");
    expect_error(c.Post("/api/analyze", R"({"M":1,"N":1,"K":1,"precision":"FP12"})", "application/json"), 422,
                 "precision");
    expect_error(c.Post("/api/analyze?hardware_key=nope", seed_body, "application/json"), 422,
                 "hardware_key");
    expect_error(c.Post("/api/analyze?run_all_precisions=perhaps", seed_body, "application/json"), 422,
                 "run_all_precisions");
    expect_error(c.Post("/api/analyze", R"({"M":1,"N":1,"K":1,"roof":"measured"})", "application/json"), 422,
                 "roof");
    expect_error(c.Post("/api/analyze", std::string(70 * 1024, ' '), "application/json"), 413);
    expect_error(c.Get("/api/analyze"), 405);
    expect_error(c.Get("/api/nothing-here"), 404);
    expect_error(c.Get("/api/runs/abc"), 404, "id");
    expect_error(c.Get("/api/runs/99999"), 404, "id");
    expect_error(c.Get("/api/runs?limit=100000"), 422, "limit");
    expect_error(c.Get("/api/runs?hardware_key=" + std::string(400, 'x')), 422, "hardware_key");
    expect_error(c.Get("/api/health?x=%zz"), 400);
    expect_error(c.Get("/api/runs/1?unexpected=1"), 422, "unexpected");

    // Random bodies: a 4xx or a 200, never a 5xx, and the server stays up.
    std::mt19937 rng(1234);
    const std::string alphabet = "{}[]\":,0123456789eE+-.MNKprecisionFP16truefalsenull \\u";
    for (int i = 0; i < 300; ++i) {
        std::string body;
        const auto len = rng() % 80;
        for (std::uint32_t j = 0; j < len; ++j) {
            body += alphabet[rng() % alphabet.size()];
        }
        auto r = c.Post("/api/analyze", body, "application/json");
        ASSERT_TRUE(r) << "server died on body: " << body;
        EXPECT_LT(r->status, 500) << body << " -> " << r->body;
    }
    auto r = c.Get("/api/runs");
    ASSERT_TRUE(r);
    EXPECT_EQ(body_json(r)["total"], 1) << "bad input must neither store nor lose runs";
}

TEST_F(api_fixture, progress_stream_prediction_only) {
    start();
    auto c = client();
    auto r = c.Post("/api/analyze/stream?run_all_precisions=true", seed_body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
    const auto events = parse_sse(r->body);
    ASSERT_GE(events.size(), 12U) << r->body;
    EXPECT_EQ(events.front().first, "queued");
    EXPECT_EQ(events[1].first, "started");
    EXPECT_EQ(events[1].second["total"], 5);
    EXPECT_EQ(events[2].first, "point");
    EXPECT_EQ(events.back().first, "done");
    EXPECT_EQ(events.back().second["predicted"].size(), 5U);
    EXPECT_GE(events.back().second["run_id"].get<int>(), 1);
    // Bad input is a plain JSON error, not a stream.
    expect_error(c.Post("/api/analyze/stream", R"({"M":-1,"N":1,"K":1})", "application/json"), 422, "M");
}

TEST_F(api_fixture, telemetry_without_nvml_is_503_with_advice) {
    start();
    auto c = client();
    for (const char* path : {"/api/telemetry", "/api/telemetry/stream"}) {
        auto r = c.Get(path);
        expect_error(r, 503);
        EXPECT_NE(r->body.find("NVML not available"), std::string::npos) << r->body;
    }
}

TEST_F(api_fixture, every_documented_route_is_served) {
    start();
    auto c = client();
    const auto doc = body_json(c.Get("/api/openapi.json"));
    const auto id = body_json(c.Post("/api/analyze", seed_body, "application/json"))["run_id"].get<int>();
    const auto doomed = body_json(c.Post("/api/analyze", seed_body, "application/json"))["run_id"].get<int>();
    int checked = 0;
    for (const auto& [path, item] : doc["paths"].items()) {
        for (const auto& [method, op] : item.items()) {
            std::string concrete = path;
            if (const auto at = concrete.find("{id}"); at != std::string::npos) {
                concrete.replace(at, 4, std::to_string(method == "delete" ? doomed : id));
            }
            if (const auto at = concrete.find("{key}"); at != std::string::npos) {
                concrete.replace(at, 5, "h100-sxm");
            }
            if (method != "get" && method != "post" && method != "delete") {
                ADD_FAILURE() << "unexpected method " << method;
                continue;
            }
            auto r = method == "get"    ? c.Get(concrete)
                     : method == "post" ? c.Post(concrete, seed_body, "application/json")
                                        : c.Delete(concrete);
            ASSERT_TRUE(r) << method << " " << concrete;
            EXPECT_TRUE(op["responses"].contains(std::to_string(r->status)))
                << method << " " << concrete << " answered " << r->status << ", not documented: " << r->body;
            EXPECT_NE(r->status, 404) << method << " " << concrete << " is documented but not served";
            ++checked;
        }
    }
    EXPECT_GE(checked, 14);
}

TEST_F(api_fixture, static_files_never_escape_the_web_root) {
    const auto web = dir.path / "web";
    std::filesystem::create_directories(web / "assets");
    std::ofstream(web / "index.html") << "<html>the app</html>";
    std::ofstream(web / "assets" / "app.js") << "console.log('app')";
    std::ofstream(dir.path / "secret.txt") << "TOP-SECRET-CONTENT";
    start({"--web-root", web.string()});
    auto c = client();
    auto r = c.Get("/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("the app"), std::string::npos);
    EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
    r = c.Get("/assets/app.js");
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->get_header_value("Content-Type").find("javascript"), std::string::npos);

    for (const char* target :
         {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
          "/..%2fsecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/%252e%252e/secret.txt", "/..\\secret.txt",
          "/..%5csecret.txt", "/assets/..%2f..%2f..%2f..%2f..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
          "/....//secret.txt", "/%00/../secret.txt"}) {
        const auto resp =
            test::raw_exchange(server.port, std::string("GET ") + target +
                                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(resp.find("TOP-SECRET"), std::string::npos) << target;
        EXPECT_EQ(resp.find("root:"), std::string::npos) << target;
        EXPECT_FALSE(resp.empty()) << target << ": the server must answer, not die";
    }
    EXPECT_EQ(c.Get("/api/health")->status, 200) << "still up";
}

TEST_F(api_fixture, no_web_app_built_says_how) {
    start({"--web-root", dir.path.string()}); // a folder without the app's files
    auto c = client();
    auto r = c.Get("/favicon.ico");
    expect_error(r, 404);
    start({});
    r = client().Get("/api/health");
    EXPECT_EQ(r->status, 200);
}

TEST_F(api_fixture, non_loopback_needs_a_token) {
    std::string out;
    const int rc = test::run_binary(
        {"serve", "--host", "0.0.0.0", "--port", "0", "--db", (dir.path / "x.db").string()}, out);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find("refusing to listen on 0.0.0.0 without an access token"), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir.path / "x.db")) << "it must refuse before touching anything";

    const std::string token = "0123456789abcdef0123";
    start({"--host", "0.0.0.0", "--token", token});
    auto c = client();
    auto r = c.Get("/api/health");
    expect_error(r, 401);
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"roofline\"");
    expect_error(c.Post("/api/analyze", seed_body, "application/json"), 401);
    expect_error(c.Get("/"), 401);
    c.set_bearer_token_auth("wrong-token-wrong-token");
    expect_error(c.Get("/api/health"), 401);
    c.set_bearer_token_auth(token);
    EXPECT_EQ(c.Get("/api/health")->status, 200);
    EXPECT_EQ(c.Post("/api/analyze", seed_body, "application/json")->status, 200);

    // ROOFLINE_TOKEN works the same way.
    server.stop();
    start({"--host", "0.0.0.0"}, {"ROOFLINE_TOKEN=" + token});
    auto c2 = client();
    expect_error(c2.Get("/api/health"), 401);
    c2.set_bearer_token_auth(token);
    EXPECT_EQ(c2.Get("/api/health")->status, 200);
}

TEST_F(api_fixture, cors_only_for_configured_origins) {
    start();
    auto c = client();
    auto r = c.Get("/api/health", {{"Origin", "http://localhost:5173"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "http://localhost:5173");
    r = c.Options("/api/analyze",
                  {{"Origin", "http://localhost:5173"}, {"Access-Control-Request-Method", "POST"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_NE(r->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
    r = c.Options("/api/analyze",
                  {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    expect_error(r, 403);
    EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
    // A page elsewhere may not make this server run work, even with a "simple" request.
    r = c.Post("/api/analyze", {{"Origin", "http://evil.example"}}, seed_body, "text/plain");
    expect_error(r, 403);
    // DNS rebinding: a loopback server answers only requests addressed to a loopback name.
    r = c.Get("/api/health", {{"Host", "attacker.example:8000"}});
    expect_error(r, 403);

    server.stop();
    start({"--cors-origin", "http://gpu-box.lan:3000"});
    r = client().Get("/api/health", {{"Origin", "http://gpu-box.lan:3000"}});
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "http://gpu-box.lan:3000");
    r = client().Get("/api/health", {{"Origin", "http://localhost:5173"}});
    EXPECT_EQ(r->status, 403);
}

TEST_F(api_fixture, measured_roofs_come_from_the_ceilings_profile) {
    const auto profiles = dir.path / "profiles";
    std::filesystem::create_directories(profiles);
    start({}, {"ROOFLINE_PROFILE_DIR=" + profiles.string()});
    auto c = client();
    const std::string body = R"({"M":4096,"N":4096,"K":4096,"precisions":["FP16","INT8"],"roof":"measured"})";
    auto r = c.Post("/api/analyze", body, "application/json");
    expect_error(r, 422, "roof");
    EXPECT_NE(r->body.find("roofline ceilings"), std::string::npos) << r->body;
    auto health = body_json(c.Get("/api/health"));
    ASSERT_TRUE(health.contains("measured_profile")) << "Health.measured_profile is part of the answer";
    EXPECT_TRUE(health["measured_profile"].is_null()) << "no profile yet";

    roofline::measured_profile prof;
    prof.tool_version = "test";
    prof.created_at = "2026-01-01T00:00:00Z";
    prof.device.name = "NVIDIA H100 80GB HBM3";
    prof.device.compute_capability = "9.0";
    prof.device.uuid = "GPU-test";
    prof.hardware_key = "h100-sxm";
    prof.bandwidth.push_back({"dram_read", "test kernel", 3.0e12, 3.1e12, 4e9});
    roofline::measured_compute fp16;
    fp16.precision = roofline::precision_id::fp16;
    fp16.status = roofline::disposition::passed;
    fp16.burst_flops_per_s = 7.0e14;
    prof.compute.push_back(fp16);
    roofline::save_profile(prof, roofline::profile_path(profiles, prof.device.uuid));

    r = c.Post("/api/analyze", body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto a = body_json(r);
    EXPECT_EQ(a["hardware"]["key"], "h100-sxm-measured");
    EXPECT_EQ(a["request"]["roof"], "measured");
    EXPECT_NEAR(a["predicted"][0]["roof"]["compute_roof_tflops"].get<double>(), 700.0, 1e-6);
    EXPECT_NEAR(a["hardware"]["memory_bandwidth_bytes_per_s"].get<double>(), 3.0e12, 1.0);
    EXPECT_EQ(a["predicted"][0]["hardware_key"], "h100-sxm-measured");
    // The run reads back with its measured roofs.
    const auto stored = body_json(c.Get("/api/runs/" + std::to_string(a["run_id"].get<int>())));
    EXPECT_EQ(stored["hardware"]["key"], "h100-sxm-measured");
    // Health offers the measured roofs to the form (issue 11: it never sent them).
    health = body_json(c.Get("/api/health"));
    ASSERT_TRUE(health["measured_profile"].is_object()) << health.dump();
    EXPECT_EQ(health["measured_profile"]["key"], "h100-sxm-measured");
    EXPECT_NEAR(health["measured_profile"]["memory_bandwidth_bytes_per_s"].get<double>(), 3.0e12, 1.0);
    // The CSV exports the roofs the run was stored with, not today's registry's (which has no
    // "h100-sxm-measured"): issue 11 found these columns empty.
    r = c.Get("/api/runs.csv");
    ASSERT_TRUE(r);
    std::istringstream csv(r->body);
    std::string header;
    std::getline(csv, header);
    const auto column = [&](const std::string& name) {
        std::istringstream cols(header);
        int i = 0;
        for (std::string c1; std::getline(cols, c1, ','); ++i) {
            if (c1 == name) {
                return i;
            }
        }
        return -1;
    };
    const int attainable = column("attainable_tflops");
    const int bound = column("bound");
    ASSERT_GE(attainable, 0);
    int rows = 0;
    for (std::string line; std::getline(csv, line); ++rows) {
        std::vector<std::string> cells;
        std::istringstream ls(line);
        for (std::string cell; std::getline(ls, cell, ',');) {
            cells.push_back(cell);
        }
        ASSERT_GT(cells.size(), static_cast<std::size_t>(attainable)) << line;
        EXPECT_FALSE(cells[static_cast<std::size_t>(bound)].empty()) << line;
        if (line.find(",FP16,") != std::string::npos) {
            EXPECT_FALSE(cells[static_cast<std::size_t>(attainable)].empty())
                << "roof=measured run's roof column: " << line;
        }
    }
    EXPECT_EQ(rows, 2);
    expect_error(c.Post("/api/analyze?hardware_key=b10", body, "application/json"), 422, "hardware_key");
}

// ------------------------------------------------------------------------------- GPU path with a fake worker

TEST_F(api_fixture, worker_faults_cost_one_precision_each) {
    start({"--worker-command", fake_worker(), "--precision-timeout", "2"});
    auto c = client();
    auto h = body_json(c.Get("/api/health"));
    EXPECT_EQ(h["backend"], "gpu");
    EXPECT_EQ(h["device"]["name"], "Fake GPU (test double)");
    EXPECT_EQ(h["default_hardware_key"], "h100-sxm") << "an unknown device gets h100-sxm's roofs";

    auto r = c.Post(
        "/api/analyze",
        R"({"M":1024,"N":1024,"K":1024,"precisions":["FP16","INT8","BF16","NVFP4","INT4","FP8_E4M3"]})",
        "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto a = body_json(r);
    EXPECT_EQ(a["backend"], "gpu");
    EXPECT_EQ(a["device"]["name"], "Fake GPU (test double)");
    ASSERT_EQ(a["measured"].size(), 6U);
    ASSERT_EQ(a["predicted"].size(), 6U);
    const std::vector<std::string> want{"passed", "failed", "passed", "failed", "failed", "passed"};
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(a["measured"][i]["disposition"], want[i]) << a["measured"][i].dump();
        EXPECT_EQ(a["measured"][i]["source"], "measured");
    }
    EXPECT_NE(a["measured"][1]["message"].get<std::string>().find("signal 11"), std::string::npos);
    EXPECT_NE(a["measured"][3]["message"].get<std::string>().find("no answer"), std::string::npos);
    EXPECT_TRUE(a["measured"][1]["tflops"].is_null());
    EXPECT_TRUE(a["measured"][0]["tflops"].is_number());
    EXPECT_TRUE(a["measured"][0]["roof"].is_object())
        << "measured points carry the roof of the chosen hardware";
    // Like the CLI's answer, a measured point with a time says why it sits below its roof (issue 11: the
    // API's answer had no gap).
    ASSERT_TRUE(a["measured"][0].contains("gap")) << a["measured"][0].dump();
    EXPECT_TRUE(a["measured"][0]["gap"]["reasons"].is_array());
    EXPECT_FALSE(a["measured"][1].contains("gap")) << "a failed point has no time, so no gap";
    EXPECT_FALSE(a["predicted"][0].contains("gap")) << "predicted points are on their roof";
    h = body_json(c.Get("/api/health"));
    EXPECT_EQ(h["worker_restarts"], 3) << "crash, hang and sticky error each cost one worker";
    r = c.Get("/api/runs?source=measured");
    EXPECT_EQ(body_json(r)["total"], 1);
    // predict_only skips the GPU even on a GPU server.
    r = c.Post("/api/analyze", R"({"M":64,"N":64,"K":64,"predict_only":true})", "application/json");
    EXPECT_TRUE(body_json(r)["measured"].empty());
    EXPECT_EQ(body_json(r)["backend"], "prediction-only");
}

TEST_F(api_fixture, full_queue_answers_429_with_retry_after) {
    // Each analysis takes 3 s in the fake worker: long enough for the test to fill the queue on a busy CI
    // box.
    start({"--worker-command", fake_worker(), "--queue-capacity", "1"}, {"FAKE_WORKER_DELAY_MS=3000"});
    std::atomic<int> ok{0};
    const auto post = [&] {
        auto c = client();
        auto r = c.Post("/api/analyze", seed_body, "application/json");
        if (r && r->status == 200) {
            ++ok;
        }
    };
    const auto wait_for_length = [&](int n) {
        for (int i = 0; i < 1000; ++i) {
            if (body_json(client().Get("/api/health"))["queue_length"] == n) {
                return true;
            }
            std::this_thread::sleep_for(10ms);
        }
        return false;
    };
    std::thread first(post);
    ASSERT_TRUE(wait_for_length(1));
    std::thread second(post);
    ASSERT_TRUE(wait_for_length(2));
    auto r = client().Post("/api/analyze", seed_body, "application/json");
    expect_error(r, 429);
    const auto retry = r->get_header_value("Retry-After");
    EXPECT_FALSE(retry.empty());
    EXPECT_GE(std::atoi(retry.c_str()), 1);
    // The stream form refuses before opening the stream.
    expect_error(client().Post("/api/analyze/stream", seed_body, "application/json"), 429);
    // Prediction-only work does not queue.
    EXPECT_EQ(client()
                  .Post("/api/analyze", R"({"M":8,"N":8,"K":8,"predict_only":true})", "application/json")
                  ->status,
              200);
    first.join();
    second.join();
    EXPECT_EQ(ok.load(), 2);
}

TEST_F(api_fixture, stream_reports_progress_and_a_disconnect_cancels_what_has_not_started) {
    const auto log = dir.path / "worker.log";
    start({"--worker-command", fake_worker(), "--precision-timeout", "2"},
          {"FAKE_WORKER_DELAY_MS=400", "FAKE_WORKER_LOG=" + log.string()});
    auto c = client();
    // A complete stream: queued, predicted points, then started/point per precision, an error, done.
    auto r = c.Post("/api/analyze/stream", R"({"M":256,"N":256,"K":256,"precisions":["FP16","INT8"]})",
                    "application/json");
    ASSERT_TRUE(r);
    const auto events = parse_sse(r->body);
    std::vector<std::string> names;
    for (const auto& e : events) {
        names.push_back(e.first);
    }
    const std::vector<std::string> want{"queued",  "point", "point", "started", "point",
                                        "started", "error", "point", "done"};
    EXPECT_EQ(names, want) << r->body;
    ASSERT_EQ(events.size(), want.size());
    EXPECT_EQ(events[6].second["precision"], "INT8");
    EXPECT_EQ(events[6].second["error"]["code"], "worker_crashed");
    EXPECT_EQ(events.back().second["measured"].size(), 2U);

    // Now leave after the first precision started: the remaining five must never reach the worker.
    std::filesystem::remove(log);
    const std::string body =
        R"({"M":256,"N":256,"K":256,"precisions":["FP16","BF16","FP8_E4M3","FP8_E5M2","TF32","FP32"]})";
    const auto seen =
        test::raw_read_until_then_close(server.port,
                                        "POST /api/analyze/stream HTTP/1.1\r\nHost: "
                                        "127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                                            std::to_string(body.size()) + "\r\n\r\n" + body,
                                        "event: started");
    ASSERT_NE(seen.find("event: started"), std::string::npos) << seen;
    // Wait for the queue to drain, then count what the worker was asked to do.
    for (int i = 0; i < 500; ++i) {
        if (body_json(c.Get("/api/health"))["queue_length"] == 0) {
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    std::ifstream in(log);
    int requests = 0;
    for (std::string line; std::getline(in, line);) {
        ++requests;
    }
    EXPECT_GE(requests, 1);
    EXPECT_LE(requests, 3) << "the precisions after the disconnect must be cancelled, not measured";
    // The partial run is stored: what ran, and not_run for the rest. Runs commit on the store's own thread
    // (run_store::submit_then), so an empty queue does not mean the second run is in the list yet: wait for
    // both runs (ASan builds lost this race).
    json list;
    for (int i = 0; i < 500; ++i) {
        list = body_json(c.Get("/api/runs?limit=2"));
        if (list["runs"].size() == 2) {
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(list["runs"].size(), 2U) << list.dump();
    const auto run = body_json(c.Get("/api/runs/" + std::to_string(list["runs"][0]["run_id"].get<int>())));
    ASSERT_EQ(run["measured"].size(), 6U);
    EXPECT_EQ(run["measured"][5]["disposition"], "not_run");
}

TEST_F(api_fixture, no_gpu_on_the_worker_means_prediction_only) {
    start({"--worker-command", fake_worker()}, {"FAKE_WORKER_NO_DEVICE=1"});
    const auto h = body_json(client().Get("/api/health"));
    EXPECT_EQ(h["backend"], "prediction-only");
    EXPECT_NE(h["backend_reason"].get<std::string>().find("no CUDA device"), std::string::npos);
}

// ------------------------------------------------------------------------------------------------- kill -9

TEST_F(api_fixture, kill_9_during_writes_loses_no_committed_run) {
    start();
    const auto db = dir.path / "runs.db";
    std::mutex mutex;
    std::vector<std::int64_t> committed; // ids the server answered with: committed by its contract
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&] {
            auto c = client();
            while (!stop) {
                auto r = c.Post("/api/analyze?run_all_precisions=true", seed_body, "application/json");
                if (!r || r->status != 200) {
                    continue;
                }
                const auto j = json::parse(r->body, nullptr, false);
                if (j.is_object() && j.contains("run_id")) {
                    std::lock_guard lock(mutex);
                    committed.push_back(j["run_id"].get<std::int64_t>());
                }
            }
        });
    }
    for (int i = 0; i < 200; ++i) {
        std::this_thread::sleep_for(10ms);
        std::lock_guard lock(mutex);
        if (committed.size() > 3000) {
            break;
        }
    }
    server.kill9(); // mid-stream: clients are still posting
    stop = true;
    for (auto& t : clients) {
        t.join();
    }
    ASSERT_GT(committed.size(), 50U);

    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
    sqlite3_finalize(st);
    std::set<std::int64_t> present;
    ASSERT_EQ(sqlite3_prepare_v2(handle, "SELECT id FROM runs", -1, &st, nullptr), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        present.insert(sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(handle);
    for (const auto id : committed) {
        ASSERT_TRUE(present.count(id))
            << "run " << id << " was answered (committed) but is gone after kill -9";
    }
    std::cout << "[ kill -9 ] " << committed.size() << " answered runs, " << present.size()
              << " in the database after SIGKILL, integrity ok\n";

    // And the server starts again on the same file and serves those runs.
    start();
    auto r = client().Get("/api/runs/" + std::to_string(committed.back()));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(body_json(client().Get("/api/runs"))["total"].get<std::size_t>(), present.size());
}

// ------------------------------------------------------------------------------------------ several GPUs

TEST_F(api_fixture, serve_gpus_runs_one_lane_per_gpu_and_the_node_check) {
    start({"--worker-command", fake_worker(), "--gpus", "0,1,2"}, {"FAKE_WORKER_SLOW_GPU=1"});
    auto c = client();
    const auto g = body_json(c.Get("/api/gpus"));
    ASSERT_EQ(g["gpus"].size(), 3U) << g.dump();
    EXPECT_EQ(g["backend"], "gpu");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(g["gpus"][i]["index"], i);
        EXPECT_EQ(g["gpus"][i]["state"], "ready");
        EXPECT_EQ(g["gpus"][i]["device"]["uuid"], "GPU-fake-" + std::to_string(i));
        EXPECT_EQ(g["gpus"][i]["device"]["serial"], "fake-serial-" + std::to_string(i));
    }
    // An analysis spread over the GPUs: each point names the GPU it ran on.
    auto r = c.Post("/api/analyze", R"({"M":256,"N":256,"K":256,"precisions":["FP16","BF16","TF32"]})",
                    "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto spread = body_json(r); // held: a range-for over a temporary's member reads freed memory
    for (const auto& p : spread["measured"]) {
        EXPECT_TRUE(p["measured"]["device"]["index"].is_number_integer()) << p.dump();
    }
    // One precision runs on one GPU, and the run is found by that GPU's UUID.
    r = c.Post("/api/analyze", R"({"M":256,"N":256,"K":256,"precisions":["FP16"]})", "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto gpu = body_json(r)["measured"][0]["measured"]["device"]["index"].get<int>();
    const auto runs = body_json(c.Get("/api/runs?gpu=GPU-fake-" + std::to_string(gpu)));
    ASSERT_GE(runs["total"].get<int>(), 1) << runs.dump();
    EXPECT_EQ(runs["runs"][0]["gpu"]["index"], gpu);
    EXPECT_EQ(runs["runs"][0]["gpu"]["serial"], "fake-serial-" + std::to_string(gpu));
    // The node check: GPU 1 is planted slow at a lower clock.
    r = c.Post("/api/node/check", R"({"M":1024,"N":1024,"K":1024,"precisions":["BF16"],"iterations":5})",
               "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto n = body_json(r);
    ASSERT_EQ(n["gpus"].size(), 3U);
    EXPECT_EQ(n["gpus"][2]["pci_bus_id"], "00000000:02:00.0");
    ASSERT_FALSE(n["outliers"].empty()) << n.dump();
    for (const auto& o : n["outliers"]) {
        EXPECT_EQ(o["index"], 1) << o.dump();
        EXPECT_NE(std::find(o["reasons"].begin(), o["reasons"].end(), "clock"), o["reasons"].end())
            << o.dump();
    }
    expect_error(c.Post("/api/node/check", R"({"M":0,"N":1,"K":1})", "application/json"), 422, "M");
}

TEST_F(api_fixture, node_check_without_a_gpu_is_503) {
    start({"--predict-only"});
    expect_error(client().Post("/api/node/check", R"({"M":64,"N":64,"K":64})", "application/json"), 503);
    EXPECT_EQ(body_json(client().Get("/api/gpus"))["gpus"].size(), 0U);
}

TEST_F(api_fixture, a_worker_whose_first_probe_hangs_is_probed_again_and_the_server_turns_gpu) {
    const auto marker = dir.path / "first-probe";
    start({"--worker-command", fake_worker(), "--device-timeout", "1", "--probe-retry", "0.2"},
          {"FAKE_WORKER_HANG_FIRST_PROBE=" + marker.string()});
    auto c = client();
    auto h = body_json(c.Get("/api/health"));
    EXPECT_EQ(h["backend"], "prediction-only") << "the first probe hung past --device-timeout";
    EXPECT_NE(h["backend_reason"].get<std::string>().find("probing again"), std::string::npos) << h.dump();
    for (int i = 0; i < 100 && h["backend"] != "gpu"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        h = body_json(c.Get("/api/health"));
    }
    ASSERT_EQ(h["backend"], "gpu") << h.dump();
    EXPECT_EQ(h["device"]["name"], "Fake GPU (test double)");
    const auto r = c.Post("/api/analyze", R"({"M":64,"N":64,"K":64})", "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(body_json(r)["measured"][0]["disposition"], "passed");
}

namespace {
// The JSON document a command printed after its stderr lines (run_binary merges both).
json printed_json(const std::string& output) {
    const auto at = output.rfind("\n{\n");
    return json::parse(at == std::string::npos ? output : output.substr(at + 1), nullptr, false);
}
} // namespace

TEST(cli_gpus, analyze_spreads_over_the_gpus_and_stores_one_run_per_gpu) {
    test::temp_dir dir;
    const auto db = (dir.path / "cli.db").string();
    std::string out;
    const int rc =
        test::run_binary({"analyze", "--shape", "256x256x256", "-p", "fp16,bf16,tf32,fp32", "--gpus", "0,1",
                          "--worker-command", fake_worker(), "--format", "json", "--db", db},
                         out, {"FAKE_WORKER_DELAY_MS=200"});
    ASSERT_EQ(rc, 0) << out;
    const auto doc = printed_json(out);
    ASSERT_TRUE(doc.is_object()) << out;
    std::set<int> gpus;
    for (const auto& p : doc["points"]) {
        if (p["source"] == "measured") {
            EXPECT_EQ(p["disposition"], "passed") << p.dump();
            const int i = p["measured"]["device"]["index"].get<int>();
            EXPECT_EQ(p["measured"]["device"]["uuid"], "GPU-fake-" + std::to_string(i));
            gpus.insert(i);
        }
    }
    EXPECT_EQ(gpus.size(), 2U) << "four 200 ms precisions on two GPUs use both";
    EXPECT_NE(out.find("GPU 0: Fake GPU (test double), GPU-fake-0, 00000000:00:00.0, serial fake-serial-0"),
              std::string::npos)
        << out;
    std::string list;
    ASSERT_EQ(test::run_binary({"runs", "list", "--db", db, "--gpu", "GPU-fake-1"}, list), 0) << list;
    EXPECT_NE(list.find("1 of 1 runs"), std::string::npos) << "one run per GPU: " << list;
    std::string all;
    ASSERT_EQ(test::run_binary({"runs", "list", "--db", db}, all), 0) << all;
    EXPECT_NE(all.find("2 of 2 runs"), std::string::npos) << all;
}

TEST(cli_gpus, node_check_reports_a_crashing_gpu_and_measures_the_others) {
    std::string out;
    const int rc = test::run_binary({"node", "check", "--gpus", "0,1,2", "--worker-command", fake_worker(),
                                     "--shape", "512x512x512", "--iterations", "3", "--format", "json"},
                                    out, {"FAKE_WORKER_CRASH_GPU=2"});
    ASSERT_EQ(rc, 0) << out;
    const auto doc = printed_json(out);
    ASSERT_TRUE(doc.is_object()) << out;
    ASSERT_EQ(doc["gpus"].size(), 3U);
    EXPECT_TRUE(doc["gpus"][0]["alone"]["ran"].get<bool>());
    EXPECT_TRUE(doc["gpus"][1]["together"]["ran"].get<bool>());
    EXPECT_FALSE(doc["gpus"][2]["alone"]["ran"].get<bool>());
    EXPECT_EQ(doc["spread"]["alone"]["gpus"], 2);
    bool failed = false;
    for (const auto& o : doc["outliers"]) {
        failed = failed || (o["index"] == 2 && o["reasons"][0] == "failed");
    }
    EXPECT_TRUE(failed) << doc["outliers"].dump();
    std::string bad;
    EXPECT_EQ(test::run_binary({"node", "check", "--gpus", "0,x"}, bad), 2);
    EXPECT_NE(bad.find("--gpus"), std::string::npos) << bad;
}
