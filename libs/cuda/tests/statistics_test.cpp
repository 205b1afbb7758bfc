// The sampler's numbers and its stop rule, CUDA-free.
#include "statistics.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace roofline::cuda {
namespace {

TEST(Statistics, MedianOfOddEvenAndEmpty) {
    EXPECT_EQ(median_of({3.0, 1.0, 2.0}), 2.0);
    EXPECT_EQ(median_of({4.0, 1.0, 2.0, 3.0}), 2.5);
    EXPECT_EQ(median_of({}), 0.0);
}

TEST(Statistics, RelativeSpreadIsSampleStdevOverMean) {
    EXPECT_TRUE(std::isinf(relative_spread({1.0})));
    EXPECT_EQ(relative_spread({2.0, 2.0, 2.0}), 0.0);
    // mean 2, sample stdev 1
    EXPECT_NEAR(relative_spread({1.0, 2.0, 3.0}), 0.5, 1e-12);
}

TEST(StopRule, StopsEarlyOnlyAfterTheFloorAndWithTheWindowClosed) {
    stop_rule r;
    r.target = 30;
    r.floor = 10;
    r.target_spread = 0.005;
    r.max_seconds = 10.0;
    const std::vector<double> steady(10, 1e-3);
    const std::vector<double> few(5, 1e-3);
    EXPECT_FALSE(r.early_stop(few, 0.1, false)); // under the floor
    const auto stop = r.early_stop(steady, 0.1, false);
    ASSERT_TRUE(stop);
    EXPECT_NE(stop->find("stopped early after 10 samples"), std::string::npos) << *stop;
    EXPECT_FALSE(r.early_stop(steady, 0.1, true)); // the telemetry window keeps it going
}

TEST(StopRule, WallCapAndTarget) {
    stop_rule r;
    r.target = 30;
    r.floor = 10;
    r.max_seconds = 1.0;
    const std::vector<double> noisy{1.0, 2.0, 1.0, 2.0};
    EXPECT_FALSE(r.early_stop(noisy, 0.5, false));
    const auto stop = r.early_stop(noisy, 1.5, false);
    ASSERT_TRUE(stop);
    EXPECT_NE(stop->find("at the 1 s cap"), std::string::npos) << *stop;
    const std::vector<double> full(30, 1.0);
    EXPECT_FALSE(r.early_stop(full, 99.0, false)); // at the target: not an early stop
}

} // namespace
} // namespace roofline::cuda
