#include "roofline/core/gemm.hpp"
#include "roofline/core/precision.hpp"

#include <gtest/gtest.h>
#include <set>
#include <stdexcept>

using namespace roofline;

TEST(precision, catalogue_is_indexed_by_id) {
    for (const auto& p : all_precisions()) {
        EXPECT_EQ(&info(p.id), &p) << p.name;
    }
}

TEST(precision, seed_colours_and_bits) {
    EXPECT_EQ(info(precision_id::fp16).colour, "#f97316");
    EXPECT_EQ(info(precision_id::bf16).colour, "#fb923c");
    EXPECT_EQ(info(precision_id::fp8_e4m3).colour, "#22c55e");
    EXPECT_EQ(info(precision_id::fp8_e5m2).colour, "#16a34a");
    EXPECT_EQ(info(precision_id::nvfp4).colour, "#a855f7");
    EXPECT_EQ(info(precision_id::int8).colour, "#06b6d4");
    EXPECT_EQ(info(precision_id::int4).colour, "#3b82f6");
    EXPECT_DOUBLE_EQ(info(precision_id::nvfp4).bits_per_element(), 4.5);
    EXPECT_DOUBLE_EQ(info(precision_id::mxfp8).bits_per_element(), 8.25);
    EXPECT_DOUBLE_EQ(info(precision_id::tf32).bits_per_element(), 32.0);
    EXPECT_DOUBLE_EQ(info(precision_id::int4).bits_per_element(), 4.0);
}

TEST(precision, colours_are_distinct) {
    std::set<std::string_view> colours;
    for (const auto& p : all_precisions()) {
        EXPECT_TRUE(colours.insert(p.colour).second) << p.name << " reuses " << p.colour;
        EXPECT_EQ(p.colour.size(), 7U);
    }
}

TEST(precision, default_outputs) {
    EXPECT_EQ(info(precision_id::fp16).default_output, precision_id::fp16);
    EXPECT_EQ(info(precision_id::bf16).default_output, precision_id::bf16);
    EXPECT_EQ(info(precision_id::fp8_e4m3).default_output, precision_id::bf16);
    EXPECT_EQ(info(precision_id::fp8_e5m2).default_output, precision_id::bf16);
    EXPECT_EQ(info(precision_id::mxfp8).default_output, precision_id::bf16);
    EXPECT_EQ(info(precision_id::nvfp4).default_output, precision_id::bf16);
    EXPECT_EQ(info(precision_id::int8).default_output, precision_id::int32);
    EXPECT_EQ(info(precision_id::int4).default_output, precision_id::int32);
    EXPECT_EQ(info(precision_id::tf32).default_output, precision_id::fp32);
    EXPECT_EQ(info(precision_id::fp32).default_output, precision_id::fp32);
    EXPECT_EQ(info(precision_id::fp64).default_output, precision_id::fp64);
}

TEST(precision, parses_names_and_aliases_case_insensitively) {
    EXPECT_EQ(parse_precision("FP16"), precision_id::fp16);
    EXPECT_EQ(parse_precision("fp16"), precision_id::fp16);
    EXPECT_EQ(parse_precision(" Half "), precision_id::fp16);
    EXPECT_EQ(parse_precision("fp8"), precision_id::fp8_e4m3);
    EXPECT_EQ(parse_precision("E5M2"), precision_id::fp8_e5m2);
    EXPECT_EQ(parse_precision("nvfp4"), precision_id::nvfp4);
    EXPECT_EQ(parse_precision("int4"), precision_id::int4);
    EXPECT_EQ(parse_precision("bf16"), precision_id::bf16);
    EXPECT_EQ(parse_precision("BFloat16"), precision_id::bf16);
    EXPECT_EQ(parse_precision("mxfp8"), precision_id::mxfp8);
}

TEST(precision, unknown_name_lists_valid_ones) {
    try {
        (void)parse_precision("fp7");
        FAIL() << "fp7 parsed";
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("fp7"), std::string::npos);
        for (const auto& p : all_precisions()) {
            EXPECT_NE(msg.find(p.name), std::string::npos) << p.name;
        }
    }
}

TEST(precision, lists) {
    const auto l = parse_precision_list("fp16, int8,FP16");
    ASSERT_EQ(l.size(), 2U);
    EXPECT_EQ(l[0], precision_id::fp16);
    EXPECT_EQ(l[1], precision_id::int8);
    const auto all = parse_precision_list("ALL");
    EXPECT_EQ(all.size(), 12U); // every GEMM input (W4A16 included), INT32 is output-only
    EXPECT_THROW((void)parse_precision_list("fp16,,int8"), std::invalid_argument);
    const auto sweep = default_sweep();
    ASSERT_EQ(sweep.size(), 5U);
    EXPECT_EQ(sweep[2], precision_id::nvfp4);
}

TEST(precision, w4a16_is_int4_weights_times_fp16_activations) {
    const auto& w = info(precision_id::w4a16);
    EXPECT_TRUE(w.weight_only);
    EXPECT_EQ(w.scale_block, 128U); // the default group
    EXPECT_DOUBLE_EQ(w.bits_per_element(), 4.0 + 16.0 / 128.0);
    EXPECT_EQ(parse_precision("w4a16"), precision_id::w4a16);
    const auto p = make_problem(1, 4096, 4096, precision_id::w4a16);
    EXPECT_EQ(p.a, precision_id::fp16);
    EXPECT_EQ(p.b, precision_id::w4a16);
    EXPECT_EQ(p.out, precision_id::fp16);
    EXPECT_EQ(p.precision_label(), "W4A16");
    // The bytes count the FP16 scales: weights N·K/2 + N·K/128·2, activations and output in FP16.
    const auto t = compute_traffic(p);
    EXPECT_DOUBLE_EQ(to_double(t.b_bytes), 4096.0 * 4096 / 2 + 4096.0 * 32 * 2);
    EXPECT_DOUBLE_EQ(to_double(t.bytes()), 4096.0 * 4096 / 2 + 4096.0 * 32 * 2 + 2 * 4096.0 + 2 * 4096.0);
}
