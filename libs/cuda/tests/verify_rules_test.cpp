// The verification verdict from sampled (result, reference) pairs, CUDA-free.
#include "verify_rules.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>

namespace roofline::cuda {
namespace {

TEST(JudgeSamples, WithinToleranceIsPassed) {
    const std::vector<double> pairs{1.001, 1.0, -2.0, -2.002};
    const auto v = judge_samples(pairs, 3e-3, false, 0, 4);
    EXPECT_TRUE(v.passed) << v.why;
    EXPECT_EQ(v.error.checked_elements, 2U);
    EXPECT_NEAR(v.error.max_abs_error, 0.002, 1e-12);
    EXPECT_LT(v.error.relative_error, 3e-3);
}

TEST(JudgeSamples, OverToleranceSaysByHowMuch) {
    const std::vector<double> pairs{-1.0, 1.0, 2.0, 2.0};
    const auto v = judge_samples(pairs, 3e-3, false, 0, 4);
    EXPECT_FALSE(v.passed);
    EXPECT_NE(v.why.find("relative L2 error"), std::string::npos) << v.why;
    EXPECT_NE(v.why.find("tolerance 0.003"), std::string::npos) << v.why;
}

TEST(JudgeSamples, IntegersMustMatchExactly) {
    EXPECT_TRUE(judge_samples({5.0, 5.0, -3.0, -3.0}, 0.0, true, 0, 2).passed);
    EXPECT_FALSE(judge_samples({5.0, 5.0, -3.0, -2.0}, 0.0, true, 0, 2).passed);
}

TEST(JudgeSamples, PoisonAndNonFiniteFailEvenWhenValuesMatch) {
    const auto poisoned = judge_samples({1.0, 1.0}, 1e-3, false, 7, 100);
    EXPECT_FALSE(poisoned.passed);
    EXPECT_NE(poisoned.why.find("7 of 100 outputs still hold the poison"), std::string::npos) << poisoned.why;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto v = judge_samples({nan, 1.0, 1.0, 1.0}, 1e-3, false, 0, 2);
    EXPECT_FALSE(v.passed);
    EXPECT_TRUE(std::isinf(v.error.relative_error));
    EXPECT_NE(v.why.find("1 sampled elements not finite"), std::string::npos) << v.why;
}

} // namespace
} // namespace roofline::cuda
