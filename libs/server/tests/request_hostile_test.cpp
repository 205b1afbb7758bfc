// Issue 18's red-team cases for the request edge: client bytes that are not UTF-8 reach error messages as
// valid JSON; {"": 1} names its (empty) field; operand pairings no GPU runs are refused with the valid ones
// named.
#include "roofline/server/request.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

using namespace roofline;
using namespace roofline::server;
using json = nlohmann::json;

namespace {

// The error body the server would send for this request; "" when it is accepted.
std::string error_for(const std::string& target, const std::string& body) {
    try {
        (void)parse_analyze_request(parse_query_string(target), body);
    } catch (const api_error& e) {
        return error_body(e);
    }
    return "";
}

} // namespace

TEST(valid_utf8, keeps_well_formed_text_and_replaces_the_rest) {
    EXPECT_EQ(valid_utf8("FP16 \xC3\xA9 \xE2\x86\x92 \xF0\x9F\x98\x80"),
              "FP16 \xC3\xA9 \xE2\x86\x92 \xF0\x9F\x98\x80");
    EXPECT_EQ(valid_utf8("\xff"), "\xEF\xBF\xBD");
    EXPECT_EQ(valid_utf8("a\xef"), "a\xEF\xBF\xBD");                               // a character cut short
    EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                 // overlong '/'
    EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a UTF-16 surrogate
    EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");        // past U+10FFFF
}

TEST(hostile_bytes, every_error_body_is_valid_json) {
    // A precision whose multi-byte character is cut at the 64-byte bound of the message's quote.
    const std::string cut = std::string(63, 'A') + "\xC3\xA9";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", R"({"M":1,"N":1,"K":1,"precision":")" + cut + "\"}"},
        {"?%FF=1", R"({"M":1,"N":1,"K":1})"},
        {"?hardware_key=b10&run_all_precisions=%FF", R"({"M":1,"N":1,"K":1})"},
        {"", "\xef"},
        {"", "\n\xef"},
        {"", "{\"\xff\":1}"},
        {"", R"({"M":1,"N":1,"K":1,"precision":")" + std::string("\xff\xfe") + "\"}"},
        {"?%FF%FE=%FF", "{}"},
    };
    for (const auto& [target, body] : cases) {
        const auto text = error_for(target, body);
        ASSERT_FALSE(text.empty()) << target << " " << body;
        const auto j = json::parse(text, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << "not JSON: " << text;
        EXPECT_TRUE(j["error"]["message"].is_string());
        // The text is valid UTF-8 too: a strict dump of the parsed value does not throw.
        EXPECT_NO_THROW((void)j.dump());
    }
    // parse_run_id and parse_runs_query quote client text too.
    try {
        (void)parse_run_id("\xff");
        FAIL();
    } catch (const api_error& e) {
        EXPECT_FALSE(json::parse(error_body(e), nullptr, false).is_discarded());
    }
}

TEST(hostile_bytes, an_empty_field_name_is_named) {
    const auto j = json::parse(error_for("", R"({"":1})"));
    EXPECT_EQ(j["error"]["code"], "invalid_value");
    ASSERT_TRUE(j["error"]["field"].is_string()) << j.dump();
    EXPECT_EQ(j["error"]["field"], "");
}

TEST(pairings, no_gpu_runs_these_so_they_are_refused_with_the_valid_ones) {
    for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
             {"NVFP4", "INT8"}, {"FP64", "INT4"}, {"FP16", "BF16"}, {"FP32", "FP16"}, {"MXFP8", "NVFP4"}}) {
        const auto text = error_for("", R"({"M":64,"N":64,"K":64,"a_precision":")" + a +
                                            R"(","b_precision":")" + b + "\"}");
        ASSERT_FALSE(text.empty()) << a << " x " << b << " was accepted";
        const auto j = json::parse(text);
        EXPECT_EQ(j["error"]["field"], "b_precision");
        const auto msg = j["error"]["message"].get<std::string>();
        EXPECT_NE(msg.find("FP8_E4M3 x FP8_E5M2"), std::string::npos) << msg;
        EXPECT_NE(msg.find(a), std::string::npos) << msg;
    }
    for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{{"FP8_E4M3", "FP8_E5M2"},
                                                                               {"FP16", "INT4"},
                                                                               {"INT4", "BF16"},
                                                                               {"FP16", "INT8"},
                                                                               {"INT8", "INT4"}}) {
        EXPECT_EQ(error_for("", R"({"M":64,"N":64,"K":64,"a_precision":")" + a + R"(","b_precision":")" + b +
                                    "\"}"),
                  "")
            << a << " x " << b;
    }
}
