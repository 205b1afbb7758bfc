// Request parsing at the edge: valid input becomes structs, invalid input a 400/413/422 naming the field.
#include "roofline/server/request.hpp"

#include <gtest/gtest.h>

using namespace roofline;
using namespace roofline::server;

namespace {

int status_of(const std::function<void()>& f, std::string* field = nullptr) {
    try {
        f();
    } catch (const api_error& e) {
        if (field != nullptr) {
            *field = e.field();
        }
        return e.status();
    }
    return 0;
}

analyze_request parse(const std::string& target, const std::string& body) {
    return parse_analyze_request(parse_query_string(target), body);
}

} // namespace

TEST(query_string, decodes_and_keeps_order) {
    const auto q =
        parse_query_string("/api/analyze?hardware_key=b10&run_all_precisions=false&x=a%20b+c&flag");
    ASSERT_EQ(q.size(), 4U);
    EXPECT_EQ(q[0].first, "hardware_key");
    EXPECT_EQ(q[0].second, "b10");
    EXPECT_EQ(q[2].second, "a b c");
    EXPECT_EQ(q[3].first, "flag");
    EXPECT_EQ(q[3].second, "");
    EXPECT_TRUE(parse_query_string("/api/health").empty());
    EXPECT_TRUE(parse_query_string("/api/health?").empty());
    EXPECT_EQ(parse_query_string("a=1&&b=2").size(), 2U);
}

TEST(query_string, bounded) {
    EXPECT_EQ(status_of([] { (void)parse_query_string("?a=%zz"); }), 400);
    EXPECT_EQ(status_of([] { (void)parse_query_string("?a=%4"); }), 400);
    std::string many = "?";
    for (int i = 0; i < 40; ++i) {
        many += "p" + std::to_string(i) + "=1&";
    }
    EXPECT_EQ(status_of([&] { (void)parse_query_string(many); }), 400);
    std::string field;
    EXPECT_EQ(status_of([] { (void)parse_query_string("?hardware_key=" + std::string(300, 'a')); }, &field),
              422);
    EXPECT_EQ(status_of([] { (void)parse_query_string("?" + std::string(100, 'k') + "=1"); }), 400);
}

TEST(analyze_request, the_seeds_request) {
    const auto r = parse("/api/analyze?hardware_key=b10&run_all_precisions=false",
                         R"({"M":4096,"N":4096,"K":4096,"precision":"FP16"})");
    EXPECT_EQ(r.hardware_key, "b10");
    EXPECT_FALSE(r.run_all_precisions);
    EXPECT_EQ(r.m, 4096);
    ASSERT_EQ(r.precisions.size(), 1U);
    EXPECT_EQ(r.precisions[0], precision_id::fp16);
    ASSERT_EQ(r.problems.size(), 1U);
    EXPECT_EQ(r.problems[0].out, precision_id::fp16);
    EXPECT_EQ(r.iterations, 30U);
    EXPECT_EQ(r.mode, timing_mode::cold);
}

TEST(analyze_request, sweep_ignores_precision) {
    const auto r = parse("?run_all_precisions=true", R"({"M":1,"N":4096,"K":4096,"precision":"FP64"})");
    EXPECT_EQ(r.precisions, default_sweep());
    EXPECT_EQ(r.problems.size(), 5U);
}

TEST(analyze_request, extended_fields) {
    const auto r =
        parse("", R"({"M":128,"N":4096,"K":4096,"precisions":["fp8","INT8","fp8"],"out_precision":"BF16",
                                "beta":1,"iterations":5,"mode":"hot","pacing":"continuous","roof":"measured",
                                "predict_only":true,"telemetry_seconds":1.5})");
    ASSERT_EQ(r.precisions.size(), 2U) << "duplicates dropped";
    EXPECT_EQ(r.precisions[0], precision_id::fp8_e4m3);
    EXPECT_EQ(r.problems[0].out, precision_id::bf16);
    EXPECT_EQ(r.problems[1].beta, 1.0);
    EXPECT_EQ(r.iterations, 5U);
    EXPECT_EQ(r.mode, timing_mode::hot);
    EXPECT_EQ(r.pacing, sample_pacing::continuous);
    EXPECT_DOUBLE_EQ(r.telemetry_seconds, 1.5);
    EXPECT_EQ(r.roof, roof_source::measured);
    EXPECT_TRUE(r.predict_only);
    const auto mixed = parse("", R"({"M":1,"N":4096,"K":4096,"a_precision":"INT4","b_precision":"FP16"})");
    EXPECT_EQ(mixed.problems[0].a, precision_id::int4);
    EXPECT_EQ(mixed.problems[0].b, precision_id::fp16);
}

TEST(analyze_request, malformed_is_400) {
    for (const char* body : {"", "   ", "{", "not json", "[1,2]", "42", "\"x\"", "{\"M\":1,}"}) {
        EXPECT_EQ(status_of([&] { (void)parse("", body); }), 400) << body;
    }
    const std::string deep = std::string(20, '[') + std::string(20, ']');
    EXPECT_EQ(status_of([&] { (void)parse("", R"({"M":)" + deep + "}"); }), 400);
    EXPECT_EQ(status_of([] { (void)parse("", std::string(max_body_bytes + 1, ' ')); }), 413);
}

TEST(analyze_request, invalid_values_are_422_with_the_field) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"N":1,"K":1})", "M"},
        {R"({"M":0,"N":1,"K":1})", "M"},
        {R"({"M":-5,"N":1,"K":1})", "M"},
        {R"({"M":1,"N":2147483648,"K":1})", "N"},
        {R"({"M":1,"N":1,"K":18446744073709551615})", "K"},
        {R"({"M":1.5,"N":1,"K":1})", "M"},
        {R"({"M":"4096","N":1,"K":1})", "M"},
        {R"({"M":1e300,"N":1,"K":1})", "M"},
        {R"({"M":1,"N":1,"K":1,"precision":"FP12"})", "precision"},
        {R"({"M":1,"N":1,"K":1,"precision":7})", "precision"},
        {R"({"M":1,"N":1,"K":1,"precision":"INT32"})", "precision"},
        {R"({"M":1,"N":1,"K":1,"precisions":[]})", "precisions"},
        {R"({"M":1,"N":1,"K":1,"precisions":"FP16"})", "precisions"},
        {R"({"M":1,"N":1,"K":1,"precisions":["FP16",3]})", "precisions"},
        {R"({"M":1,"N":1,"K":1,"a_precision":"INT32"})", "a_precision"},
        {R"({"M":1,"N":1,"K":1,"beta":"x"})", "beta"},
        {R"({"M":1,"N":1,"K":1,"iterations":0})", "iterations"},
        {R"({"M":1,"N":1,"K":1,"iterations":100001})", "iterations"},
        {R"({"M":1,"N":1,"K":1,"iterations":2.5})", "iterations"},
        {R"({"M":1,"N":1,"K":1,"mode":"warm"})", "mode"},
        {R"({"M":1,"N":1,"K":1,"pacing":"gentle"})", "pacing"},
        {R"({"M":1,"N":1,"K":1,"telemetry_seconds":11})", "telemetry_seconds"},
        {R"({"M":1,"N":1,"K":1,"telemetry_seconds":-1})", "telemetry_seconds"},
        {R"({"M":1,"N":1,"K":1,"telemetry_seconds":"1"})", "telemetry_seconds"},
        {R"({"M":1,"N":1,"K":1,"roof":"napkin"})", "roof"},
        {R"({"M":1,"N":1,"K":1,"predict_only":"yes"})", "predict_only"},
        {R"({"M":1,"N":1,"K":1,"precison":"FP16"})", "precison"},
    };
    for (const auto& [body, want] : cases) {
        std::string field;
        EXPECT_EQ(status_of([&] { (void)parse("", body); }, &field), 422) << body;
        EXPECT_EQ(field, want) << body;
    }
    std::string field;
    EXPECT_EQ(status_of([&] { (void)parse("?run_all_precisions=maybe", R"({"M":1,"N":1,"K":1})"); }, &field),
              422);
    EXPECT_EQ(field, "run_all_precisions");
    EXPECT_EQ(status_of([&] { (void)parse("?hw=b10", R"({"M":1,"N":1,"K":1})"); }, &field), 422);
    EXPECT_EQ(field, "hw");
    EXPECT_EQ(
        status_of([&] { (void)parse("?hardware_key=a&hardware_key=b", R"({"M":1,"N":1,"K":1})"); }, &field),
        422);
}

TEST(runs_query, parses_and_bounds) {
    const auto q = parse_runs_query(
        parse_query_string("?hardware_key=b10&precision=fp8&source=measured&limit=7&offset=3"));
    EXPECT_EQ(*q.hardware_key, "b10");
    EXPECT_EQ(*q.precision, "FP8_E4M3");
    EXPECT_EQ(*q.source, "measured");
    EXPECT_EQ(q.limit, 7U);
    EXPECT_EQ(q.offset, 3U);
    EXPECT_EQ(parse_runs_query({}).limit, 50U);
    for (const char* bad : {"?limit=0", "?limit=1001", "?limit=-1", "?limit=abc", "?offset=-1",
                            "?source=guessed", "?sort=id"}) {
        EXPECT_EQ(status_of([&] { (void)parse_runs_query(parse_query_string(bad)); }), 422) << bad;
    }
}

TEST(run_id, only_positive_integers) {
    EXPECT_EQ(parse_run_id("12"), 12);
    for (const char* bad : {"0", "-1", "abc", "1.5", "", "99999999999999999999", "12a"}) {
        EXPECT_EQ(status_of([&] { (void)parse_run_id(bad); }), 404) << bad;
    }
}
