// API tests of the workload routes against the real binary: /api/presets, /api/model, /api/spot, /api/batch
// (+stream) and /api/doctor. Prediction-only, and with the scripted fake worker for the GPU path.
#include "http_client.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using json = nlohmann::json;

namespace {

struct workload_api : ::testing::Test {
    test::temp_dir dir;
    test::server_process server;

    void start(std::vector<std::string> args = {}) {
        args.insert(args.end(), {"--db", (dir.path / "runs.db").string()});
        server = test::start_server(args, {});
        ASSERT_TRUE(server.running()) << server.start_error;
    }
    httplib::Client client() const {
        httplib::Client c("127.0.0.1", server.port);
        c.set_read_timeout(60, 0);
        c.set_tcp_nodelay(true);
        return c;
    }
};

json body(const httplib::Result& r) {
    return json::parse(r->body);
}

void expect_error(const httplib::Result& r, int status, const std::string& field) {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, status) << r->body;
    const auto j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r->body;
    EXPECT_EQ(j["error"]["field"], field.empty() ? json(nullptr) : json(field)) << r->body;
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

} // namespace

TEST_F(workload_api, presets_and_model) {
    start();
    auto c = client();
    const auto presets = body(c.Get("/api/presets"))["presets"];
    ASSERT_EQ(presets.size(), 10U);
    for (const auto& p : presets) {
        EXPECT_NE(p["source"]["url"].get<std::string>().find("config.json"), std::string::npos);
    }
    auto r = c.Post(
        "/api/model",
        R"({"model":"llama-3.1-8b","tokens":2048,"phase":"decode","batch":16,"precisions":["BF16","FP8"],)"
        R"("hardware_key":"h200"})",
        "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto a = body(r);
    EXPECT_EQ(a["kind"], "model");
    EXPECT_EQ(a["step"]["tokens_in_step"], 16);
    ASSERT_EQ(a["precisions"].size(), 2U);
    const auto& g = a["precisions"][0]["gemms"][0];
    EXPECT_EQ(g["name"], "attn.q_proj");
    EXPECT_EQ(g["M"], 16);
    EXPECT_DOUBLE_EQ(g["flops"].get<double>(), 2.0 * 16 * 4096 * 4096);
    EXPECT_TRUE(g["measured"].is_null());
    EXPECT_EQ(a["precisions"][0]["memory"]["fits"], true);
    // A pasted config.json (Mixtral's keys) works like a preset.
    r = c.Post(
        "/api/model",
        R"({"config":{"model_type":"mixtral","hidden_size":4096,"intermediate_size":14336,)"
        R"("num_attention_heads":32,"num_key_value_heads":8,"num_hidden_layers":32,"vocab_size":32000,)"
        R"("num_local_experts":8,"num_experts_per_tok":2},"tokens":512})",
        "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(body(r)["model"]["moe"]["routed_experts"], 8);
}

TEST_F(workload_api, model_errors_name_the_field) {
    start();
    auto c = client();
    expect_error(c.Post("/api/model", R"({"model":"llama-3.1-8b","tokens":0})", "application/json"), 422,
                 "tokens");
    expect_error(c.Post("/api/model", R"({"model":"llama-3.1-8b"})", "application/json"), 422, "tokens");
    expect_error(c.Post("/api/model", R"({"model":"llama-99","tokens":8})", "application/json"), 422,
                 "model");
    expect_error(c.Post("/api/model", R"({"config":{"model_type":"llama"},"tokens":8})", "application/json"),
                 422, "config.hidden_size");
    expect_error(
        c.Post("/api/model",
               R"({"config":{"model_type":"llama","hidden_size":64,"intermediate_size":64,)"
               R"("num_attention_heads":4,"num_key_value_heads":4,"num_hidden_layers":1,"vocab_size":8,)"
               R"("wibble":1},"tokens":8})",
               "application/json"),
        422, "config.wibble");
    expect_error(
        c.Post("/api/model", R"({"model":"llama-3.1-8b","tokens":8,"phase":"train"})", "application/json"),
        422, "phase");
    expect_error(c.Post("/api/model", R"({"model":"llama-3.1-8b","tokens":8,"precisions":["W3A3"]})",
                        "application/json"),
                 422, "precisions");
    expect_error(c.Post("/api/model", "{not json", "application/json"), 400, "");
}

TEST_F(workload_api, spot_check) {
    start();
    auto c = client();
    auto r = c.Post("/api/spot",
                    R"({"op":"gemm","m":8192,"n":8192,"k":8192,"time_s":0.0015,"hardware_key":"h200"})",
                    "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto s = body(r)["spot"];
    EXPECT_DOUBLE_EQ(s["flops"].get<double>(), 2.0 * 8192 * 8192 * 8192);
    EXPECT_EQ(s["bound"], "compute");
    EXPECT_NEAR(s["roof_time_s"].get<double>(), 2.0 * 8192 * 8192 * 8192 / 989.5e12, 1e-9);
    EXPECT_NEAR(s["headroom"].get<double>(), 0.0015 / s["roof_time_s"].get<double>(), 1e-9);
    expect_error(c.Post("/api/spot", R"({"op":"gemm","m":8,"n":8,"time_s":1e-6})", "application/json"), 422,
                 "k");
    expect_error(c.Post("/api/spot", R"({"flops":1,"bytes":1})", "application/json"), 422, "time_s");
    expect_error(c.Post("/api/spot", R"({"op":"conv","time_s":1})", "application/json"), 422, "op");
}

TEST_F(workload_api, batch_stores_one_run_and_names_bad_lines) {
    start();
    auto c = client();
    const auto runs_before = body(c.Get("/api/runs"))["total"].get<int>();
    auto r = c.Post("/api/batch", R"({"text":"4096,4096,4096,FP16\n1,4096,q,BF16\n16,4096,4096,FP8\n"})",
                    "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto a = body(r);
    EXPECT_EQ(a["kind"], "batch");
    ASSERT_EQ(a["predicted"].size(), 2U);
    ASSERT_EQ(a["errors"].size(), 1U);
    EXPECT_EQ(a["errors"][0]["line"], 2);
    EXPECT_EQ(a["errors"][0]["field"], "k");
    const auto id = a["run_id"].get<int>();
    EXPECT_EQ(body(c.Get("/api/runs"))["total"].get<int>(), runs_before + 1);
    const auto stored = body(c.Get("/api/runs/" + std::to_string(id)));
    EXPECT_EQ(stored["kind"], "batch");
    EXPECT_EQ(stored["predicted"].size(), 2U);
    // JSON cases; over the limit names it and stores nothing.
    r = c.Post("/api/batch", R"({"cases":[{"m":64,"n":64,"k":64,"precision":"INT8"}]})", "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    std::string many = "[";
    for (int i = 0; i < 257; ++i) {
        many += std::string(i ? "," : "") + R"({"m":1,"n":1,"k":1})";
    }
    many += "]";
    const auto total = body(c.Get("/api/runs"))["total"].get<int>();
    r = c.Post("/api/batch", R"({"cases":)" + many + "}", "application/json");
    expect_error(r, 422, "cases");
    EXPECT_NE(r->body.find("limit is 256"), std::string::npos) << r->body;
    EXPECT_EQ(body(c.Get("/api/runs"))["total"].get<int>(), total);
    expect_error(c.Post("/api/batch", R"({"text":"1,1,x,FP16\n"})", "application/json"), 422, "k");
    expect_error(c.Post("/api/batch", R"({})", "application/json"), 422, "cases");
}

TEST_F(workload_api, batch_stream_reports_each_case) {
    start();
    auto c = client();
    auto r =
        c.Post("/api/batch/stream", R"({"text":"64,64,64,FP16\n128,128,128,BF16\n"})", "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto events = parse_sse(r->body);
    ASSERT_GE(events.size(), 6U);
    EXPECT_EQ(events.front().first, "queued");
    EXPECT_EQ(events.front().second["total"], 2);
    int started = 0;
    int points = 0;
    for (const auto& [name, data] : events) {
        started += name == "started";
        points += name == "point";
    }
    EXPECT_EQ(started, 2);
    EXPECT_EQ(points, 2);
    EXPECT_EQ(events.back().first, "done");
    EXPECT_TRUE(events.back().second["run_id"].is_number_integer());
}

TEST_F(workload_api, batch_on_the_gpu_path_measures_each_case_in_order) {
    start({"--worker-command", FAKE_WORKER});
    auto c = client();
    auto r =
        c.Post("/api/batch/stream", R"({"text":"256,256,256,FP16\n512,512,512,BF16\n1024,1024,1024,FP16\n"})",
               "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto events = parse_sse(r->body);
    std::vector<std::string> labels;
    std::vector<json> measured;
    for (const auto& [name, data] : events) {
        if (name == "started") {
            labels.push_back(data["label"].get<std::string>());
        } else if (name == "point") {
            measured.push_back(data);
        }
    }
    ASSERT_EQ(labels.size(), 3U);
    EXPECT_NE(labels[1].find("512x512x512"), std::string::npos);
    ASSERT_EQ(measured.size(), 3U);
    for (const auto& p : measured) {
        EXPECT_EQ(p["source"], "measured");
    }
    const auto done = events.back().second;
    EXPECT_EQ(done["backend"], "gpu");
    EXPECT_EQ(done["measured"].size(), 3U);
    // The model route measures its distinct weight GEMMs through the same queue when asked.
    r = c.Post("/api/model",
               R"({"model":"llama-3.1-8b","tokens":1,"phase":"decode","precisions":["FP16"],"measure":true})",
               "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto m = body(r);
    EXPECT_EQ(m["backend"].get<std::string>().rfind("gpu", 0), 0U) << m["backend"];
    EXPECT_TRUE(m["precisions"][0]["gemms"][0]["measured"].is_object());
    EXPECT_TRUE(m["precisions"][0]["totals"]["forward"]["measured_s"].is_number());
}

TEST_F(workload_api, doctor_lists_checks) {
    start();
    auto c = client();
    const auto d = body(c.Get("/api/doctor"));
    EXPECT_EQ(d["kind"], "doctor");
    EXPECT_EQ(d["ok"], true);
    std::set<std::string> names;
    for (const auto& ch : d["checks"]) {
        names.insert(ch["name"].get<std::string>());
        if (ch["status"] != "ok") {
            EXPECT_FALSE(ch["next"].get<std::string>().empty()) << ch.dump();
        }
    }
    for (const char* n :
         {"GPU", "NVML", "hardware registry", "model presets", "web app", "calibration", "database"}) {
        EXPECT_TRUE(names.contains(n)) << n;
    }
}
