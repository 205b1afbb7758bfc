// Runs the real `roofline` binary and checks its outputs, exit codes and error messages.
#include "paths.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace {

struct run_result {
    int code = -1;
    std::string out; // stdout and stderr together
};

run_result run(const std::string& args, const std::string& env = "") {
    const std::string cmd = env + std::string(ROOFLINE_BIN) + " " + args + " 2>&1";
    run_result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
        return r;
    }
    std::array<char, 4096> buf{};
    while (const auto n = fread(buf.data(), 1, buf.size(), pipe)) {
        r.out.append(buf.data(), n);
    }
    const int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// stdout only, for JSON
nlohmann::json run_json(const std::string& args, const std::string& env = "") {
    const std::string cmd = env + std::string(ROOFLINE_BIN) + " " + args + " 2>/dev/null";
    std::string out;
    FILE* pipe = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (const auto n = fread(buf.data(), 1, buf.size(), pipe)) {
        out.append(buf.data(), n);
    }
    EXPECT_EQ(pclose(pipe), 0) << args;
    return nlohmann::json::parse(out);
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

} // namespace

TEST(cli, json_reproduces_issue_examples) {
    const auto doc = run_json("analyze --predict-only --shape 4096x4096x4096 --precision fp16,fp8,nvfp4,int8 "
                              "--hardware b10 --format json");
    ASSERT_EQ(doc["points"].size(), 4U);
    EXPECT_NEAR(doc["points"][0]["ai"].get<double>(), 1365.33333, 1e-4);
    EXPECT_EQ(doc["points"][1]["ai"].get<double>(), 2048.0);
    EXPECT_EQ(doc["points"][2]["ai"].get<double>(), 2621.44);
    EXPECT_NEAR(doc["points"][3]["ai"].get<double>(), 1365.33333, 1e-4);
    for (const auto& p : doc["points"]) {
        EXPECT_EQ(p["source"], "predicted");
        for (const char* f : {"precision", "flops", "bytes", "ai", "tflops", "time_us", "bound"}) {
            EXPECT_TRUE(p.contains(f)) << f;
        }
    }
    EXPECT_EQ(doc["hardware"]["key"], "b10");
    EXPECT_TRUE(doc["hardware"]["roofs"].is_array());
    EXPECT_EQ(doc["schema_version"], 1);
}

TEST(cli, table_and_csv_show_the_same_figures) {
    const auto t = run("analyze --predict-only -M 4096 -N 4096 -K 4096 --precision fp8 --hardware h100-sxm");
    EXPECT_EQ(t.code, 0) << t.out;
    EXPECT_TRUE(contains(t.out, "2048.00")) << t.out;
    EXPECT_TRUE(contains(t.out, "predicted")) << t.out;
    EXPECT_TRUE(contains(t.out, "compute")) << t.out;
    const auto c =
        run("analyze --predict-only --shape 4096x4096x4096 --precision nvfp4 --hardware b10 --format csv");
    EXPECT_EQ(c.code, 0) << c.out;
    EXPECT_TRUE(contains(c.out, ",2621.44,")) << c.out;
    EXPECT_TRUE(contains(c.out, "label,precision,")) << c.out;
}

TEST(cli, sweep_is_the_seeds_five) {
    const auto doc = run_json(
        "analyze --predict-only --shape 1x4096x4096 --all-precisions --hardware h100-sxm --format json");
    ASSERT_EQ(doc["points"].size(), 5U);
    EXPECT_EQ(doc["points"][2]["precision"], "NVFP4");
    EXPECT_EQ(doc["points"][2]["disposition"], "not_supported");
    EXPECT_TRUE(doc["points"][2]["tflops"].is_null());
    EXPECT_EQ(doc["points"][0]["bound"], "memory");
}

TEST(cli, rejects_bad_input_naming_the_field) {
    struct bad_case {
        const char* args;
        const char* expect;
    };
    for (const auto& c : std::array<bad_case, 12>{{
             {"analyze --shape 0x4096x4096", "M must be an integer in [1, 2147483647]"},
             {"analyze --shape 4096x-1x4096", "N must be an integer in [1, 2147483647]"},
             {"analyze --shape 4096x4096xabc", "K must be an integer in [1, 2147483647]"},
             {"analyze --shape 4096x4096x2147483648", "too large"},
             {"analyze --shape 4096x4096x99999999999999999999", "too large"},
             {"analyze --shape 4096x4096", "--shape must be MxNxK"},
             {"analyze --shape 8x8x8 --precision fp7", "unknown precision 'fp7'"},
             {"analyze --shape 8x8x8 --hardware nope", "unknown hardware 'nope'; valid keys:"},
             {"analyze --shape 8x8x8 --format xml", "--format must be one of table, json, csv"},
             {"analyze -M 8 -N 8", "a shape is required"},
             {"analyze --shape 8x8x8 --pacing gentle", "--pacing: pacing must be 'paced' or 'continuous'"},
             {"analyze --shape 8x8x8 --telemetry-seconds 11", "--telemetry-seconds: must be in [0, 10]"},
         }}) {
        const auto r = run(std::string(c.args) + " --predict-only");
        EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
        EXPECT_TRUE(contains(r.out, c.expect)) << c.args << "\n" << r.out;
    }
    EXPECT_EQ(run("frobnicate").code, 2);
}

TEST(cli, mixed_precision_and_beta) {
    const auto doc =
        run_json("analyze --predict-only --shape 16x4096x4096 --precision fp16 --b-precision int4 "
                 "--hardware h100-sxm --format json");
    EXPECT_EQ(doc["points"][0]["precision"], "FP16xINT4->FP16");
    // INT4 weights plus one FP16 scale per group of 128 along K (issue 12); --group-size 64 doubles the
    // scales.
    EXPECT_EQ(doc["points"][0]["b_bytes"], 4096 * 4096 / 2 + 4096 * 32 * 2);
    const auto g64 =
        run_json("analyze --predict-only --shape 16x4096x4096 --precision fp16 --b-precision int4 "
                 "--group-size 64 --hardware h100-sxm --format json");
    EXPECT_EQ(g64["points"][0]["b_bytes"], 4096 * 4096 / 2 + 4096 * 64 * 2);
    // Issue 12: predicted points carry an interval, the calibrated flag, pacing and clock; 1x1x1 is not 0 us.
    const auto one =
        run_json("analyze --predict-only --shape 1x1x1 --precision fp16 --hardware h200 --format json");
    EXPECT_GT(one["points"][0]["time_us"].get<double>(), 1.0);
    EXPECT_TRUE(one["points"][0]["prediction"]["calibrated"].get<bool>());
    EXPECT_EQ(one["points"][0]["pacing"], "paced");
    EXPECT_EQ(one["hardware"]["matched_by"], "requested: h200");
    const auto table = run("analyze --predict-only --shape 4096x4096x4096 --precision bf16 --hardware h200");
    EXPECT_TRUE(contains(table.out, "clock MHz")) << table.out;
    EXPECT_TRUE(contains(table.out, "1980")) << table.out;
    EXPECT_TRUE(contains(table.out, "meas/pred")) << table.out;
    const auto csv =
        run("analyze --predict-only --shape 4096x4096x4096 --precision bf16 --hardware h200 --format csv");
    EXPECT_TRUE(contains(csv.out, "fraction_of_roof_at_run_clock")) << csv.out;
    EXPECT_TRUE(contains(csv.out, ",paced,1980")) << csv.out;
    const auto beta =
        run_json("analyze --predict-only --shape 64x64x64 --precision fp8 --out-precision fp32 --beta 1 "
                 "--hardware h100-sxm --format json");
    EXPECT_EQ(beta["points"][0]["c_bytes"], 64 * 64 * 4);
}

TEST(cli, hardware_list_and_show) {
    const auto l = run("hardware list");
    EXPECT_EQ(l.code, 0);
    EXPECT_TRUE(contains(l.out, "h100-sxm"));
    EXPECT_TRUE(contains(l.out, "b10"));
    const auto s = run("hardware show b10");
    EXPECT_EQ(s.code, 0) << s.out;
    EXPECT_TRUE(contains(s.out, "source:")) << s.out;
    const auto j = run_json("hardware show gb10 --format json");
    EXPECT_EQ(j["key"], "b10");
    EXPECT_TRUE(j["peaks"].contains("NVFP4"));
    const auto bad = run("hardware show nope");
    EXPECT_EQ(bad.code, 2);
    EXPECT_TRUE(contains(bad.out, "valid keys"));
}

TEST(cli, bad_registry_directory_names_file_and_field) {
    const auto r = run("--hardware-dir " + std::string(ROOFLINE_SOURCE_DIR) +
                       "/libs/core/tests/bad_hardware hardware list");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "broken.json")) << r.out;
    EXPECT_TRUE(contains(r.out, "peaks.FP16.tflops")) << r.out;
}

TEST(cli, measured_roofs_from_a_profile) {
    // The profile `roofline ceilings` saved on the H100 stands in for this machine's.
    const auto dir = std::string(ROOFLINE_SOURCE_DIR) + "/bench/telemetry/results";
    std::ifstream in(dir + "/h100_measured_profile.json");
    const auto profile = nlohmann::json::parse(in);
    double bf16_burst = 0.0;
    for (const auto& c : profile["compute"]) {
        if (c["precision"] == "BF16") {
            bf16_burst = c["burst_flops_per_s"].get<double>();
        }
    }
    ASSERT_GT(bf16_burst, 0.0);
    const auto doc =
        run_json("analyze --predict-only --shape 8192x8192x8192 -p bf16 --hardware h100-sxm --roof measured"
                 " --format json",
                 "ROOFLINE_PROFILE_DIR=" + dir + " ");
    EXPECT_EQ(doc["hardware"]["key"], "h100-sxm-measured");
    EXPECT_NEAR(doc["points"][0]["roof"]["compute_roof_tflops"].get<double>(), bf16_burst / 1e12, 1e-3);

    const auto missing =
        run("analyze --predict-only --shape 8x8x8 --roof measured", "ROOFLINE_PROFILE_DIR=/nonexistent ");
    EXPECT_EQ(missing.code, 2) << missing.out;
    EXPECT_TRUE(contains(missing.out, "run `roofline ceilings`")) << missing.out;
    EXPECT_EQ(run("analyze --predict-only --shape 8x8x8 --roof best").code, 2);
}

// `roofline calibrate` end to end on a CPU: measurements replayed from a JSON-lines file (the H100 points of
// bench/gpu_engine), a profile written, and analyze then predicting from it.
TEST(cli, calibrate_replays_fits_and_analyze_uses_the_profile) {
    const auto dir = std::filesystem::temp_directory_path() / "roofline_cli_calibrate";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto replay = std::string(ROOFLINE_SOURCE_DIR) + "/bench/prediction/h100_bench.jsonl";
    const auto r = run("calibrate --replay " + replay + " --all-shapes --hardware h100-sxm -o " +
                       (dir / "h100-sxm.json").string());
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "calibration profile for h100-sxm")) << r.out;
    EXPECT_TRUE(contains(r.out, "calibrate: fit pass")) << r.out;
    ASSERT_TRUE(std::filesystem::exists(dir / "h100-sxm.json"));
    const auto doc =
        run_json("analyze --predict-only --shape 4096x4096x4096 --precision fp16 --hardware h100-sxm "
                 "--format json",
                 "ROOFLINE_CALIBRATION_DIR=" + dir.string() + " ");
    const auto basis = doc["points"][0]["prediction"]["basis"].get<std::string>();
    EXPECT_TRUE(contains(basis, (dir / "h100-sxm.json").string())) << basis;
    EXPECT_TRUE(doc["points"][0]["prediction"]["calibrated"].get<bool>());
    // Without a GPU and without --replay there is nothing to fit: a usage error naming the way out.
    const auto none = run("calibrate -o " + (dir / "x.json").string());
    EXPECT_EQ(none.code, 2) << none.out;
    EXPECT_TRUE(contains(none.out, "--replay")) << none.out;
    std::filesystem::remove_all(dir);
}

// --- what a new user's typing found (issue 17)
// --------------------------------------------------------------

TEST(cli, a_mistyped_subcommand_or_option_names_the_nearest) {
    auto r = run("analyse --shape 1x1x1");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "did you mean 'roofline analyze'?")) << r.out;
    r = run("hardware shwo b10");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "did you mean 'roofline hardware show'?")) << r.out;
    r = run("analyze --predict-only --shape 1x1x1 --formt json");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "did you mean '--format'?")) << r.out;
    // Nothing close: no guess, but the way to the list.
    r = run("frobnicate");
    EXPECT_EQ(r.code, 2);
    EXPECT_FALSE(contains(r.out, "did you mean")) << r.out;
    EXPECT_TRUE(contains(r.out, "roofline --help lists them")) << r.out;
    // Correct command lines are untouched.
    EXPECT_EQ(run("hardware show b10").code, 0);
}

TEST(cli, the_precision_error_lists_gemm_inputs_only) {
    auto r = run("analyze --predict-only --shape 64x64x64 -p fp99");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "valid: ")) << r.out;
    EXPECT_TRUE(contains(r.out, "INT4")) << r.out;
    EXPECT_FALSE(contains(r.out, "INT32")) << r.out;
    r = run("analyze --predict-only --shape 64x64x64 -p int32");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "INT32 is an accumulator and output format, not a GEMM input")) << r.out;
    // As an output precision INT32 is right, and taken.
    EXPECT_EQ(run("analyze --predict-only --shape 64x64x64 -p int8 --out-precision int32").code, 0);
}

TEST(cli, the_table_stays_aligned_at_the_largest_shape) {
    const auto r =
        run("analyze --predict-only --shape 2147483647x2147483647x2147483647 -p fp16,int8 --hardware b10");
    ASSERT_EQ(r.code, 0) << r.out;
    // Every row of the table ends its "source" column at the header's position, and no two values touch.
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) {
        if (l.starts_with("precision") || l.ends_with("  predicted")) {
            lines.push_back(l);
        }
    }
    ASSERT_EQ(lines.size(), 3U) << r.out;
    const auto at = lines[0].find("source");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        EXPECT_EQ(lines[i].find("predicted"), at) << r.out;
    }
    // The header's column ends (right-aligned) line up with each value's end.
    for (const char* col : {"FLOPs", "bytes", "time us", "TFLOP/s"}) {
        const auto end = lines[0].find(col) + std::string(col).size();
        for (std::size_t i = 1; i < lines.size(); ++i) {
            ASSERT_LT(end, lines[i].size());
            EXPECT_NE(lines[i][end - 1], ' ') << col << "\n" << r.out;
            EXPECT_EQ(lines[i][end], ' ') << col << "\n" << r.out;
        }
    }
}

TEST(cli, serve_without_a_gpu_says_so_plainly) {
    // The worker on a machine without a GPU refuses 'device'; the server then stops it. Neither that nor the
    // missing driver may read as a crash or as "upgrade your driver".
    const std::string db = testing::TempDir() + "/cli_serve_no_gpu.db";
    const auto r = run("serve --host 127.0.0.1 --port 0 --db " + db + " --worker-command '" +
                           std::string(ROOFLINE_BIN) + " worker'",
                       "timeout -s TERM 4 ");
    EXPECT_TRUE(contains(r.out, "listening on")) << r.out;
    EXPECT_TRUE(contains(r.out, "prediction-only")) << r.out;
    EXPECT_FALSE(contains(r.out, "killed by signal")) << r.out;
    EXPECT_FALSE(contains(r.out, "driver version is insufficient")) << r.out;
    const auto plain = run("serve --host 127.0.0.1 --port 0 --db " + db, "timeout -s TERM 3 ");
    EXPECT_FALSE(contains(plain.out, "killed by signal")) << plain.out;
    EXPECT_FALSE(contains(plain.out, "driver version is insufficient")) << plain.out;
    if (!std::ifstream("/proc/driver/nvidia/version")) {
        EXPECT_TRUE(contains(plain.out, "no NVIDIA driver found on this machine; prediction-only") ||
                    contains(plain.out, "built without nvcc"))
            << plain.out;
    }
}

namespace {

// Restores one environment variable when the test leaves.
class scoped_env {
  public:
    scoped_env(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name); old != nullptr) {
            m_old = old;
        }
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;
    ~scoped_env() {
        if (m_old) {
            ::setenv(m_name, m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name);
        }
    }

  private:
    const char* m_name;
    std::optional<std::string> m_old;
};

} // namespace

// The engine reads no environment variable; the app resolves the algorithm cache's folder (issue 11).
TEST(paths, algorithm_cache_dir_follows_the_xdg_rule) {
    {
        const scoped_env o("ROOFLINE_ALGO_CACHE_DIR", "/tmp/rl-algo");
        EXPECT_EQ(roofline::cli::algorithm_cache_dir(), std::filesystem::path("/tmp/rl-algo"));
    }
    const scoped_env o("ROOFLINE_ALGO_CACHE_DIR", nullptr);
    {
        const scoped_env x("XDG_CACHE_HOME", "/tmp/rl-xdg");
        EXPECT_EQ(roofline::cli::algorithm_cache_dir(), std::filesystem::path("/tmp/rl-xdg/roofline"));
    }
    const scoped_env x("XDG_CACHE_HOME", nullptr);
    {
        const scoped_env h("HOME", "/tmp/rl-home");
        EXPECT_EQ(roofline::cli::algorithm_cache_dir(),
                  std::filesystem::path("/tmp/rl-home/.cache/roofline"));
    }
    const scoped_env h("HOME", nullptr);
    EXPECT_TRUE(roofline::cli::algorithm_cache_dir().empty());
}
