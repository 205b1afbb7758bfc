// The original client (the seed's React page, on a Vite dev server at :5173) against the real binary: the
// contract tests post exactly what that page sends and check every field it reads (docs/API.md, "The original
// client"). Prediction-only here; with the scripted fake worker for measured points; on a GPU build the same
// tests see real measurements (the server then reports backend "gpu").
#include "http_client.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

using json = nlohmann::json;

namespace {

constexpr const char* page_origin = "http://localhost:5173";
// The precisions the page offers, spelled as it sends them.
const std::vector<std::string> page_precisions{"FP16",  "BF16", "FP8_E4M3", "FP8_E5M2",
                                               "NVFP4", "INT8", "INT4"};
// The hardware keys it sends.
const std::vector<std::string> page_hardware{"b10", "b200", "h100"};

struct original_client : ::testing::Test {
    test::temp_dir dir;
    test::server_process server;

    void start(std::vector<std::string> args = {}, const std::vector<std::string>& env = {}) {
        args.insert(args.end(), {"--db", (dir.path / "runs.db").string()});
        server = test::start_server(args, env);
        ASSERT_TRUE(server.running()) << server.start_error;
    }
    [[nodiscard]] httplib::Client client() const {
        httplib::Client c("127.0.0.1", server.port);
        c.set_read_timeout(60, 0);
        c.set_tcp_nodelay(true);
        return c;
    }
    // What the page's fetch() sends: a cross-origin POST from the Vite dev server with a JSON body.
    httplib::Result post_like_the_page(httplib::Client& c, const std::string& hw, bool all, std::int64_t m,
                                       std::int64_t n, std::int64_t k, const std::string& precision) {
        const json body{{"M", m}, {"N", n}, {"K", k}, {"precision", precision}};
        const httplib::Headers headers{{"Origin", page_origin}};
        return c.Post("/api/analyze?hardware_key=" + hw + "&run_all_precisions=" + (all ? "true" : "false"),
                      headers, body.dump(), "application/json");
    }
    json registry_entry(httplib::Client& c, const std::string& key) {
        const auto r = c.Get("/api/hardware/" + key);
        EXPECT_TRUE(r && r->status == 200);
        return json::parse(r->body);
    }
};

bool is_number(const json& j, const char* f) {
    return j.contains(f) && j[f].is_number();
}

// Every field the page reads of one plotted point; .toFixed is called on time_us and tflops unguarded.
void expect_page_point(const json& p, const std::string& source, const std::string& shape) {
    for (const char* f : {"ai", "tflops", "time_us"}) {
        EXPECT_TRUE(is_number(p, f)) << f << " in " << p.dump();
    }
    EXPECT_GT(p["time_us"].get<double>(), 0.0);
    EXPECT_GT(p["tflops"].get<double>(), 0.0);
    EXPECT_TRUE(p["label"].is_string() && !p["label"].get<std::string>().empty());
    EXPECT_TRUE(p["precision"].is_string());
    EXPECT_EQ(p["shape"], shape);
    EXPECT_EQ(p["source"], source);
    if (source == "simulated") {
        EXPECT_TRUE(p["bottleneck"] == "memory" || p["bottleneck"] == "compute") << p.dump();
    } else {
        EXPECT_TRUE(is_number(p, "bandwidth_gb_s")) << p.dump();
        EXPECT_GT(p["bandwidth_gb_s"].get<double>(), 0.0);
    }
}

// The recommendation names a precision the GPU runs (its roof is available in the registry entry).
void expect_recommendation(const json& rec, const json& entry) {
    ASSERT_TRUE(rec.is_object()) << rec.dump();
    for (const char* f : {"precision", "method", "reason"}) {
        EXPECT_TRUE(rec[f].is_string() && !rec[f].get<std::string>().empty()) << f;
    }
    EXPECT_TRUE(is_number(rec, "predicted_speedup"));
    EXPECT_GE(rec["predicted_speedup"].get<double>(), 1.0);
    EXPECT_TRUE(rec["memory_bound"].is_boolean());
    EXPECT_TRUE(is_number(rec, "memory_savings_pct"));
    // A mixed label (W4A16: "FP16xINT4->FP16") runs at its wider operand's rate.
    const auto p = rec["precision"].get<std::string>();
    const auto base = p.substr(0, p.find('x'));
    const auto& peak = entry["peaks"][base];
    EXPECT_TRUE(peak.value("supported", false) && peak["flops_per_s"].is_number())
        << p << " is recommended but " << entry["key"] << " lists " << entry["peaks"].dump();
}

} // namespace

TEST_F(original_client, preflight_and_every_field_the_page_reads) {
    start({"--original-client"});
    auto c = client();
    // The page's POST carries Content-Type: application/json, so the browser asks first.
    const auto pre = c.Options("/api/analyze", {{"Origin", page_origin},
                                                {"Access-Control-Request-Method", "POST"},
                                                {"Access-Control-Request-Headers", "content-type"}});
    ASSERT_TRUE(pre);
    EXPECT_EQ(pre->status, 204);
    const auto health = json::parse(c.Get("/api/health")->body);
    const bool gpu = health["backend"] == "gpu";
    if (!gpu) {
        std::printf("prediction-only server: measured points are checked with the fake worker below\n");
    }
    for (const auto& hw : page_hardware) {
        const auto entry = registry_entry(c, hw);
        for (const auto& precision : page_precisions) {
            const auto r = post_like_the_page(c, hw, false, 4096, 4096, 4096, precision);
            ASSERT_TRUE(r);
            ASSERT_EQ(r->status, 200) << hw << " " << precision << ": " << r->body;
            EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), page_origin);
            const auto a = json::parse(r->body);
            EXPECT_EQ(a["hardware"], entry["name"]) << "the page prints `hardware` as the GPU's name";
            EXPECT_TRUE(a["hardware_roofs"].is_object());
            ASSERT_TRUE(a["simulated"].is_array());
            ASSERT_TRUE(a["measured"].is_array());
            if (a["simulated"].empty()) {
                // A precision this GPU does not run: no point to plot, and the reason is given.
                ASSERT_EQ(a["not_simulated"].size(), 1U) << r->body;
                EXPECT_EQ(a["not_simulated"][0]["disposition"], "not_supported");
                EXPECT_FALSE(a["not_simulated"][0]["message"].get<std::string>().empty());
                EXPECT_TRUE(a["bottleneck"].is_null());
            } else {
                ASSERT_EQ(a["simulated"].size(), 1U);
                expect_page_point(a["simulated"][0], "simulated", "4096x4096x4096");
                EXPECT_EQ(a["simulated"][0]["precision"], precision);
                EXPECT_EQ(a["bottleneck"], a["simulated"][0]["bottleneck"]);
            }
            for (const auto& m : a["measured"]) {
                expect_page_point(m, "measured", "4096x4096x4096");
            }
            if (gpu) {
                EXPECT_EQ(a["measured"].size() + a["not_measured"].size(), 1U) << r->body;
            }
            expect_recommendation(a["recommendation"], entry);
        }
    }
}

TEST_F(original_client, precision_sweep_and_a_memory_bound_shape) {
    start({"--original-client"});
    auto c = client();
    const auto entry = registry_entry(c, "b200");
    // The flag ignores `precision`: FP16, FP8_E4M3, NVFP4, INT8, INT4.
    auto r = post_like_the_page(c, "b200", true, 4096, 4096, 4096, "FP16");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    auto a = json::parse(r->body);
    std::set<std::string> seen;
    for (const auto& p : a["simulated"]) {
        expect_page_point(p, "simulated", "4096x4096x4096");
        seen.insert(p["precision"].get<std::string>());
    }
    EXPECT_EQ(a["simulated"].size() + a["not_simulated"].size(), 5U);
    EXPECT_TRUE(seen.count("FP16") == 1 && seen.count("NVFP4") == 1) << r->body;
    expect_recommendation(a["recommendation"], entry);
    EXPECT_FALSE(a["recommendation"]["memory_bound"].get<bool>()) << "4096^3 is compute-bound on a B200";

    // Decode (M=1) is memory-bound: a narrower format saves bytes and the recommendation says by how much.
    r = post_like_the_page(c, "b200", false, 1, 4096, 4096, "FP16");
    ASSERT_TRUE(r && r->status == 200);
    a = json::parse(r->body);
    expect_page_point(a["simulated"][0], "simulated", "1x4096x4096");
    EXPECT_EQ(a["simulated"][0]["bottleneck"], "memory");
    const auto& rec = a["recommendation"];
    expect_recommendation(rec, entry);
    EXPECT_TRUE(rec["memory_bound"].get<bool>());
    // Over 2x in bytes, but the performance model's launch floor (a few us) sits under both times, so the
    // predicted speedup of this 1x4096x4096 GEMM is smaller than the bytes ratio.
    EXPECT_GT(rec["predicted_speedup"].get<double>(), 1.5);
    EXPECT_GT(rec["memory_savings_pct"].get<double>(), 50.0);
    EXPECT_NE(rec["precision"], "FP16");
}

TEST_F(original_client, measured_points_without_a_time_never_reach_the_plotted_list) {
    // The fake worker measures FP16 and fails FP8_E5M2 (then exits, as the real worker does after a sticky
    // CUDA error).
    start({"--original-client", "--worker-command", FAKE_WORKER});
    auto c = client();
    auto r = post_like_the_page(c, "h100", false, 4096, 4096, 4096, "FP16");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    auto a = json::parse(r->body);
    ASSERT_EQ(a["measured"].size(), 1U) << r->body;
    expect_page_point(a["measured"][0], "measured", "4096x4096x4096");
    // bytes moved per second, in GB/s
    const double bw =
        a["measured"][0]["bytes"].get<double>() / (a["measured"][0]["time_s"].get<double>() * 1e9);
    EXPECT_NEAR(a["measured"][0]["bandwidth_gb_s"].get<double>(), bw, bw * 1e-3);
    EXPECT_EQ(a["recommendation"]["basis"], "measured");

    r = post_like_the_page(c, "h100", false, 4096, 4096, 4096, "FP8_E5M2");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    a = json::parse(r->body);
    EXPECT_TRUE(a["measured"].empty()) << r->body;
    ASSERT_EQ(a["not_measured"].size(), 1U);
    EXPECT_EQ(a["not_measured"][0]["disposition"], "failed");
    EXPECT_FALSE(a["not_measured"][0]["message"].get<std::string>().empty());
    expect_page_point(a["simulated"][0], "simulated", "4096x4096x4096");
}

TEST_F(original_client, the_form_is_asked_for_and_our_contract_stays_strict) {
    start(); // no --original-client: our form unless the Accept profile asks
    auto c = client();
    const std::string body = R"({"M":4096,"N":4096,"K":4096,"precision":"FP16"})";
    auto r = c.Post("/api/analyze?hardware_key=b10&run_all_precisions=false", body, "application/json");
    ASSERT_TRUE(r && r->status == 200);
    auto a = json::parse(r->body);
    EXPECT_TRUE(a["hardware"].is_object());
    EXPECT_FALSE(a.contains("simulated"));

    r = c.Post("/api/analyze?hardware_key=b10", {{"Accept", "application/vnd.roofline.original+json"}}, body,
               "application/json");
    ASSERT_TRUE(r && r->status == 200);
    a = json::parse(r->body);
    EXPECT_TRUE(a["hardware"].is_string());
    EXPECT_EQ(a["simulated"].size(), 1U);

    // Unknown fields and parameters are refused in both forms.
    for (const httplib::Headers& h :
         {httplib::Headers{}, httplib::Headers{{"Accept", "application/vnd.roofline.original+json"}}}) {
        r = c.Post("/api/analyze?hardware_key=b10", h, R"({"M":1,"N":1,"K":1,"precison":"FP16"})",
                   "application/json");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 422) << r->body;
        EXPECT_EQ(json::parse(r->body)["error"]["field"], "precison");
        r = c.Post("/api/analyze?hardware_key=b10&simulate=1", h, body, "application/json");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 422) << r->body;
        EXPECT_EQ(json::parse(r->body)["error"]["field"], "simulate");
    }
    r = c.Get("/api/nvml/status?x=1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422);
}

TEST_F(original_client, nvml_status_without_nvml_is_503_with_the_reason) {
    start({"--original-client"});
    auto c = client();
    const auto health = json::parse(c.Get("/api/health")->body);
    auto r = c.Get("/api/nvml/status", {{"Origin", page_origin}});
    ASSERT_TRUE(r);
    if (health["nvml"]["available"].get<bool>()) {
        // A machine with the driver (the GPU machine): every field the page reads.
        ASSERT_EQ(r->status, 200) << r->body;
        const auto s = json::parse(r->body);
        EXPECT_FALSE(s["device_name"].get<std::string>().empty());
        for (const char* f : {"gpu_clock_mhz", "power_draw_w", "power_limit_w", "temperature_c",
                              "mem_used_mb", "mem_total_mb", "gpu_utilization_pct"}) {
            EXPECT_TRUE(s.contains(f)) << f;
        }
        return;
    }
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), page_origin);
    const auto e = json::parse(r->body);
    EXPECT_EQ(e["error"]["code"], "nvml_unavailable");
    EXPECT_NE(e["error"]["message"].get<std::string>().find("NVML not available"), std::string::npos);
    r = c.Get("/api/nvml/stream");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << "the stream refuses before it opens";
}
