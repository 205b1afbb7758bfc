#include "roofline/core/hardware.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace roofline;
using json = nlohmann::json;

namespace {

json exemplar() {
    std::ifstream in(std::string(ROOFLINE_SOURCE_DIR) + "/data/hardware/h100-sxm.json");
    return json::parse(in);
}

// Expects parse failure whose message names `field`.
void expect_rejected(const json& doc, const std::string& field) {
    try {
        (void)parse_hardware_entry(doc.dump(), "bad.json");
        FAIL() << "accepted a file with a bad " << field;
    } catch (const registry_error& e) {
        EXPECT_EQ(e.file(), "bad.json");
        EXPECT_EQ(e.field(), field) << e.what();
    }
}

} // namespace

TEST(hardware_registry, builtin_loads_and_has_the_required_gpus) {
    const auto reg = hardware_registry::builtin();
    for (const char* key :
         {"b10", "gb10", "h100-sxm", "h100-pcie", "h100-nvl", "h200", "b200", "gb200", "a100-sxm",
          "a100-pcie", "l40s", "l4", "a10", "rtx-4090", "rtx-5090", "rtx-pro-6000"}) {
        EXPECT_NE(reg.find(key), nullptr) << key;
    }
    EXPECT_EQ(reg.find("GB10"), reg.find("b10"));
    EXPECT_EQ(reg.find("no-such-gpu"), nullptr);
}

TEST(hardware_registry, every_entry_is_complete_and_sourced) {
    const auto reg = hardware_registry::builtin();
    for (const auto& e : reg.entries()) {
        SCOPED_TRACE(e.key);
        EXPECT_FALSE(e.name.empty());
        EXPECT_TRUE(e.memory_bandwidth_bytes_per_s.value.has_value());
        for (const auto* f : {&e.sm_count, &e.boost_clock_hz, &e.memory_bytes,
                              &e.memory_bandwidth_bytes_per_s, &e.l2_bytes, &e.tdp_w}) {
            EXPECT_FALSE(f->source.empty());
            EXPECT_TRUE(f->value.has_value() || !f->note.empty());
        }
        std::size_t count = 0;
        for (const auto& p : all_precisions()) {
            if (!p.gemm_input) {
                continue;
            }
            const auto& pk = e.peak(p.id);
            ++count;
            if (pk.supported) {
                EXPECT_FALSE(pk.source.empty()) << p.name;
                if (pk.halved_from_sparse) {
                    EXPECT_FALSE(pk.derivation.empty()) << p.name;
                }
            } else {
                EXPECT_FALSE(pk.reason.empty()) << p.name;
            }
        }
        EXPECT_EQ(count, e.peaks.size());
    }
}

TEST(hardware_registry, hopper_lacks_fp4_and_int4) {
    const auto reg = hardware_registry::builtin();
    const auto& h = reg.at("h100-sxm");
    EXPECT_FALSE(h.peak(precision_id::nvfp4).supported);
    EXPECT_FALSE(h.peak(precision_id::int4).supported);
    EXPECT_TRUE(h.peak(precision_id::fp8_e4m3).supported);
    EXPECT_NEAR(*h.peak(precision_id::bf16).flops_per_s, 989.5e12, 1e9);
    EXPECT_TRUE(h.peak(precision_id::bf16).halved_from_sparse);
}

TEST(hardware_registry, matches_cuda_device_names) {
    const auto reg = hardware_registry::builtin();
    const auto* h = reg.match_device("NVIDIA H100 80GB HBM3", "9.0");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->key, "h100-sxm");
    const auto* p = reg.match_device("NVIDIA H100 PCIe", "9.0");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->key, "h100-pcie");
    EXPECT_EQ(reg.match_device("NVIDIA H100 80GB HBM3", "8.0"), nullptr);
}

TEST(hardware_registry, rejects_bad_files_naming_file_and_field) {
    auto doc = exemplar();
    doc.erase("sm_count");
    expect_rejected(doc, "sm_count");

    doc = exemplar();
    doc["memory_bandwidth_bytes_per_s"]["value"] = -1;
    expect_rejected(doc, "memory_bandwidth_bytes_per_s.value");

    doc = exemplar();
    doc["peaks"].erase("INT8");
    expect_rejected(doc, "peaks.INT8");

    doc = exemplar();
    doc["peaks"]["FP12"] = {{"tflops", 1}, {"source", "x"}};
    expect_rejected(doc, "peaks.FP12");

    doc = exemplar();
    doc["peaks"]["FP16"].erase("source");
    expect_rejected(doc, "peaks.FP16.source");

    doc = exemplar();
    doc["peaks"]["FP16"].erase("derivation");
    expect_rejected(doc, "peaks.FP16.derivation");

    doc = exemplar();
    doc["peaks"]["FP16"]["tflops"] = "fast";
    expect_rejected(doc, "peaks.FP16.tflops");

    doc = exemplar();
    doc["l2_bytes"] = {{"value", nullptr}, {"source", "x"}};
    expect_rejected(doc, "l2_bytes.note");

    doc = exemplar();
    doc["key"] = "H100 SXM";
    expect_rejected(doc, "key");

    doc = exemplar();
    doc["schema_version"] = 2;
    expect_rejected(doc, "schema_version");

    try {
        (void)parse_hardware_entry("{ not json", "broken.json");
        FAIL();
    } catch (const registry_error& e) {
        EXPECT_EQ(e.file(), "broken.json");
    }
}

TEST(hardware_registry, rejects_duplicate_keys_and_loads_directories) {
    const auto text = exemplar().dump();
    EXPECT_THROW((void)hardware_registry::from_texts({{"a.json", text}, {"b.json", text}}), registry_error);

    const auto dir = std::filesystem::temp_directory_path() / "roofline_hw_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "one.json") << text;
    const auto reg = hardware_registry::load_directory(dir);
    EXPECT_EQ(reg.entries().size(), 1U);
    std::ofstream(dir / "two.json") << "{}";
    try {
        (void)hardware_registry::load_directory(dir);
        FAIL();
    } catch (const registry_error& e) {
        EXPECT_NE(e.file().find("two.json"), std::string::npos);
        EXPECT_EQ(e.field(), "schema_version");
    }
    std::filesystem::remove_all(dir);
}
