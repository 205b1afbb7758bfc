// The bandwidth kernels and the shared device identity on a GPU; skips with the reason where there is none.
#include "roofline/ceilings/bandwidth.hpp"

#include <gtest/gtest.h>

using namespace roofline;
using namespace roofline::ceilings;

TEST(bandwidth_gpu, kernels_move_bytes) {
    std::string why;
    if (cuda::device_count(why) == 0) {
        GTEST_SKIP() << "no GPU here: " << why;
    }
    bandwidth_options o;
    o.dram_bytes = 256 << 20;
    o.repeats = 3;
    o.tune = false;
    const auto figures = measure_bandwidth(o);
    ASSERT_EQ(figures.size(), 5U);
    for (const auto& f : figures) {
        EXPECT_GT(f.bytes_per_s(), 1e9) << f.name;
        EXPECT_GE(f.best_bytes_per_s(), f.bytes_per_s()) << f.name;
    }
    EXPECT_EQ(figures[2].name, "dram_copy");
    EXPECT_EQ(figures[2].bytes_per_launch, 2.0 * (256 << 20)); // read + write counted
    const auto id = cuda::query_device(0);
    EXPECT_FALSE(id.name.empty());
    EXPECT_EQ(id.uuid.rfind("GPU-", 0), 0U);
}
