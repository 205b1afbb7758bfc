// The compute-roof search against a fake engine: no GPU and no CUDA needed, so it runs in every build.
#include "roofline/ceilings/compute.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <map>

using namespace roofline;
using namespace roofline::ceilings;

namespace {

// Runs every GEMM at a fixed rate per precision, except the larger shapes, which run 10% faster; precisions
// in `unsupported` answer not_supported. Records what it was asked.
class fake_backend final : public gemm_backend {
  public:
    std::map<precision_id, double> rate;
    std::vector<precision_id> unsupported;
    std::vector<std::pair<gemm_problem, measure_options>> calls;

    [[nodiscard]] device_identity device() const override { return {}; }
    [[nodiscard]] analysis_point measure(const gemm_problem& p, const measure_options& o) override {
        calls.emplace_back(p, o);
        analysis_point pt;
        pt.problem = p;
        pt.traffic = compute_traffic(p);
        pt.source = point_source::measured;
        if (std::ranges::find(unsupported, p.a) != unsupported.end()) {
            pt.status = disposition::not_supported;
            pt.message = "no such tensor cores";
            return pt;
        }
        const double r = rate.at(p.a) * (p.m * p.n >= 8192LL * 8192 ? 1.1 : 1.0);
        pt.time_s = to_double(pt.traffic.flops) / r;
        measurement m;
        m.algorithm = "fake algo for " + p.shape_label();
        m.timing.samples = o.samples;
        m.timing.mean_s = pt.time_s;
        m.timing.median_s = pt.time_s;
        if (o.probe != nullptr) {
            telemetry_summary t;
            t.available = true;
            t.sm_clock_mean_mhz = 1700;
            m.telemetry = t;
        }
        pt.measured = m;
        return pt;
    }
};

class null_probe final : public measurement_probe {
  public:
    void begin() override {}
    [[nodiscard]] telemetry_summary end(const probe_counts&) override { return {}; }
};

} // namespace

TEST(search_compute, picks_the_best_shape_then_sustains_it) {
    fake_backend be;
    be.rate[precision_id::bf16] = 700e12;
    null_probe probe;
    compute_search_options o;
    o.precisions = {precision_id::bf16};
    o.shapes = {{4096, 4096, 4096}, {8192, 8192, 8192}};
    o.sustain_seconds = 2.0;
    o.rest_seconds = 0.0;
    o.probe = &probe;
    std::vector<std::string> lines;
    o.progress = [&](const std::string& l) { lines.push_back(l); };
    const auto out = search_compute(be, o);
    ASSERT_EQ(out.size(), 1U);
    const auto& c = out[0];
    EXPECT_EQ(c.status, disposition::passed);
    EXPECT_EQ(c.attempts.size(), 2U);
    EXPECT_NEAR(c.burst_flops_per_s, 770e12, 1e3);
    ASSERT_TRUE(c.best_problem);
    EXPECT_EQ(c.best_problem->m, 8192);
    EXPECT_EQ(c.algorithm, "fake algo for 8192x8192x8192");
    // Burst runs are hot, verified, without the probe; the sustained run is one fixed-length stretch with it.
    ASSERT_EQ(be.calls.size(), 3U);
    EXPECT_EQ(be.calls[0].second.mode, timing_mode::hot);
    EXPECT_TRUE(be.calls[0].second.verify);
    EXPECT_EQ(be.calls[0].second.probe, nullptr);
    EXPECT_EQ(be.calls[0].second.pacing, sample_pacing::paced);
    const auto& s = be.calls[2].second;
    EXPECT_EQ(s.pacing, sample_pacing::continuous);
    EXPECT_EQ(be.calls[2].first.m, 8192);
    EXPECT_EQ(s.probe, &probe);
    EXPECT_EQ(s.target_relative_spread, 0.0);
    EXPECT_EQ(s.min_samples, s.samples);
    EXPECT_EQ(s.max_samples, s.samples);
    const double per = 2.0 * 8192.0 * 8192 * 8192 / 770e12;
    EXPECT_NEAR(static_cast<double>(s.samples), std::ceil(2.0 / per), 1.0);
    ASSERT_TRUE(c.sustained_flops_per_s);
    EXPECT_NEAR(c.sustained_seconds, 2.0, 0.01);
    ASSERT_TRUE(c.sustained_telemetry);
    EXPECT_EQ(*c.sustained_telemetry->sm_clock_mean_mhz, 1700);
    EXPECT_EQ(lines.size(), 3U);
}

TEST(search_compute, unsupported_precisions_stop_at_the_first_shape) {
    fake_backend be;
    be.rate[precision_id::fp16] = 600e12;
    be.unsupported = {precision_id::int4};
    compute_search_options o;
    o.precisions = {precision_id::int4, precision_id::fp16};
    o.shapes = {{4096, 4096, 4096}, {8192, 8192, 8192}};
    o.sustain_seconds = 0;
    o.rest_seconds = 0;
    const auto out = search_compute(be, o);
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].status, disposition::not_supported);
    EXPECT_EQ(out[0].message, "no such tensor cores");
    EXPECT_EQ(out[0].attempts.size(), 1U);
    EXPECT_EQ(out[1].status, disposition::passed);
    EXPECT_FALSE(out[1].sustained_flops_per_s);
    EXPECT_EQ(be.calls.size(), 3U); // one INT4 attempt, two FP16 shapes, no sustained run
}

TEST(search_compute, slow_precisions_skip_the_big_shapes) {
    const auto reg = hardware_registry::builtin();
    fake_backend be;
    be.rate[precision_id::fp64] = 50e12;
    compute_search_options o;
    o.precisions = {precision_id::fp64};
    o.shapes = {{16384, 16384, 4096}, {4096, 4096, 4096}, {8192, 8192, 8192}};
    o.datasheet = &reg.at("h100-sxm"); // FP64 67 TFLOP/s: only 4096³ (2 ms) fits under 5 ms
    o.sustain_seconds = 0;
    o.rest_seconds = 0;
    const auto out = search_compute(be, o);
    ASSERT_EQ(be.calls.size(), 1U);
    EXPECT_EQ(be.calls[0].first.m, 4096);
    EXPECT_NE(out[0].message.find("2 larger shapes skipped"), std::string::npos) << out[0].message;
}

TEST(search_compute, burst_is_retimed_after_a_rest_with_the_cached_algorithm) {
    fake_backend be;
    be.rate[precision_id::fp8_e4m3] = 1200e12;
    compute_search_options o;
    o.precisions = {precision_id::fp8_e4m3};
    o.shapes = {{4096, 4096, 4096}};
    o.sustain_seconds = 0;
    o.rest_seconds = 0.001;
    const auto out = search_compute(be, o);
    ASSERT_EQ(be.calls.size(), 2U); // the searching run, then the rested one
    EXPECT_EQ(be.calls[0].first.m, be.calls[1].first.m);
    EXPECT_TRUE(be.calls[1].second.use_algorithm_cache);
    EXPECT_EQ(out[0].status, disposition::passed);
}

TEST(default_search_shapes, holds_mamf_finders_h100_best) {
    const auto s = default_search_shapes();
    EXPECT_NE(std::ranges::find(s, shape{6144, 17920, 2816}), s.end());
}
