#include "roofline/core/result.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

using namespace roofline;

TEST(roofline_model, compute_bound_large_gemm_on_h100) {
    const auto reg = hardware_registry::builtin();
    const auto& h = reg.at("h100-sxm");
    const auto p = make_problem(4096, 4096, 4096, precision_id::fp16);
    const auto pt = predict(h, p);
    ASSERT_TRUE(pt.roof);
    EXPECT_EQ(pt.roof->bound, bound_kind::compute);
    EXPECT_NEAR(pt.roof->roof.ridge_ai, 989.5e12 / 3.35e12, 1e-6);
    EXPECT_DOUBLE_EQ(pt.roof->attainable_flops_per_s, 989.5e12);
    EXPECT_NEAR(pt.roof->predicted_time_s, 137438953472.0 / 989.5e12, 1e-12);
    EXPECT_GE(pt.time_s, pt.roof->predicted_time_s); // the performance model never beats the roofline
    EXPECT_EQ(pt.status, disposition::passed);
}

TEST(roofline_model, decode_shape_is_memory_bound) {
    const auto reg = hardware_registry::builtin();
    const auto& h = reg.at("h100-sxm");
    const auto pt = predict(h, make_problem(1, 4096, 4096, precision_id::fp16));
    EXPECT_EQ(pt.roof->bound, bound_kind::memory);
    const double bytes = 8192 + 33554432 + 8192;
    EXPECT_NEAR(pt.roof->predicted_time_s, bytes / 3.35e12, 1e-15);
    EXPECT_GE(pt.time_s, pt.roof->predicted_time_s);
    EXPECT_NEAR(pt.roof->attainable_flops_per_s, pt.traffic.arithmetic_intensity() * 3.35e12, 1.0);
    const auto frac = fraction_of_roof(*pt.roof, pt.roof->attainable_flops_per_s / 2);
    ASSERT_TRUE(frac);
    EXPECT_NEAR(*frac, 0.5, 1e-12);
}

TEST(roofline_model, unsupported_precision_says_so) {
    const auto reg = hardware_registry::builtin();
    const auto pt = predict(reg.at("h100-sxm"), make_problem(4096, 4096, 4096, precision_id::nvfp4));
    EXPECT_EQ(pt.status, disposition::not_supported);
    EXPECT_EQ(pt.roof->bound, bound_kind::unsupported);
    EXPECT_EQ(pt.time_s, 0.0);
    EXPECT_NE(pt.message.find("NVFP4"), std::string::npos);
    EXPECT_NE(pt.message.find("Blackwell"), std::string::npos);
    EXPECT_FALSE(fraction_of_roof(*pt.roof, 1e12));
}

TEST(roofline_model, mixed_precision_runs_at_the_wider_input) {
    const auto p = make_problem(16, 4096, 4096, precision_id::fp16, precision_id::fp16, precision_id::int4);
    EXPECT_EQ(compute_precision(p), precision_id::fp16);
    const auto reg = hardware_registry::builtin();
    const auto pt = predict(reg.at("h100-sxm"), p); // INT4 alone is unsupported on H100, W4A16 is not
    EXPECT_EQ(pt.status, disposition::passed);
}

TEST(timing_stats, summarize) {
    const auto t = summarize({3.0, 1.0, 2.0, 4.0}, timing_mode::cold, true);
    EXPECT_EQ(t.samples, 4U);
    EXPECT_DOUBLE_EQ(t.median_s, 2.5);
    EXPECT_DOUBLE_EQ(t.min_s, 1.0);
    EXPECT_DOUBLE_EQ(t.max_s, 4.0);
    EXPECT_DOUBLE_EQ(t.mean_s, 2.5);
    EXPECT_NEAR(t.stdev_s, 1.2909944, 1e-6);
    EXPECT_EQ(t.sample_s.size(), 4U);
    EXPECT_TRUE(summarize({1.0}, timing_mode::hot, false).sample_s.empty());
}

TEST(timing_stats, pacing_names_round_trip_and_bad_names_are_refused) {
    for (const auto p : {sample_pacing::paced, sample_pacing::continuous}) {
        EXPECT_EQ(parse_sample_pacing(to_string(p)), p);
    }
    EXPECT_THROW((void)parse_sample_pacing("gentle"), std::invalid_argument);
}
