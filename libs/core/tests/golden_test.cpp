// The golden cases are shared with the web app's offline model (web/src/lib/model.test.ts reads the same
// file): both implementations must give these numbers.
#include "roofline/core/report.hpp"

#include <fstream>
#include <gtest/gtest.h>

using namespace roofline;
using json = nlohmann::json;

TEST(golden, predictions_match_the_shared_cases) {
    std::ifstream in(std::string(ROOFLINE_SOURCE_DIR) + "/data/golden/predictions.json");
    ASSERT_TRUE(in) << "data/golden/predictions.json missing";
    const auto doc = json::parse(in);
    const auto reg = hardware_registry::builtin();
    ASSERT_GE(doc["cases"].size(), 10U);
    for (const auto& c : doc["cases"]) {
        const auto& in_ = c["input"];
        SCOPED_TRACE(c["name"].get<std::string>());
        const auto opt = [&](const char* k) -> std::optional<precision_id> {
            return in_.contains(k) ? std::optional(parse_precision(in_[k].get<std::string>())) : std::nullopt;
        };
        const auto p = make_problem(in_["M"], in_["N"], in_["K"],
                                    parse_precision(in_["precision"].get<std::string>()), opt("a_precision"),
                                    opt("b_precision"), opt("out_precision"), in_.value("beta", 0.0));
        const auto pt = predict(reg.at(in_["hardware"].get<std::string>()), p);
        const auto got = to_json(pt);
        const auto& want = c["expected"];
        EXPECT_EQ(got["flops"], want["flops"]);
        EXPECT_EQ(got["bytes"], want["bytes"]);
        EXPECT_NEAR(got["ai"].get<double>(), want["ai"].get<double>(), 1e-9 * want["ai"].get<double>());
        EXPECT_EQ(got["bound"], want["bound"]);
        EXPECT_EQ(got["disposition"], want["disposition"]);
        if (want["time_us"].is_null()) {
            EXPECT_TRUE(got["time_us"].is_null());
        } else {
            EXPECT_NEAR(got["time_us"].get<double>(), want["time_us"].get<double>(),
                        1e-6 * want["time_us"].get<double>());
            EXPECT_NEAR(got["tflops"].get<double>(), want["tflops"].get<double>(),
                        1e-6 * want["tflops"].get<double>());
        }
    }
}
