// The original client's layer (compat_handlers.cpp) on its own: /api/nvml/status from a fake telemetry
// source, with and without NVML, and the recommendation against the registry.
#include "api.hpp"
#include "compat_handlers.hpp"
#include "roofline/core/hardware.hpp"

#include <gtest/gtest.h>

using json = nlohmann::json;
using namespace roofline;
using namespace roofline::server;

namespace {

class fake_telemetry final : public telemetry_source {
  public:
    bool nvml = true;
    [[nodiscard]] bool available() const override { return nvml; }
    [[nodiscard]] std::string unavailable_reason() const override { return "NVML not available: fake"; }
    [[nodiscard]] json sample() override { return json::object(); }
    [[nodiscard]] gpu_status status_now() override {
        if (!nvml) {
            throw api_error(503, "nvml_unavailable", unavailable_reason());
        }
        gpu_status s;
        s.device_name = "NVIDIA H200";
        s.sm_clock_mhz = 1980;
        s.power_w = 312.5;
        s.power_limit_w = 700;
        s.temperature_c = 41;
        s.memory_used_bytes = 1024.0 * 1024 * 1024; // 1 GiB
        s.memory_total_bytes = 143771.0 * 1024 * 1024;
        s.utilization_pct = 87;
        return s;
    }
};

} // namespace

TEST(original_client_nvml, status_carries_every_field_the_page_reads) {
    fake_telemetry t;
    const auto j = compat::nvml_status_json(t.status_now());
    EXPECT_EQ(j["device_name"], "NVIDIA H200");
    EXPECT_EQ(j["gpu_clock_mhz"], 1980.0);
    EXPECT_EQ(j["power_draw_w"], 312.5);
    EXPECT_EQ(j["power_limit_w"], 700.0);
    EXPECT_EQ(j["temperature_c"], 41.0);
    EXPECT_EQ(j["mem_used_mb"], 1024.0);
    EXPECT_EQ(j["mem_total_mb"], 143771.0);
    EXPECT_EQ(j["gpu_utilization_pct"], 87.0);
}

TEST(original_client_nvml, absent_readings_are_null_not_zero) {
    gpu_status s;
    s.device_name = "GB10"; // NVML reports no memory clock or memory size on a GB10
    s.sm_clock_mhz = 2400;
    const auto j = compat::nvml_status_json(s);
    EXPECT_TRUE(j["mem_total_mb"].is_null());
    EXPECT_TRUE(j["power_limit_w"].is_null());
    EXPECT_EQ(j["gpu_clock_mhz"], 2400.0);
}

TEST(original_client_nvml, without_nvml_the_answer_is_503_with_the_reason) {
    fake_telemetry t;
    t.nvml = false;
    try {
        (void)t.status_now();
        FAIL() << "no exception";
    } catch (const api_error& e) {
        const auto r = error_response(e);
        EXPECT_EQ(r.status, 503);
        const auto j = json::parse(r.body);
        EXPECT_EQ(j["error"]["code"], "nvml_unavailable");
        EXPECT_EQ(j["error"]["message"], "NVML not available: fake");
    }
}

TEST(original_client_recommendation, only_precisions_the_gpu_runs) {
    const auto registry = hardware_registry::builtin();
    analyze_request r;
    r.m = 1;
    r.n = 8192;
    r.k = 8192;
    // An H100 has no FP4 tensor cores: decode at M=1 is memory-bound, and the narrowest format it runs wins.
    const auto& h100 = registry.at("h100-sxm");
    auto rec = compat::recommendation(h100, r, {});
    ASSERT_TRUE(rec.is_object());
    EXPECT_NE(rec["precision"], "NVFP4");
    EXPECT_TRUE(rec["memory_bound"].get<bool>());
    EXPECT_GT(rec["predicted_speedup"].get<double>(), 1.5);
    EXPECT_EQ(rec["basis"], "model");
    // A B200 at M=1: 4-bit weights win. On bytes alone weight-only INT4 (75% fewer) is just ahead of NVFP4
    // (its scales cost half a bit per element), but the performance model runs W4A16's M=1 tiles on the FP16
    // tensor cores at a small tile's efficiency, which can put NVFP4 first: either is a right answer here.
    rec = compat::recommendation(registry.at("b200"), r, {});
    EXPECT_TRUE(rec["precision"] == "FP16xINT4->FP16" || rec["precision"] == "NVFP4") << rec.dump();
    EXPECT_GT(rec["memory_savings_pct"].get<double>(), 70.0);
    EXPECT_NE(rec["reason"].get<std::string>().find("memory-bound"), std::string::npos);
    // Compute-bound (4096^3): the fastest tensor cores win, and a B200 has native FP4 ones.
    r.m = r.n = r.k = 4096;
    rec = compat::recommendation(registry.at("b200"), r, {});
    EXPECT_EQ(rec["precision"], "NVFP4") << rec.dump();
    EXPECT_EQ(rec["method"], "native FP4 tensor cores (NVFP4, block-scaled)");
    EXPECT_FALSE(rec["memory_bound"].get<bool>());
    EXPECT_GT(rec["predicted_speedup"].get<double>(), 2.0);
}
