// choose_config's decisions on an H200's 132 SMs, checked without a GPU: the shapes of bench/w4a16 that each
// branch was measured on (THEORY.md, "Run 6"), and the K split for a narrow N. The GPU test runs them.
#include "kernels/w4a16.hpp"

#include <gtest/gtest.h>

namespace roofline::cuda::w4a16 {
namespace {

struct expected {
    std::int64_t m, n, k;
    int tiles, lean, splits;
};

TEST(W4a16Config, EachBranchOnTheShapesItWasMeasuredOn) {
    for (const auto& e : {
             expected{1, 4096, 4096, 1, 1022, 1},   // every one-tile block resident at two per SM
             expected{16, 4096, 14336, 1, 1022, 1}, // the same at M = 16, activations ahead
             expected{1, 8192, 28672, 1, 24, 1},    // one tile at four per SM: 512 blocks fill 97%
             expected{8, 28672, 8192, 4, 12, 1},    // four tiles fill their last wave as well (85%)
             expected{1, 14336, 4096, 4, 12, 1},    // the same
             expected{16, 8192, 28672, 2, 1012, 1}, // two tiles, all resident at once
             expected{16, 28672, 8192, 4, 12, 1},   // four tiles where two would take 3.4 waves
             expected{40, 4096, 4096, 4, 12, 2},    // three M chunks: four tiles, split until 1.5 per SM
             expected{1, 256, 16384, 1, 1022, 8},   // 16 blocks: split K eight ways
         }) {
        SCOPED_TRACE(std::to_string(e.m) + "x" + std::to_string(e.n) + "x" + std::to_string(e.k));
        const config c = choose_config(e.m, e.n, e.k, 132);
        EXPECT_EQ(c.tiles, e.tiles);
        EXPECT_EQ(c.lean, e.lean);
        EXPECT_EQ(c.splits, e.splits);
        EXPECT_EQ(c.depth, 0);
        EXPECT_EQ(c.stages, 0);
        EXPECT_FALSE(c.bulk);
    }
}

TEST(W4a16Config, TheAlgorithmFieldNamesEveryChoice) {
    const config c = choose_config(16, 8192, 28672, 132);
    EXPECT_EQ(describe(c, 128),
              "lean kernel, row tiles 2, 1 chunks per scale step, 2 blocks per SM, 2 register "
              "stages (activations too), K splits 1");
    // A group of 64 cannot take two chunks per scale step.
    EXPECT_NE(describe(choose_config(1, 4096, 4096, 132), 64).find("1 chunks per scale step"),
              std::string::npos);
    EXPECT_NE(describe(choose_config(1, 4096, 4096, 132), 128).find("2 chunks per scale step"),
              std::string::npos);
}

} // namespace
} // namespace roofline::cuda::w4a16
