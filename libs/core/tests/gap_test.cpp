#include "roofline/core/gap.hpp"
#include "roofline/core/roofline_model.hpp"

#include <gtest/gtest.h>

using namespace roofline;

namespace {

const hardware_entry& h100() {
    static const auto reg = hardware_registry::builtin();
    return reg.at("h100-sxm");
}

// A measured point of `p` that took `time_s`, run with `algorithm`, with telemetry when given.
analysis_point measured_point(const gemm_problem& p, double time_s, std::string algorithm = "",
                              std::optional<telemetry_summary> t = std::nullopt) {
    auto pt = predict(h100(), p);
    pt.source = point_source::measured;
    pt.time_s = time_s;
    measurement m;
    m.algorithm = std::move(algorithm);
    m.device.sm_count = 132;
    m.telemetry = std::move(t);
    pt.measured = m;
    return pt;
}

telemetry_summary running_at(double mean_mhz) {
    telemetry_summary t;
    t.available = true;
    t.samples = 100;
    t.sample_rate_hz = 200;
    t.sm_clock_mean_mhz = mean_mhz;
    t.sm_clock_min_mhz = mean_mhz - 30;
    t.sm_clock_max_mhz = 1980;
    t.power_mean_w = 690;
    t.power_limit_w = 700;
    return t;
}

const gap_reason* find(const gap_analysis& g, gap_kind k) {
    for (const auto& r : g.reasons) {
        if (r.kind == k) {
            return &r;
        }
    }
    return nullptr;
}

} // namespace

TEST(parse_tile, reads_the_engines_algorithm_text) {
    const auto t =
        parse_tile("cuBLASLt algo 66, tile 256x128, stages 64xAUTO, cluster 2x1x1, split-K 1, swizzle 0");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->m, 256);
    EXPECT_EQ(t->n, 128);
    EXPECT_EQ(t->split_k, 1);
    const auto s = parse_tile("tile 128x64, split-K 4");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->split_k, 4);
    EXPECT_EQ(parse_tile("TILE_64x32")->m, 64);
    EXPECT_FALSE(parse_tile("cuBLASLt algo 21, tile UNDEFINED, stages 64xAUTO"));
    EXPECT_FALSE(parse_tile(""));
    EXPECT_FALSE(parse_tile("tile 128"));
}

TEST(datasheet_roof_clock, read_from_the_registry_derivation) {
    const auto reg = hardware_registry::builtin();
    EXPECT_DOUBLE_EQ(*datasheet_roof_clock_mhz(reg.at("h100-sxm")), 1830.0); // boost 1980; peaks at 1.83 GHz
    EXPECT_DOUBLE_EQ(*datasheet_roof_clock_mhz(reg.at("h200")), 1830.0); // no boost figure, the note has it
    EXPECT_DOUBLE_EQ(*datasheet_roof_clock_mhz(reg.at("a100-sxm")), 1410.0);
    hardware_entry bare;
    EXPECT_FALSE(datasheet_roof_clock_mhz(bare));
    bare.boost_clock_hz.value = 2.1e9;
    bare.boost_clock_hz.note =
        "125 FP32 TFLOPS / (24,064 x 2) implies ~2.6 GHz"; // not a derivation at a clock
    EXPECT_DOUBLE_EQ(*datasheet_roof_clock_mhz(bare), 2100.0);
}

TEST(analyze_gap, compute_bound_gap_splits_into_clock_waves_and_the_rest) {
    // 3072² output in 256x128 tiles: 12 x 24 = 288 tiles on 132 SMs = 3 waves, the last 24/132 full.
    const auto p = make_problem(3072, 3072, 8192, precision_id::fp16);
    const double flops = 2.0 * 3072 * 3072 * 8192;
    const double rate = 500e12;
    const auto pt =
        measured_point(p, flops / rate, "cuBLASLt algo 66, tile 256x128, split-K 1", running_at(1464));
    const auto g = analyze_gap(pt, h100());
    ASSERT_TRUE(g.applicable);
    EXPECT_NEAR(g.measured_flops_per_s, rate, 1e6);
    EXPECT_NEAR(*g.fraction_of_roof, 500.0 / 989.5, 1e-9);

    const auto* clock = find(g, gap_kind::clock);
    ASSERT_NE(clock, nullptr);
    EXPECT_NEAR(*clock->roof_fraction, 0.8, 1e-12); // 1464 of the 1830 MHz the 989.5 TFLOP/s assume
    EXPECT_NE(clock->message.find("1464 MHz"), std::string::npos) << clock->message;
    EXPECT_NE(clock->message.find("1830 MHz clock the datasheet roof assumes"), std::string::npos)
        << clock->message;
    EXPECT_NE(clock->message.find("792 TFLOP/s"), std::string::npos) << clock->message; // 989.5 x 0.8
    EXPECT_NEAR(*g.roof_at_clock_flops_per_s, 989.5e12 * 0.8, 1e6);
    EXPECT_NEAR(*g.fraction_of_roof_at_clock, 500.0 / (989.5 * 0.8), 1e-9);

    const auto* waves = find(g, gap_kind::wave_quantization);
    ASSERT_NE(waves, nullptr);
    EXPECT_NEAR(*waves->roof_fraction, 288.0 / 396.0, 1e-12);
    EXPECT_NE(waves->message.find("288 tiles for 132 SMs"), std::string::npos) << waves->message;
    EXPECT_NE(waves->message.find("24 of 132"), std::string::npos) << waves->message;

    const auto* rest = find(g, gap_kind::remaining);
    ASSERT_NE(rest, nullptr);
    EXPECT_NEAR(*rest->roof_fraction, (500.0 / 989.5) / (0.8 * 288.0 / 396.0), 1e-9);
    EXPECT_EQ(find(g, gap_kind::memory_roof), nullptr);
    EXPECT_EQ(find(g, gap_kind::launch_overhead), nullptr);
    EXPECT_FALSE(gap_lines(g).empty());
}

TEST(analyze_gap, full_waves_and_full_clock_leave_only_the_kernel) {
    // 3072x1408 in 256x128 tiles: 12 x 11 = 132 tiles, exactly one wave on 132 SMs.
    const auto p = make_problem(3072, 1408, 8192, precision_id::bf16);
    gap_options o;
    o.tile = tile_shape{256, 128, 1};
    const auto pt = measured_point(p, to_double(compute_traffic(p).flops) / 700e12, "", running_at(1830));
    const auto g = analyze_gap(pt, h100(), o);
    EXPECT_EQ(find(g, gap_kind::clock), nullptr);
    EXPECT_EQ(find(g, gap_kind::wave_quantization), nullptr);
    ASSERT_NE(find(g, gap_kind::remaining), nullptr);
    EXPECT_NEAR(*find(g, gap_kind::remaining)->roof_fraction, 700.0 / 989.5, 1e-9);
}

TEST(analyze_gap, small_m_is_memory_bound_and_the_clock_does_not_matter) {
    const auto p = make_problem(1, 4096, 4096, precision_id::fp16);
    const auto pt = measured_point(p, 20.3e-6, "tile 64x32", running_at(1200));
    const auto g = analyze_gap(pt, h100());
    ASSERT_TRUE(g.applicable);
    const auto* mem = find(g, gap_kind::memory_roof);
    ASSERT_NE(mem, nullptr);
    EXPECT_NE(mem->message.find("memory-bound"), std::string::npos);
    EXPECT_NE(mem->message.find("a dimension of 1"), std::string::npos) << mem->message;
    // 2·4096·4096 + 2·4096 + 2·4096 bytes in 20.3 µs ≈ 1.65 TB/s, 49% of 3.35 TB/s.
    EXPECT_NE(mem->message.find("49%"), std::string::npos) << mem->message;
    EXPECT_EQ(find(g, gap_kind::clock), nullptr);
    EXPECT_EQ(find(g, gap_kind::wave_quantization), nullptr);
    EXPECT_EQ(find(g, gap_kind::launch_overhead), nullptr);
}

TEST(analyze_gap, tiny_gemms_name_launch_overhead) {
    const auto p = make_problem(64, 64, 64, precision_id::fp16);
    const auto g = analyze_gap(measured_point(p, 4.5e-6), h100());
    const auto* launch = find(g, gap_kind::launch_overhead);
    ASSERT_NE(launch, nullptr);
    EXPECT_NE(launch->message.find("4.5 us"), std::string::npos) << launch->message;
}

TEST(analyze_gap, throttle_reasons_carry_their_figures_and_low_clock_samples_are_flagged) {
    auto t = running_at(1900);
    t.throttle_reasons = {"power cap", "thermal slowdown (hardware)"};
    t.temperature_max_c = 87;
    t.low_clock_samples = 3;
    const auto p = make_problem(8192, 8192, 8192, precision_id::fp16);
    const auto g =
        analyze_gap(measured_point(p, to_double(compute_traffic(p).flops) / 650e12, "", t), h100());
    const auto* th = find(g, gap_kind::throttle);
    ASSERT_NE(th, nullptr);
    EXPECT_NE(th->message.find("power cap"), std::string::npos);
    EXPECT_NE(th->message.find("690 W of the 700 W limit"), std::string::npos) << th->message;
    EXPECT_NE(th->message.find("peak temperature 87 C"), std::string::npos) << th->message;
    const auto* low = find(g, gap_kind::low_clock_samples);
    ASSERT_NE(low, nullptr);
    EXPECT_NE(low->message.find("3 of 100"), std::string::npos) << low->message;
}

TEST(analyze_gap, predicted_points_and_missing_roofs_are_not_applicable) {
    const auto pred = predict(h100(), make_problem(4096, 4096, 4096, precision_id::fp16));
    const auto g = analyze_gap(pred, h100());
    EXPECT_FALSE(g.applicable);
    ASSERT_EQ(g.reasons.size(), 1U);
    const auto none =
        analyze_gap(measured_point(make_problem(4096, 4096, 4096, precision_id::nvfp4), 1e-3), h100());
    EXPECT_FALSE(none.applicable);
    EXPECT_NE(none.reasons.at(0).message.find("no roof"), std::string::npos);
}

TEST(telemetry_lines, clocks_power_energy_and_efficiency) {
    auto t = running_at(1755);
    t.mem_clock_mean_mhz = 2619;
    t.energy_j = 6.0;
    t.energy_per_gemm_j = 0.2;
    t.temperature_max_c = 61;
    t.throttle_reasons = {"power cap"};
    t.low_clock_samples = 2;
    const double flops = 2.0 * 4096 * 4096 * 4096; // 137.4 GFLOP
    const auto s = telemetry_lines(t, flops);
    EXPECT_NE(s.find("SM clock 1755 MHz mean (min 1725, device max 1980)"), std::string::npos) << s;
    EXPECT_NE(s.find("memory clock 2619 MHz"), std::string::npos) << s;
    EXPECT_NE(s.find("power 690 W mean of 700 W limit"), std::string::npos) << s;
    EXPECT_NE(s.find("peak 61 C"), std::string::npos) << s;
    EXPECT_NE(s.find("200 mJ per GEMM"), std::string::npos) << s;
    EXPECT_NE(s.find("0.69 TFLOP/s per W"), std::string::npos) << s; // 137.4e9 / 0.2 J
    EXPECT_NE(s.find("throttle: power cap; 2 of 100 samples under 75%"), std::string::npos) << s;

    telemetry_summary off;
    off.unavailable_reason = "libnvidia-ml.so.1 not found: install the NVIDIA driver";
    EXPECT_EQ(telemetry_lines(off, flops),
              "  telemetry: unavailable (libnvidia-ml.so.1 not found: install the NVIDIA driver)\n");

    auto no_counter = running_at(1980); // no energy counter: rate over mean power
    const auto n = telemetry_lines(no_counter, flops, flops / 690e12);
    EXPECT_NE(n.find("1.00 TFLOP/s per W (rate / mean power; no energy counter)"), std::string::npos) << n;
}

TEST(telemetry_lines, a_short_region_shows_a_power_reading_and_says_why_there_is_no_energy) {
    auto t = running_at(1980);
    t.region_s = 0.1;
    t.energy_source = "not measured: the timed region lasted 0.10 s; energy needs 1 s or more "
                      "(--telemetry-seconds 1)";
    const double flops = 2.0 * 4096 * 4096 * 4096;
    const auto s = telemetry_lines(t, flops, flops / 690e12);
    EXPECT_NE(s.find("power reading 690 W (lags the load over a 0.10 s region), limit 700 W"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("energy: not measured: the timed region lasted 0.10 s"), std::string::npos) << s;
    EXPECT_EQ(s.find("TFLOP/s per W"), std::string::npos) << s; // no efficiency from a lagging reading
}
