#include "roofline/core/measured_profile.hpp"
#include "roofline/core/roofline_model.hpp"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>

using namespace roofline;

namespace {

measured_profile sample_profile() {
    measured_profile p;
    p.tool_version = "0.1.0";
    p.created_at = "2026-11-25T12:00:00Z";
    p.device.name = "NVIDIA H100 80GB HBM3";
    p.device.compute_capability = "9.0";
    p.device.sm_count = 132;
    p.device.uuid = "GPU-0123abcd-0000-1111-2222-333344445555";
    p.device.l2_bytes = 52428800;
    p.device.memory_bytes = 85e9;
    p.hardware_key = "h100-sxm";
    p.sm_clock_max_mhz = 1980;
    p.power_limit_w = 700;
    p.bandwidth = {{"dram_read", "int4 x8", 3.05e12, 3.1e12, 2147483648.0},
                   {"dram_copy", "int4 x4", 2.95e12, 3.0e12, 2147483648.0},
                   {"l2_read", "cg", 9e12, 9.5e12, 17e6}};
    measured_compute bf16;
    bf16.precision = precision_id::bf16;
    bf16.status = disposition::passed;
    bf16.burst_flops_per_s = 760e12;
    bf16.best_problem = make_problem(8192, 8192, 8192, precision_id::bf16);
    bf16.algorithm = "cuBLASLt algo 66, tile 256x128";
    bf16.sustained_flops_per_s = 720e12;
    bf16.sustained_seconds = 3.1;
    telemetry_summary t;
    t.available = true;
    t.samples = 600;
    t.sm_clock_mean_mhz = 1755;
    t.power_mean_w = 690;
    t.throttle_reasons = {"power cap"};
    bf16.sustained_telemetry = t;
    measured_compute int4;
    int4.precision = precision_id::int4;
    int4.status = disposition::not_supported;
    int4.message = "no INT4 tensor cores on sm_90";
    p.compute = {bf16, int4};
    p.notes = {"L2 read over a third of L2"};
    return p;
}

std::filesystem::path temp_dir(const char* name) {
    auto d = std::filesystem::temp_directory_path() /
             (std::string("roofline_profile_test_") + name + "_" +
              std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

} // namespace

TEST(measured_profile, round_trips_through_json) {
    const auto p = sample_profile();
    const auto j = to_json(p);
    EXPECT_EQ(j["schema_version"], 1);
    EXPECT_EQ(j["compute"][0]["precision"], "BF16");
    const auto back = measured_profile_from_json(j);
    EXPECT_EQ(back.device.uuid, p.device.uuid);
    EXPECT_EQ(back.device.sm_count, 132);
    EXPECT_EQ(back.hardware_key, "h100-sxm");
    EXPECT_EQ(*back.sm_clock_max_mhz, 1980);
    ASSERT_EQ(back.bandwidth.size(), 3U);
    EXPECT_EQ(back.find_bandwidth("dram_copy")->bytes_per_s, 2.95e12);
    const auto* c = back.find_compute(precision_id::bf16);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->burst_flops_per_s, 760e12);
    EXPECT_EQ(c->best_problem->k, 8192);
    EXPECT_EQ(*c->sustained_flops_per_s, 720e12);
    EXPECT_EQ(*c->sustained_telemetry->sm_clock_mean_mhz, 1755);
    EXPECT_EQ(c->sustained_telemetry->throttle_reasons.at(0), "power cap");
    EXPECT_EQ(back.find_compute(precision_id::int4)->status, disposition::not_supported);
    EXPECT_EQ(back.find_compute(precision_id::fp64), nullptr);
    EXPECT_EQ(*back.memory_roof_bytes_per_s(), 3.05e12); // the faster of read and copy
}

TEST(measured_profile, bad_documents_name_the_field) {
    auto j = to_json(sample_profile());
    j["schema_version"] = 7;
    try {
        (void)measured_profile_from_json(j);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("schema_version"), std::string::npos) << e.what();
    }
    j = to_json(sample_profile());
    j.erase("bandwidth");
    EXPECT_THROW((void)measured_profile_from_json(j), std::invalid_argument);
    j = to_json(sample_profile());
    j["compute"][0]["precision"] = "FP7";
    EXPECT_THROW((void)measured_profile_from_json(j), std::invalid_argument);
}

TEST(measured_profile, saved_loaded_and_found_by_uuid_or_newest) {
    const auto dir = temp_dir("files");
    auto p = sample_profile();
    const auto file = profile_path(dir, p.device.uuid);
    EXPECT_EQ(file.filename(), "GPU-0123abcd-0000-1111-2222-333344445555.json");
    EXPECT_EQ(profile_path(dir, "../../etc/passwd").filename(), "etcpasswd.json");
    EXPECT_EQ(profile_path(dir, "").filename(), "local.json");
    save_profile(p, file);
    EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
    EXPECT_EQ(load_profile(file).device.name, p.device.name);

    auto older = p;
    older.device.uuid = "GPU-older";
    older.created_at = "2025-01-01T00:00:00Z";
    save_profile(older, profile_path(dir, older.device.uuid));
    std::ofstream(dir / "broken.json") << "{ not json";

    std::vector<std::string> skipped;
    const auto newest = find_profile(dir, "", &skipped);
    ASSERT_TRUE(newest);
    EXPECT_EQ(newest->device.uuid, p.device.uuid);
    ASSERT_EQ(skipped.size(), 1U);
    EXPECT_NE(skipped[0].find("broken.json"), std::string::npos) << skipped[0];
    EXPECT_EQ(find_profile(dir, "GPU-older")->created_at, "2025-01-01T00:00:00Z");
    EXPECT_FALSE(find_profile(dir, "GPU-none"));
    EXPECT_FALSE(find_profile(dir / "missing", ""));
    EXPECT_THROW((void)load_profile(dir / "broken.json"), std::runtime_error);
    std::filesystem::remove_all(dir);
}

TEST(measured_profile, becomes_a_hardware_entry_for_roof_measured) {
    const auto reg = hardware_registry::builtin();
    const auto& ds = reg.at("h100-sxm");
    const auto h = measured_hardware_entry(sample_profile(), &ds);
    EXPECT_EQ(h.key, "h100-sxm-measured");
    EXPECT_EQ(*h.memory_bandwidth_bytes_per_s.value, 3.05e12);
    EXPECT_EQ(*h.sm_count.value, 132);
    const auto bf16 = roof_for(h, precision_id::bf16);
    ASSERT_TRUE(bf16.available) << bf16.reason;
    EXPECT_EQ(bf16.peak_flops_per_s, 760e12);
    EXPECT_NEAR(bf16.ridge_ai, 760e12 / 3.05e12, 1e-9);
    EXPECT_NE(h.peak(precision_id::bf16).note.find("sustained"), std::string::npos);
    EXPECT_FALSE(h.peak(precision_id::int4).supported); // measured as unsupported
    const auto& fp64 = h.peak(precision_id::fp64); // not measured: supported per datasheet, figure unknown
    EXPECT_TRUE(fp64.supported);
    EXPECT_FALSE(fp64.flops_per_s);
    EXPECT_FALSE(h.peak(precision_id::nvfp4).supported); // the datasheet says Hopper has none
    // estimate() works on it unchanged: a memory-bound shape uses the measured bandwidth.
    const auto p = make_problem(1, 4096, 4096, precision_id::bf16);
    const auto e = estimate(h, p, compute_traffic(p));
    EXPECT_EQ(e.bound, bound_kind::memory);
    EXPECT_NEAR(e.memory_roof_flops_per_s, e.ai * 3.05e12, 1.0);

    auto empty = sample_profile();
    empty.bandwidth.clear();
    EXPECT_THROW((void)measured_hardware_entry(empty, &ds), std::invalid_argument);
    const auto unknown = measured_hardware_entry(sample_profile(), nullptr);
    EXPECT_EQ(unknown.key, "local-measured");
    EXPECT_TRUE(unknown.peak(precision_id::fp64).supported);
}

TEST(measured_profile, reads_the_profile_roofline_ceilings_wrote_on_an_h100) {
    // Written by `roofline ceilings` on the bench's H100 (bench/telemetry/results): the format both sides
    // share.
    const auto p = load_profile(std::filesystem::path(ROOFLINE_SOURCE_DIR) /
                                "bench/telemetry/results/h100_measured_profile.json");
    EXPECT_EQ(p.device.name, "NVIDIA H100 80GB HBM3");
    EXPECT_EQ(p.hardware_key, "h100-sxm");
    ASSERT_TRUE(p.memory_roof_bytes_per_s());
    EXPECT_GT(*p.memory_roof_bytes_per_s(), 3e12);
    const auto* bf16 = p.find_compute(precision_id::bf16);
    ASSERT_NE(bf16, nullptr);
    EXPECT_EQ(bf16->status, disposition::passed);
    ASSERT_TRUE(bf16->sustained_telemetry);
    EXPECT_TRUE(bf16->sustained_telemetry->available);
    const auto reg = hardware_registry::builtin();
    const auto h = measured_hardware_entry(p, reg.match_device(p.device.name, p.device.compute_capability));
    EXPECT_TRUE(roof_for(h, precision_id::fp8_e4m3).available);
    EXPECT_FALSE(h.peak(precision_id::nvfp4).supported);
}
