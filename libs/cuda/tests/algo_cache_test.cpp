// The on-disk algorithm cache: round trip, and a corrupt file is ignored and rewritten, never an error.
#include "algo_cache.hpp"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <random>

namespace roofline::cuda {
namespace {

std::filesystem::path fresh_dir(const char* name) {
    const auto dir = std::filesystem::temp_directory_path() / (std::string("roofline_cache_test_") + name +
                                                               "_" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir);
    return dir;
}

algo_record sample_record() {
    algo_record r;
    for (std::size_t i = 0; i < r.algo.size(); ++i) {
        r.algo[i] = 0xFEDCBA9876543210ull ^ i; // beyond 2^53: must survive JSON exactly
    }
    r.layout = "TN";
    r.description = "cuBLASLt algo 66, tile 256x128";
    r.median_s = 1.25e-4;
    r.candidates = 16;
    return r;
}

TEST(AlgoCache, RoundTripsThroughTheFile) {
    const auto dir = fresh_dir("roundtrip");
    const auto file = dir / "cublaslt_algorithms.json";
    {
        algo_cache cache(file);
        EXPECT_TRUE(cache.load_warning().empty());
        EXPECT_FALSE(cache.find("k"));
        std::string why;
        ASSERT_TRUE(cache.store("k", sample_record(), why)) << why;
    }
    algo_cache again(file);
    const auto got = again.find("k");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->algo, sample_record().algo);
    EXPECT_EQ(got->description, sample_record().description);
    EXPECT_EQ(got->candidates, 16u);
    EXPECT_EQ(got->layout, "TN");
    EXPECT_DOUBLE_EQ(got->median_s, 1.25e-4);
    std::filesystem::remove_all(dir);
}

TEST(AlgoCache, CorruptFileIsIgnoredThenRewritten) {
    const auto dir = fresh_dir("corrupt");
    std::filesystem::create_directories(dir);
    const auto file = dir / "cublaslt_algorithms.json";
    std::ofstream(file) << "{\"schema_version\": 2, \"entries\": {\"k\": {\"algo\": [\"0x1\"]}}"; // cut short
    algo_cache cache(file);
    EXPECT_NE(cache.load_warning().find("corrupt"), std::string::npos) << cache.load_warning();
    EXPECT_EQ(cache.size(), 0u);
    std::string why;
    ASSERT_TRUE(cache.store("k2", sample_record(), why)) << why;
    algo_cache reread(file);
    EXPECT_TRUE(reread.load_warning().empty()) << reread.load_warning();
    EXPECT_TRUE(reread.find("k2"));
    std::filesystem::remove_all(dir);
}

TEST(AlgoCache, WrongShapeOfEntryCountsAsCorrupt) {
    const auto dir = fresh_dir("shape");
    std::filesystem::create_directories(dir);
    const auto file = dir / "cublaslt_algorithms.json";
    std::ofstream(file)
        << R"({"schema_version": 2, "entries": {"k": {"layout": "TN", "algo": ["0x1", "0x2"]}}})";
    const algo_cache cache(file);
    EXPECT_FALSE(cache.load_warning().empty());
    EXPECT_FALSE(cache.find("k"));
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace roofline::cuda
