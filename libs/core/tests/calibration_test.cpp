// Calibration (fit, split, replay) and the registry / traffic audit items of issue 12, each a test that
// failed before its fix.
#include "roofline/core/calibration.hpp"
#include "roofline/core/device_match.hpp"
#include "roofline/core/report.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <set>

using namespace roofline;

TEST(registry_audit, h200_l2_is_60_mib_as_the_device_reports) {
    EXPECT_EQ(*hardware_registry::builtin().at("h200").l2_bytes.value, 62914560.0);
}

TEST(registry_audit, b200_bandwidth_is_8_tb_per_s) {
    EXPECT_EQ(*hardware_registry::builtin().at("b200").memory_bandwidth_bytes_per_s.value, 8e12);
}

TEST(registry_audit, int8_summary_agrees_with_b200s_roof) {
    const auto registry = hardware_registry::builtin(); // a value: a reference into a temporary would dangle
    const auto& b200 = registry.at("b200");
    ASSERT_TRUE(b200.peak(precision_id::int8).flops_per_s);
    EXPECT_EQ(std::string(info(precision_id::int8).summary).find("not on"), std::string::npos);
}

namespace {

const hardware_entry* matched(const char* name, const char* cc, int sms = 0) {
    static const auto reg = hardware_registry::builtin();
    return reg.match_device(name, cc, sms);
}

} // namespace

TEST(registry_audit, device_names_get_their_own_entries) {
    const std::vector<std::tuple<const char*, const char*, int, const char*>> cases{
        {"NVIDIA A100-SXM4-40GB", "8.0", 108, "a100-sxm-40gb"},
        {"NVIDIA A100-PCIE-40GB", "8.0", 108, "a100-pcie-40gb"},
        {"NVIDIA A100-SXM4-80GB", "8.0", 108, "a100-sxm"},
        {"NVIDIA H200 NVL", "9.0", 132, "h200-nvl"},
        {"NVIDIA H200", "9.0", 132, "h200"},
        {"NVIDIA H20", "9.0", 78, "h20"},
        {"NVIDIA H800", "9.0", 132, "h800"},
        {"NVIDIA H800 PCIe", "9.0", 114, "h800-pcie"},
        {"NVIDIA GH200 480GB", "9.0", 132, "gh200"},
        {"NVIDIA GH200 144G HBM3e", "9.0", 132, "gh200-hbm3e"},
        {"NVIDIA L40", "8.9", 142, "l40"},
        {"NVIDIA L40S", "8.9", 142, "l40s"},
        {"Orin", "8.7", 16, "jetson-agx-orin"},
        {"Orin", "8.7", 8, "jetson-orin-nano"},
        {"NVIDIA H100 80GB HBM3", "9.0", 132, "h100-sxm"},
    };
    for (const auto& [name, cc, sms, key] : cases) {
        const auto* e = matched(name, cc, sms);
        ASSERT_NE(e, nullptr) << name;
        EXPECT_EQ(e->key, key) << name;
    }
    EXPECT_EQ(*matched("NVIDIA A100-SXM4-40GB", "8.0")->memory_bandwidth_bytes_per_s.value, 1.555e12);
    EXPECT_EQ(*matched("NVIDIA A100-PCIE-40GB", "8.0")->memory_bandwidth_bytes_per_s.value, 1.555e12);
}

TEST(registry_audit, an_unknown_gpu_is_named_in_the_answer) {
    const auto reg = hardware_registry::builtin();
    device_identity d;
    d.name = "NVIDIA Hypothetical X1";
    d.compute_capability = "9.0";
    d.sm_count = 100;
    const auto c = choose_hardware(reg, "", &d, "h100-sxm");
    ASSERT_NE(c.entry, nullptr);
    EXPECT_NE(c.matched_by.find("unknown device 'NVIDIA Hypothetical X1'"), std::string::npos)
        << c.matched_by;
    EXPECT_NE(c.warning.find("NVIDIA Hypothetical X1"), std::string::npos);
    auto doc = analysis_document(*c.entry, {});
    annotate_hardware_choice(doc, c);
    EXPECT_EQ(doc["hardware"]["matched_by"], c.matched_by);
    ASSERT_TRUE(doc["warnings"].is_array());
    EXPECT_EQ(doc["warnings"][0], c.warning);
    const auto known = choose_hardware(reg, "h200", nullptr);
    EXPECT_EQ(known.matched_by, "requested: h200");
    EXPECT_TRUE(known.warning.empty());
}

// W4A16 (FP16 activations x INT4 weights) counts one FP16 scale per group along K: at 16x4096x4096 the
// weights' 8 MiB gain 256 KiB at group 128 (3%) and 512 KiB at group 64 (6%).
TEST(traffic_audit, w4a16_counts_its_group_scales) {
    auto p = make_problem(16, 4096, 4096, precision_id::fp16, std::nullopt, precision_id::int4);
    auto t = compute_traffic(p);
    EXPECT_EQ(t.b_bytes, count_t{8 * 1024 * 1024 + 256 * 1024});
    p.group_size = 64;
    t = compute_traffic(p);
    EXPECT_EQ(t.b_bytes, count_t{8 * 1024 * 1024 + 512 * 1024});
    // Pure INT4 x INT4 (Ampere's s4 tensor cores) has no group scales.
    const auto pure = compute_traffic(make_problem(16, 4096, 4096, precision_id::int4));
    EXPECT_EQ(pure.b_bytes, count_t{8 * 1024 * 1024});
}

// FP8 output with beta != 0: the engine reads C as BF16 (cuBLASLt takes no FP8 C), 80 MiB at 4096^3.
TEST(traffic_audit, fp8_output_reads_c_as_bf16) {
    const auto p = make_problem(4096, 4096, 4096, precision_id::fp8_e4m3, std::nullopt, std::nullopt,
                                precision_id::fp8_e4m3, 1.0);
    const auto t = compute_traffic(p);
    EXPECT_EQ(t.c_bytes, count_t{32 * 1024 * 1024});
    EXPECT_EQ(t.bytes(), count_t{80 * 1024 * 1024});
}

TEST(calibration, split_is_deterministic_and_every_family_has_both_sides) {
    std::map<std::string, std::pair<int, int>> per_family;
    std::set<std::string> labels;
    for (const auto& s : benchmark_shapes()) {
        EXPECT_EQ(is_held_out(s.m, s.n, s.k), is_held_out(s.m, s.n, s.k));
        auto& [fit, held] = per_family[s.family];
        (is_held_out(s.m, s.n, s.k) ? held : fit) += 1;
        labels.insert(std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k));
    }
    for (const auto& family : {"square", "decode", "layer", "odd", "k_sweep"}) {
        SCOPED_TRACE(family);
        EXPECT_GT(per_family[family].first, 0);
        EXPECT_GT(per_family[family].second, 0);
    }
    EXPECT_TRUE(labels.contains("1x4096x4096"));
    EXPECT_TRUE(labels.contains("16384x16384x16384"));
    EXPECT_TRUE(labels.contains("4096x4096x65536"));
    EXPECT_TRUE(labels.contains("4096x4096x64"));
}

namespace {

// Measurements made by the model itself with known parameters: the fit must find parameters that reproduce
// the held-out shapes it never saw.
std::vector<calibration_sample> synthetic(const hardware_entry& hw, const perf_params& truth, bool held_out) {
    std::vector<calibration_sample> out;
    for (const auto& s : benchmark_shapes()) {
        if (is_held_out(s.m, s.n, s.k) != held_out) {
            continue;
        }
        for (const auto p : calibration_precisions()) {
            calibration_sample c;
            c.problem = make_problem(s.m, s.n, s.k, p);
            c.traffic = compute_traffic(c.problem);
            c.measured_s = 1.0; // replaced below
            out.push_back(c);
        }
    }
    const auto r = log_residuals(hw, out, truth); // log(1 / predicted)
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i].measured_s = std::exp(-r[i]);
    }
    return out;
}

} // namespace

TEST(calibration, fit_recovers_a_known_model_on_held_out_shapes) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h200");
    perf_params truth = perf_model::builtin().family_defaults("Hopper");
    truth.floor_s = 7e-6;
    truth.bandwidth_efficiency = 0.6;
    truth.compute_efficiency[precision_id::fp16] = 0.8;
    truth.compute_efficiency[precision_id::int8] = 0.85;
    const auto fit_set = synthetic(hw, truth, false);
    const auto held = synthetic(hw, truth, true);
    fit_options o;
    o.max_evaluations = 1500;
    o.restarts = 1;
    const auto before =
        summarize_residuals(log_residuals(hw, held, perf_model::builtin().family_defaults("Hopper")));
    const auto profile = fit_profile(hw, fit_set, perf_model::builtin().family_defaults("Hopper"), o);
    const auto after = summarize_residuals(log_residuals(hw, held, profile.params));
    EXPECT_LT(after.median_abs, 0.03) << "before " << before.median_abs;
    EXPECT_LT(after.median_abs, before.median_abs);
    EXPECT_EQ(profile.hardware_key, "h200");
    EXPECT_FALSE(profile.fitted_shapes.empty());
}

TEST(calibration, profile_round_trips_and_makes_predictions_calibrated) {
    const auto reg = hardware_registry::builtin();
    calibration_profile c;
    c.hardware_key = "l4";
    c.date = "2026-12-01";
    c.provenance = "test";
    c.params = perf_model::builtin().family_defaults("Ada Lovelace");
    c.params.interval_log_p10 = -0.05;
    c.params.interval_log_p90 = 0.05;
    c.residuals.count = 3;
    const auto text = to_json(c).dump();
    const auto back = parse_calibration_profile(text, "mem.json");
    EXPECT_EQ(back.hardware_key, "l4");
    EXPECT_EQ(back.params.interval_log_p90, 0.05);
    perf_model m = perf_model::builtin();
    m.add_profile(back);
    const auto& hw = reg.at("l4");
    const auto p = make_problem(4096, 4096, 4096, precision_id::fp16);
    const auto pred = m.predict(hw, p, compute_traffic(p));
    EXPECT_TRUE(pred.calibrated);
    EXPECT_NEAR(pred.high_s / pred.low_s, std::exp(0.1), 1e-9);
    EXPECT_THROW((void)parse_calibration_profile("{\"schema_version\": 1}", "bad.json"),
                 std::invalid_argument);
}

TEST(calibration, replays_cli_answers_from_a_jsonl_file) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h200");
    auto pt = predict(hw, make_problem(4096, 4096, 4096, precision_id::bf16));
    pt.source = point_source::measured;
    measurement m;
    m.timing = summarize({180e-6, 181e-6}, timing_mode::cold, false);
    m.device.name = "NVIDIA H200";
    pt.measured = m;
    pt.time_s = 180.5e-6;
    const auto file = std::filesystem::temp_directory_path() / "roofline_replay_test.jsonl";
    {
        std::ofstream out(file);
        out << analysis_document(hw, {pt}).dump() << "\n\n" << analysis_document(hw, {pt}).dump() << "\n";
    }
    const auto run = read_answers_jsonl(file);
    EXPECT_EQ(run.points.size(), 2U);
    EXPECT_EQ(run.hardware_key, "h200");
    EXPECT_EQ(run.device.name, "NVIDIA H200");
    const auto samples = samples_from_points(run.points);
    ASSERT_EQ(samples.size(), 2U);
    EXPECT_NEAR(samples[0].measured_s, 180.5e-6, 1e-12);
    {
        std::ofstream out(file);
        out << "{\"points\": 3}\n";
    }
    EXPECT_THROW((void)read_answers_jsonl(file), std::invalid_argument);
    std::filesystem::remove(file);
}
