// `roofline model`, `batch`, `spot` and `doctor`: the real binary, its outputs, exit codes and messages.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct run_result {
    int code = -1;
    std::string out;
};

run_result run_cmd(const std::string& cmd) {
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

run_result run(const std::string& args) {
    return run_cmd(std::string(ROOFLINE_BIN) + " " + args + " 2>&1");
}

nlohmann::json run_json(const std::string& args, int want_code = 0) {
    const auto r = run_cmd(std::string(ROOFLINE_BIN) + " " + args + " 2>/dev/null");
    EXPECT_EQ(r.code, want_code) << args;
    return nlohmann::json::parse(r.out);
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

// A scratch directory per test, removed after.
class scratch {
  public:
    scratch() {
        m_dir = std::filesystem::temp_directory_path() /
                ("roofline-wl-" + std::to_string(::getpid()) + "-" + std::to_string(s_next++));
        std::filesystem::create_directories(m_dir);
    }
    ~scratch() {
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        const auto p = m_dir / name;
        std::ofstream(p) << text;
        return p.string();
    }
    std::string path(const std::string& name) const { return (m_dir / name).string(); }

  private:
    static inline int s_next = 0;
    std::filesystem::path m_dir;
};

} // namespace

TEST(cli_model, llama8b_decode_json_has_gemms_and_totals) {
    const auto doc =
        run_json("model llama-3.1-8b --tokens 2048 --phase decode --batch 16 --precision BF16,FP8 "
                 "--hardware h200 --predict-only --format json");
    EXPECT_EQ(doc["kind"], "model");
    EXPECT_EQ(doc["step"]["tokens_in_step"], 16);
    ASSERT_EQ(doc["precisions"].size(), 2U);
    const auto& bf16 = doc["precisions"][0];
    EXPECT_EQ(bf16["scheme"]["name"], "BF16");
    bool saw_q = false;
    for (const auto& g : bf16["gemms"]) {
        for (const char* f : {"name", "count", "M", "N", "K", "a_precision", "b_precision", "flops", "bytes",
                              "ai", "predicted", "measured"}) {
            EXPECT_TRUE(g.contains(f)) << f;
        }
        EXPECT_TRUE(g["predicted"].contains("interval"));
        if (g["name"] == "attn.q_proj") {
            saw_q = true;
            EXPECT_EQ(g["M"], 16);
            EXPECT_EQ(g["N"], 4096);
            EXPECT_EQ(g["K"], 4096);
            // 2 x 16 x 4096 x 4096 FLOPs per layer.
            EXPECT_DOUBLE_EQ(g["flops"].get<double>(), 2.0 * 16 * 4096 * 4096);
        }
    }
    EXPECT_TRUE(saw_q);
    for (const char* t : {"forward", "per_layer", "per_token", "weight_gemms", "attention"}) {
        EXPECT_GT(bf16["totals"][t]["predicted_s"].get<double>(), 0.0) << t;
    }
    EXPECT_EQ(bf16["memory"]["fits"], true);
    EXPECT_LT(doc["precisions"][1]["totals"]["forward"]["predicted_s"].get<double>(),
              bf16["totals"]["forward"]["predicted_s"].get<double>());
}

TEST(cli_model, table_and_csv) {
    const auto t = run("model mixtral-8x7b --tokens 512 --predict-only --hardware h200 --precision W4A16");
    EXPECT_EQ(t.code, 0) << t.out;
    EXPECT_TRUE(contains(t.out, "moe.experts.up_proj")) << t.out;
    EXPECT_TRUE(contains(t.out, "dominant:"));
    EXPECT_TRUE(contains(t.out, "per token"));
    const auto c =
        run("model deepseek-v3 --tokens 1024 --phase decode --predict-only --hardware h200 --format csv");
    EXPECT_EQ(c.code, 0);
    EXPECT_TRUE(contains(c.out, "scheme,gemm,role"));
    EXPECT_TRUE(contains(c.out, "attn.kv_b_proj"));
}

TEST(cli_model, user_config_and_errors_name_the_field) {
    scratch s;
    const auto good =
        s.write("config.json", R"({"model_type":"llama","hidden_size":2048,"intermediate_size":8192,
        "num_attention_heads":16,"num_key_value_heads":4,"num_hidden_layers":4,"vocab_size":32000})");
    const auto doc = run_json("model " + good + " --tokens 128 --predict-only --hardware h200 --format json");
    EXPECT_EQ(doc["model"]["hidden"], 2048);
    const auto bad = s.write("bad.json", R"({"model_type":"llama","hidden_size":2048,"intermediate_size":8192,
        "num_attention_heads":16,"num_hidden_layers":4,"vocab_size":32000})");
    auto r = run("model " + bad + " --tokens 128 --predict-only");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "num_key_value_heads")) << r.out;
    const auto malformed = s.write("malformed.json", "{\"model_type\": ");
    r = run("model " + malformed + " --tokens 128 --predict-only");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "not valid JSON")) << r.out;
    r = run("model llama-3.1-8b --tokens 0 --predict-only");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "--tokens")) << r.out;
    r = run("model llama-3.1-8b --predict-only");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "--tokens is required")) << r.out;
    r = run("model llama-99 --tokens 1 --predict-only");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "llama-3.1-8b")) << r.out; // lists the presets
    r = run("model llama-3.1-8b --tokens 8 --phase train --predict-only");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "--phase")) << r.out;
    r = run("model llama-3.1-8b --tokens 8 --precision W3A3 --predict-only");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "--precision")) << r.out;
}

TEST(cli_batch, csv_file_good_lines_run_bad_lines_named_and_stored) {
    scratch s;
    const auto file =
        s.write("cases.csv", "m,n,k,precision\n4096,4096,4096,FP16\n1,4096,x,BF16\n16,8192,8192,FP8\n");
    const auto db = s.path("runs.db");
    const auto r =
        run_cmd(std::string(ROOFLINE_BIN) + " batch " + file + " --predict-only --hardware h200 --db " + db +
                " --format json 2>" + s.path("err.txt"));
    EXPECT_EQ(r.code, 1); // a line was skipped
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["kind"], "batch");
    ASSERT_EQ(doc["predicted"].size(), 2U);
    ASSERT_EQ(doc["errors"].size(), 1U);
    EXPECT_EQ(doc["errors"][0]["line"], 3);
    EXPECT_EQ(doc["errors"][0]["field"], "k");
    EXPECT_TRUE(doc["run_id"].is_number_integer());
    std::ifstream err(s.path("err.txt"));
    const std::string err_text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(contains(err_text, "line 3, field 'k'")) << err_text;
    EXPECT_TRUE(std::filesystem::exists(db));
}

TEST(cli_batch, stdin_json_and_limit) {
    scratch s;
    const auto r = run_cmd("printf '[{\"shape\":\"1x4096x4096\",\"precision\":\"FP8\"}]' | " +
                           std::string(ROOFLINE_BIN) +
                           " batch - --predict-only --hardware h200 --no-store --format csv 2>&1");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "FP8_E4M3")) << r.out;
    const auto file = s.write("many.csv", "16,16,16,FP16\n16,16,16,FP16\n16,16,16,FP16\n");
    const auto over = run("batch " + file + " --predict-only --no-store --limit 2");
    EXPECT_EQ(over.code, 2);
    EXPECT_TRUE(contains(over.out, "the limit is 2")) << over.out;
    const auto table = run("batch " + file + " --predict-only --no-store --hardware h200");
    EXPECT_EQ(table.code, 0) << table.out;
    EXPECT_TRUE(contains(table.out, "3 case(s) ran"));
}

TEST(cli_spot, gemm_and_custom) {
    const auto doc =
        run_json("spot --op gemm --m 8192 --n 8192 --k 8192 --time 1.5ms --hardware h200 --format json");
    const auto& s = doc["spot"];
    EXPECT_DOUBLE_EQ(s["flops"].get<double>(), 2.0 * 8192 * 8192 * 8192);
    EXPECT_EQ(s["bound"], "compute");
    EXPECT_NEAR(s["achieved_flops_per_s"].get<double>(), 2.0 * 8192 * 8192 * 8192 / 1.5e-3, 1e3);
    EXPECT_GT(s["headroom"].get<double>(), 1.0);
    const auto t = run("spot --flops 1e9 --bytes 4e9 --time 1ms --hardware h200");
    EXPECT_EQ(t.code, 0) << t.out;
    EXPECT_TRUE(contains(t.out, "memory-bound")) << t.out;
    EXPECT_TRUE(contains(t.out, "% of roof"));
    const auto c = run("spot --op rmsnorm --rows 4096 --cols 8192 --time 40us --hardware h200 --format csv");
    EXPECT_EQ(c.code, 0);
    EXPECT_TRUE(contains(c.out, "rmsnorm,BF16"));
}

TEST(cli_spot, errors_name_the_field) {
    auto r = run("spot --op gemm --m 8 --n 8 --time 1us");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "k must be")) << r.out;
    r = run("spot --flops 1 --bytes 1");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "--time")) << r.out;
    r = run("spot --flops 1 --bytes 1 --time -3us");
    EXPECT_EQ(r.code, 2);
    r = run("spot --op conv --time 1us");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.out, "op must be")) << r.out;
}

TEST(cli_doctor, json_lists_checks_and_exit_code_follows_required) {
    scratch s;
    const auto doc = run_json("doctor --format json --port 0 --db " + s.path("d.db"));
    EXPECT_EQ(doc["kind"], "doctor");
    EXPECT_EQ(doc["ok"], true);
    std::set<std::string> names;
    for (const auto& c : doc["checks"]) {
        names.insert(c["name"].get<std::string>());
        EXPECT_TRUE(c.contains("next"));
        if (c["status"] != "ok") {
            EXPECT_FALSE(c["next"].get<std::string>().empty()) << c["name"];
        }
    }
    for (const char* n : {"build: CUDA", "build: NVML telemetry", "build: web app", "GPU",
                          "hardware registry", "model presets", "calibration", "database"}) {
        EXPECT_TRUE(names.contains(n)) << n;
    }
    // A database in a directory nobody may write is a required failure: exit 1.
    if (::geteuid() != 0) {
        const auto locked = s.path("locked");
        std::filesystem::create_directories(locked);
        std::filesystem::permissions(locked,
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
        const auto r = run("doctor --port 0 --db " + locked + "/x.db");
        EXPECT_EQ(r.code, 1) << r.out;
        EXPECT_TRUE(contains(r.out, "not writable")) << r.out;
        std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
    } else {
        std::cout
            << "[ note ] running as root: the unwritable-database case cannot be set up; checked the bad "
               "registry instead\n";
    }
    scratch bad;
    bad.write("broken.json", "{");
    const auto r = run("--hardware-dir " + bad.path("") + " doctor --port 0 --db " + s.path("d.db"));
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(contains(r.out, "[MISS] hardware registry")) << r.out;
}
