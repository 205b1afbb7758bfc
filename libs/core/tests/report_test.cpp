#include "roofline/core/report.hpp"

#include <gtest/gtest.h>

using namespace roofline;

TEST(report, point_json_has_the_seed_fields) {
    const auto reg = hardware_registry::builtin();
    const auto pt = predict(reg.at("h100-sxm"), make_problem(4096, 4096, 4096, precision_id::fp8_e4m3));
    const auto j = to_json(pt);
    for (const char* f : {"precision", "flops", "bytes", "ai", "tflops", "time_us", "bound", "source",
                          "label", "disposition", "message", "colour", "roof"}) {
        EXPECT_TRUE(j.contains(f)) << f;
    }
    EXPECT_EQ(j["precision"], "FP8_E4M3");
    EXPECT_EQ(j["source"], "predicted");
    EXPECT_EQ(j["ai"].get<double>(), 2048.0);
    EXPECT_EQ(j["flops"].get<std::uint64_t>(), 137438953472ULL);
    EXPECT_EQ(j["label"], "4096x4096x4096 [FP8_E4M3] (predicted)");
    EXPECT_EQ(j["colour"], "#22c55e");
}

TEST(report, huge_counts_become_doubles) {
    EXPECT_TRUE(count_json(count_t{1} << 70).is_number_float());
    EXPECT_TRUE(count_json(count_t{1} << 40).is_number_unsigned());
}

TEST(report, point_round_trips_through_json) {
    const auto reg = hardware_registry::builtin();
    auto pt = predict(reg.at("h100-sxm"), make_problem(128, 256, 512, precision_id::int8));
    pt.source = point_source::measured;
    measurement m;
    m.timing = summarize({1e-5, 2e-5, 3e-5}, timing_mode::hot, true);
    m.timing.pacing = sample_pacing::continuous;
    m.algorithm = "algo 7";
    m.layout = "TN";
    m.error = accuracy{0.0, 0.0, 0.0, 100, "int64 host"};
    m.device.name = "NVIDIA H100 80GB HBM3";
    m.telemetry = telemetry_summary{};
    m.telemetry->available = true;
    m.telemetry->power_mean_w = 500.0;
    m.telemetry->throttle_reasons = {"power cap"};
    pt.measured = m;
    pt.time_s = m.timing.median_s;
    const auto back = point_from_json(to_json(pt));
    EXPECT_EQ(back.problem.m, 128);
    EXPECT_EQ(back.problem.a, precision_id::int8);
    EXPECT_EQ(back.problem.out, precision_id::int32);
    EXPECT_EQ(back.source, point_source::measured);
    ASSERT_TRUE(back.measured);
    EXPECT_EQ(back.measured->layout, "TN");
    EXPECT_EQ(back.measured->timing.sample_s.size(), 3U);
    EXPECT_EQ(back.measured->timing.pacing, sample_pacing::continuous);
    EXPECT_DOUBLE_EQ(back.time_s, 2e-5);
    ASSERT_TRUE(back.measured->telemetry);
    EXPECT_EQ(*back.measured->telemetry->power_mean_w, 500.0);
    EXPECT_EQ(back.measured->telemetry->throttle_reasons.at(0), "power cap");
    // The roof is derived from the hardware entry, not carried: compare everything else.
    auto a = to_json(back);
    auto b = to_json(pt);
    for (auto* j : {&a, &b}) {
        j->erase("roof");
        j->erase("bound");
    }
    EXPECT_EQ(a, b);
}

TEST(report, csv_has_header_and_one_row_per_point) {
    const auto reg = hardware_registry::builtin();
    const auto& h = reg.at("b10");
    const std::vector<analysis_point> pts{predict(h, make_problem(1, 2, 3, precision_id::fp16)),
                                          predict(h, make_problem(1, 2, 3, precision_id::int8))};
    const auto csv = points_csv(pts);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
    EXPECT_EQ(csv.rfind("label,precision,", 0), 0U);
}
