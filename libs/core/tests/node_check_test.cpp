#include "roofline/core/node_check.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace roofline {
namespace {

// A healthy H200-like GPU: 1 PFLOP of work in `1/tflops` ms-ish units, at 1980 MHz, 650 of 700 W, 60 °C.
node_phase_result healthy_phase(double tflops) {
    node_phase_result p;
    p.ran = true;
    p.flops = 1e15;
    p.time_s = p.flops / (tflops * 1e12);
    p.sm_clock_mhz = 1980;
    p.sm_clock_max_mhz = 1980;
    p.power_w = 600;
    p.power_limit_w = 700;
    p.temperature_c = 60;
    return p;
}

std::vector<node_gpu> healthy_node(std::size_t n) {
    std::vector<node_gpu> gpus;
    for (std::size_t i = 0; i < n; ++i) {
        node_gpu g;
        g.index = static_cast<std::int64_t>(i);
        g.uuid = "GPU-" + std::to_string(i);
        // A little noise, as real GPUs have: well inside the 3% threshold.
        const double wobble = 1.0 + 0.002 * static_cast<double>(i % 3);
        g.alone = healthy_phase(700 * wobble);
        g.together = healthy_phase(690 * wobble);
        g.link = {5, 5, 16, 16};
        gpus.push_back(g);
    }
    return gpus;
}

const node_outlier* find(const node_report& r, std::int64_t index, const std::string& phase) {
    const auto it = std::find_if(r.outliers.begin(), r.outliers.end(),
                                 [&](const node_outlier& o) { return o.index == index && o.phase == phase; });
    return it == r.outliers.end() ? nullptr : &*it;
}

bool has(const node_outlier& o, const std::string& reason) {
    return std::find(o.reasons.begin(), o.reasons.end(), reason) != o.reasons.end();
}

TEST(node_check, healthy_node_has_no_outliers_and_a_small_spread) {
    const auto r = assess_node(healthy_node(8));
    EXPECT_TRUE(r.outliers.empty());
    ASSERT_TRUE(r.alone.spread_pct);
    EXPECT_LT(*r.alone.spread_pct, 1.0);
    EXPECT_EQ(r.alone.gpus, 8U);
    EXPECT_EQ(r.together.gpus, 8U);
}

TEST(node_check, five_percent_slow_gpu_with_a_low_clock_is_flagged_for_clock) {
    auto gpus = healthy_node(8);
    gpus[5].alone = healthy_phase(700 * 0.95);
    gpus[5].alone.sm_clock_mhz = 1980 * 0.95;
    const auto r = assess_node(gpus);
    const auto* o = find(r, 5, "alone");
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(has(*o, "clock"));
    EXPECT_FALSE(has(*o, "power cap"));
    ASSERT_TRUE(o->deficit_pct);
    EXPECT_NEAR(*o->deficit_pct, 5.0, 0.5);
    EXPECT_NE(o->message.find("GPU 5"), std::string::npos);
    EXPECT_NE(o->message.find("MHz"), std::string::npos);
    // Nobody else is blamed for GPU 5's slowness.
    EXPECT_EQ(r.outliers.size(), 1U);
}

TEST(node_check, slightly_slow_gpu_is_not_an_outlier) {
    auto gpus = healthy_node(4);
    gpus[2].alone = healthy_phase(700 * 0.985);
    const auto r = assess_node(gpus);
    EXPECT_EQ(find(r, 2, "alone"), nullptr);
}

TEST(node_check, lower_power_limit_is_power_cap) {
    auto gpus = healthy_node(4);
    gpus[1].alone = healthy_phase(650);
    gpus[1].alone.power_limit_w = 600;
    gpus[1].alone.power_w = 598;
    const auto r = assess_node(gpus);
    const auto* o = find(r, 1, "alone");
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(has(*o, "power cap"));
}

TEST(node_check, hot_gpu_is_thermal_and_throttle_reason_counts) {
    auto gpus = healthy_node(4);
    gpus[3].alone = healthy_phase(640);
    gpus[3].alone.temperature_c = 84;
    gpus[0].together = healthy_phase(600);
    gpus[0].together.throttle_reasons = {"thermal slowdown (hardware)"};
    const auto r = assess_node(gpus);
    const auto* hot = find(r, 3, "alone");
    ASSERT_NE(hot, nullptr);
    EXPECT_TRUE(has(*hot, "thermal"));
    const auto* throttled = find(r, 0, "together");
    ASSERT_NE(throttled, nullptr);
    EXPECT_TRUE(has(*throttled, "thermal"));
}

TEST(node_check, gpu_fine_alone_but_slow_together_is_a_shared_budget) {
    auto gpus = healthy_node(8);
    gpus[6].together = healthy_phase(690 * 0.9);
    const auto r = assess_node(gpus);
    EXPECT_EQ(find(r, 6, "alone"), nullptr);
    const auto* o = find(r, 6, "together");
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(has(*o, "shared budget"));
}

TEST(node_check, narrow_pcie_link_is_placement) {
    auto gpus = healthy_node(4);
    gpus[2].alone = healthy_phase(660);
    gpus[2].link.pcie_width = 8;
    const auto r = assess_node(gpus);
    const auto* o = find(r, 2, "alone");
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(has(*o, "placement"));
    EXPECT_NE(o->message.find("x8"), std::string::npos);
}

TEST(node_check, slow_gpu_with_nothing_to_blame_is_unexplained) {
    auto gpus = healthy_node(4);
    gpus[0].alone = healthy_phase(640);
    const auto r = assess_node(gpus);
    const auto* o = find(r, 0, "alone");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->reasons, std::vector<std::string>{"unexplained"});
}

TEST(node_check, failed_gpu_is_flagged_and_left_out_of_the_spread) {
    auto gpus = healthy_node(3);
    gpus[1].alone = {};
    gpus[1].alone.message = "the GPU worker died";
    const auto r = assess_node(gpus);
    EXPECT_EQ(r.alone.gpus, 2U);
    const auto* o = find(r, 1, "alone");
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(has(*o, "failed"));
    EXPECT_NE(o->message.find("worker died"), std::string::npos);
}

TEST(node_check, two_gpu_node_still_sees_the_slow_one) {
    auto gpus = healthy_node(2);
    gpus[1].alone = healthy_phase(600);
    gpus[1].alone.sm_clock_mhz = 1700;
    const auto r = assess_node(gpus);
    const auto* o = find(r, 1, "alone");
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(has(*o, "clock"));
    EXPECT_EQ(find(r, 0, "alone"), nullptr); // the fast one is not "above" anything
}

TEST(node_check, one_gpu_node_reports_without_outliers) {
    const auto r = assess_node(healthy_node(1));
    EXPECT_TRUE(r.outliers.empty());
    ASSERT_TRUE(r.alone.median_tflops);
    EXPECT_NEAR(*r.alone.median_tflops, 700, 1e-6);
    EXPECT_NEAR(*r.alone.spread_pct, 0, 1e-9);
}

TEST(node_check, phase_from_points_sums_passed_points_and_averages_telemetry) {
    analysis_point a;
    a.traffic.flops = static_cast<count_t>(2e12);
    a.time_s = 0.004;
    a.measured = measurement{};
    telemetry_summary t;
    t.available = true;
    t.sm_clock_mean_mhz = 1900;
    t.power_mean_w = 500;
    t.temperature_max_c = 55;
    t.throttle_reasons = {"power cap"};
    a.measured->telemetry = t;
    analysis_point b = a;
    b.measured->telemetry->sm_clock_mean_mhz = 1700;
    b.measured->telemetry->temperature_max_c = 65;
    analysis_point failed;
    failed.status = disposition::failed;
    failed.message = "hung";
    const auto r = phase_from_points({a, b, failed});
    EXPECT_TRUE(r.ran);
    EXPECT_NEAR(*r.tflops(), 4e12 / 0.008 / 1e12, 1e-9);
    EXPECT_NEAR(*r.sm_clock_mhz, 1800, 1e-9);
    EXPECT_NEAR(*r.temperature_c, 65, 1e-9);
    EXPECT_EQ(r.throttle_reasons, std::vector<std::string>{"power cap"});
    EXPECT_NE(r.message.find("hung"), std::string::npos);
}

TEST(node_check, json_names_the_gpu_identity) {
    auto gpus = healthy_node(2);
    gpus[0].serial = "1324000001";
    gpus[0].pci_bus_id = "00000000:19:00.0";
    const auto j = to_json(assess_node(gpus));
    EXPECT_EQ(j["gpus"][0]["serial"], "1324000001");
    EXPECT_EQ(j["gpus"][0]["pci_bus_id"], "00000000:19:00.0");
    EXPECT_TRUE(j["gpus"][0]["alone"]["tflops"].is_number());
    EXPECT_TRUE(j["outliers"].is_array());
}

} // namespace
} // namespace roofline
