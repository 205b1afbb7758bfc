// The performance model: no predicted point above a roof on any registry GPU, the launch floor, clocks,
// intervals and the calibrated flag, prediction_error on measured points.
#include "roofline/core/perf_model.hpp"
#include "roofline/core/report.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace roofline;

namespace {

std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> shape_grid() {
    std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> out;
    for (const std::int64_t m : {1, 7, 16, 128, 1000, 4096, 16384}) {
        for (const std::int64_t n : {1, 64, 4096, 12288}) {
            for (const std::int64_t k : {1, 64, 4096, 65536}) {
                out.emplace_back(m, n, k);
            }
        }
    }
    out.emplace_back(2147483647, 2147483647, 2147483647);
    return out;
}

} // namespace

// Issue 12: FP8 4096^3 on GB10 was predicted at 559 TFLOP/s, above its only compute roof (NVFP4, 500).
TEST(perf_model, no_predicted_point_above_any_roof_on_any_registry_gpu) {
    const auto reg = hardware_registry::builtin();
    std::size_t checked = 0;
    for (const auto& hw : reg.entries()) {
        const double fastest = fastest_roof(hw);
        for (const auto& pk : hw.peaks) {
            for (const auto& [m, n, k] : shape_grid()) {
                for (const auto pacing : {sample_pacing::paced, sample_pacing::continuous}) {
                    const auto pt =
                        predict(hw, make_problem(m, n, k, pk.precision), pacing, perf_model::builtin());
                    if (pt.status != disposition::passed) {
                        EXPECT_EQ(pt.time_s, 0.0);
                        continue;
                    }
                    SCOPED_TRACE(hw.key + " " + pt.label());
                    ASSERT_GT(pt.time_s, 0.0);
                    const double rate = pt.flops_per_s();
                    const double slack = 1.0 + 1e-9;
                    EXPECT_LE(rate, pt.roof->memory_roof_flops_per_s * slack);
                    if (pt.roof->roof.available) {
                        EXPECT_LE(rate, pt.roof->roof.peak_flops_per_s * slack);
                    }
                    if (fastest > 0) {
                        EXPECT_LE(rate, fastest * slack);
                    }
                    EXPECT_LE(pt.prediction->low_s, pt.time_s);
                    EXPECT_GE(pt.prediction->high_s, pt.time_s);
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 5000U);
}

// Issue 12: 1x1x1 was predicted at 0.00 us (1.12 TFLOP/s).
TEST(perf_model, one_by_one_by_one_pays_the_launch_floor) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h200");
    const auto pt = predict(hw, make_problem(1, 1, 1, precision_id::fp16));
    EXPECT_GE(pt.time_s, 1e-6);
    EXPECT_LT(pt.flops_per_s(), 1e7);
    const auto j = to_json(pt);
    EXPECT_GE(j["time_us"].get<double>(), 1.0);
    EXPECT_EQ(j["prediction"]["terms"]["floor_s"].get<double>(), pt.prediction->terms.floor_s);
    EXPECT_GT(pt.prediction->terms.floor_s, 0.0);
}

// Issue 12: the GB10's FP16, FP8 and INT8 had no roof at all; now each is derived from the published NVFP4
// figure by Blackwell's documented ratio, and says so.
TEST(perf_model, gb10_sweep_is_bounded_with_sources) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("b10");
    for (const auto p : default_sweep()) {
        const auto pt = predict(hw, make_problem(4096, 4096, 4096, p));
        SCOPED_TRACE(pt.label());
        if (p == precision_id::int4) {
            EXPECT_EQ(pt.status, disposition::not_supported);
            continue;
        }
        ASSERT_TRUE(pt.roof->roof.available) << pt.roof->roof.reason;
        EXPECT_LE(pt.flops_per_s(), 500e12);
        if (p != precision_id::nvfp4) {
            EXPECT_NE(hw.peak(p).derivation.find("NVFP4"), std::string::npos);
        }
    }
    EXPECT_EQ(*hw.peak(precision_id::fp8_e4m3).flops_per_s, 250e12);
}

// A pair with no roof gets no attainable rate, says so, and is still kept under the GPU's fastest roof.
TEST(perf_model, pair_without_a_roof_has_no_attainable_rate) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h20"); // FP64 not reported
    ASSERT_FALSE(hw.peak(precision_id::fp64).flops_per_s);
    const auto pt = predict(hw, make_problem(8192, 8192, 8192, precision_id::fp64));
    EXPECT_EQ(pt.roof->bound, bound_kind::unknown);
    const auto j = to_json(pt);
    EXPECT_TRUE(j["roof"]["attainable_tflops"].is_null());
    EXPECT_TRUE(j["roof"]["fraction_of_roof"].is_null());
    EXPECT_NE(pt.message.find("no compute roof"), std::string::npos) << pt.message;
    EXPECT_LE(pt.flops_per_s(), fastest_roof(hw) * (1 + 1e-9));
}

TEST(perf_model, paced_points_assume_the_boost_clock_and_report_both_fractions) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h100-sxm");
    const auto pt = predict(hw, make_problem(8192, 8192, 8192, precision_id::bf16));
    ASSERT_TRUE(pt.prediction);
    EXPECT_EQ(*pt.prediction->clock_mhz, 1980.0);
    EXPECT_EQ(*pt.prediction->roof_clock_mhz, 1830.0);
    const auto j = to_json(pt);
    EXPECT_EQ(j["pacing"], "paced");
    EXPECT_EQ(j["clock_mhz"].get<double>(), 1980.0);
    const double f = j["roof"]["fraction_of_roof"].get<double>();
    const double fc = j["roof"]["fraction_of_roof_at_run_clock"].get<double>();
    EXPECT_LT(f, 1.0); // a prediction is no longer "100% of roof"
    EXPECT_NEAR(f / fc, 1980.0 / 1830.0, 1e-4);
    const auto cont = predict(hw, make_problem(8192, 8192, 8192, precision_id::bf16),
                              sample_pacing::continuous, perf_model::builtin());
    EXPECT_GT(cont.time_s, pt.time_s * 1.05);
}

TEST(perf_model, uncalibrated_gpus_get_a_wider_interval_and_say_so) {
    const auto reg = hardware_registry::builtin();
    const auto pt = predict(reg.at("l4"), make_problem(4096, 4096, 4096, precision_id::fp16));
    ASSERT_TRUE(pt.prediction);
    EXPECT_FALSE(pt.prediction->calibrated);
    EXPECT_NE(pt.prediction->basis.find("uncalibrated"), std::string::npos);
    EXPECT_GT(pt.prediction->high_s / pt.prediction->low_s, 1.5);
    const auto j = to_json(pt);
    EXPECT_FALSE(j["prediction"]["calibrated"].get<bool>());
    EXPECT_TRUE(j["prediction"].contains("interval_low_s"));
}

TEST(perf_model, measured_points_carry_prediction_error_in_json_csv_and_table) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h100-sxm");
    analysis_point pt;
    pt.problem = make_problem(4096, 4096, 4096, precision_id::fp16);
    pt.traffic = compute_traffic(pt.problem);
    pt.source = point_source::measured;
    measurement m;
    m.timing = summarize({200e-6, 200e-6, 200e-6}, timing_mode::cold, false);
    m.timing.pacing = sample_pacing::paced;
    m.telemetry = telemetry_summary{};
    m.telemetry->available = true;
    m.telemetry->sm_clock_mean_mhz = 1980.0;
    pt.measured = m;
    pt.time_s = 200e-6;
    complete_point(pt, hw);
    ASSERT_TRUE(pt.prediction);
    const auto err = pt.prediction_error();
    ASSERT_TRUE(err);
    EXPECT_NEAR(*err, 200e-6 / pt.prediction->time_s, 1e-12);
    const auto j = to_json(pt);
    EXPECT_NEAR(j["prediction_error"].get<double>(), *err, 1e-5);
    EXPECT_EQ(j["clock_mhz"].get<double>(), 1980.0);
    const auto csv = points_csv({pt});
    EXPECT_NE(csv.find("prediction_error"), std::string::npos);
    EXPECT_NE(csv.find(",paced,1980.0,"), std::string::npos) << csv;
    const auto table = points_table(hw, {pt});
    EXPECT_NE(table.find("meas/pred"), std::string::npos);
    EXPECT_NE(table.find("1980"), std::string::npos);
}

TEST(perf_model, wave_quantisation_shows_in_the_terms) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h100-sxm");
    // 132 SMs: an output of 133 tiles of 128x256 needs two waves, 132 tiles one.
    const auto one = predict(hw, make_problem(128 * 12, 256 * 11, 8192, precision_id::fp16));
    const auto more = predict(hw, make_problem(128 * 12 + 64, 256 * 11, 8192, precision_id::fp16));
    EXPECT_GT(more.time_s, one.time_s * 1.03);
    EXPECT_GE(one.prediction->terms.waves, 1);
}

// Misaligned operands (K x input size not a 16-byte multiple) are loaded in the widest vector the rows allow:
// one element at an odd K, eight INT8 elements at K = 1000, and a full 16-byte vector when aligned.
TEST(perf_model, misaligned_loads_move_the_widest_vector_the_rows_allow) {
    EXPECT_EQ(elements_per_misaligned_load(make_problem(4095, 4097, 4093, precision_id::fp16)), 1.0);
    EXPECT_EQ(elements_per_misaligned_load(make_problem(4095, 4097, 4093, precision_id::tf32)), 1.0);
    EXPECT_EQ(elements_per_misaligned_load(make_problem(100, 100, 100, precision_id::fp16)), 4.0);
    EXPECT_EQ(elements_per_misaligned_load(make_problem(1000, 1000, 1000, precision_id::int8)), 8.0);
    EXPECT_EQ(elements_per_misaligned_load(make_problem(64, 64, 4096, precision_id::fp16)), 8.0);
    EXPECT_TRUE(operands_misaligned(make_problem(4095, 4097, 4093, precision_id::fp16)));
    // D's leading dimension alone (M = 2 in FP16) leaves the operands aligned.
    EXPECT_TRUE(misaligned(make_problem(2, 4096, 4096, precision_id::fp16)));
    EXPECT_FALSE(operands_misaligned(make_problem(2, 4096, 4096, precision_id::fp16)));
}

// Issue 12 (TF32 p90): the fallback kernels' loads cost instructions, not bytes, so TF32, at half FP16's
// tensor peak, runs on a misaligned shape at ~0.78x FP16's speed on the H200 (4095x4097x4093: 1012 vs 783
// us), not 0.5x as one alignment factor on each precision's peak made it (the model had TF32 1.7x too slow
// there).
TEST(perf_model, misaligned_tf32_is_not_twice_as_slow_as_fp16) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h200");
    const auto time = [&](precision_id p) {
        return predict(hw, make_problem(4095, 4097, 4093, p), sample_pacing::paced, perf_model::builtin())
            .time_s;
    };
    const double ratio = time(precision_id::tf32) / time(precision_id::fp16);
    EXPECT_GT(ratio, 1.1);
    EXPECT_LT(ratio, 1.7); // measured 1.29; aligned 4096^3 the ratio is ~2 (the tensor peaks)
    const auto aligned = [&](precision_id p) {
        return predict(hw, make_problem(4096, 4096, 4096, p), sample_pacing::paced, perf_model::builtin())
            .time_s;
    };
    EXPECT_GT(aligned(precision_id::tf32) / aligned(precision_id::fp16), 1.8);
}
