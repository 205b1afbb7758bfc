// The data files and the schemas agree with the code that reads them: the precision catalogue's rows follow
// precision_id, and the request limits schemas/ states are the core's (limits.hpp).
#include "roofline/core/limits.hpp"
#include "roofline/core/precision.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <utility>

using namespace roofline;

namespace {
nlohmann::json read_json(const std::string& relative) {
    std::ifstream in(std::string(ROOFLINE_SOURCE_DIR) + "/" + relative);
    return nlohmann::json::parse(in);
}
} // namespace

TEST(precision_data, rows_follow_the_enum) {
    const std::pair<precision_id, const char*> expected[] = {
        {precision_id::fp64, "FP64"},         {precision_id::fp32, "FP32"},
        {precision_id::tf32, "TF32"},         {precision_id::bf16, "BF16"},
        {precision_id::fp16, "FP16"},         {precision_id::fp8_e4m3, "FP8_E4M3"},
        {precision_id::fp8_e5m2, "FP8_E5M2"}, {precision_id::mxfp8, "MXFP8"},
        {precision_id::nvfp4, "NVFP4"},       {precision_id::int8, "INT8"},
        {precision_id::int4, "INT4"},         {precision_id::int32, "INT32"},
    };
    ASSERT_EQ(all_precisions().size(), precision_count);
    for (const auto& [id, name] : expected) {
        EXPECT_EQ(to_string(id), name);
        EXPECT_EQ(info(id).id, id);
    }
    EXPECT_EQ(info(precision_id::nvfp4).bits_per_element(), 4.5);
    EXPECT_EQ(info(precision_id::int8).default_output, precision_id::int32);
    EXPECT_EQ(parse_precision("fp8"), precision_id::fp8_e4m3);
}

TEST(precision_data, the_embedded_catalogue_is_the_file) {
    const auto doc = read_json("data/precisions.json");
    ASSERT_EQ(doc["precisions"].size(), all_precisions().size());
    for (std::size_t i = 0; i < all_precisions().size(); ++i) {
        const auto& row = doc["precisions"][i];
        const auto& p = all_precisions()[i];
        EXPECT_EQ(row["name"], std::string(p.name));
        EXPECT_EQ(row["colour"], std::string(p.colour));
        EXPECT_EQ(row["aliases"].size(), p.aliases.size());
    }
    std::vector<std::string> sweep;
    for (const auto id : default_sweep()) {
        sweep.emplace_back(to_string(id));
    }
    EXPECT_EQ(doc["default_sweep"], sweep);
}

TEST(schema_limits, the_request_schema_states_the_cores_limits) {
    const auto props = read_json("schemas/analyze-request.schema.json")["properties"];
    EXPECT_EQ(props["iterations"]["maximum"], max_iterations);
    EXPECT_EQ(props["precisions"]["maxItems"], max_precisions_per_request);
    EXPECT_EQ(props["telemetry_seconds"]["maximum"].get<double>(), max_telemetry_window_s);
    const auto common = read_json("schemas/common.schema.json");
    EXPECT_EQ(common["$defs"]["Dimension"]["maximum"], max_dimension);
}
