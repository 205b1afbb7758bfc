// Model presets, config parsing, GEMM derivation (hand counts written out), spot check and batch files.
#include "roofline/core/perf_model.hpp"
#include "roofline/core/workload/batch_file.hpp"
#include "roofline/core/workload/model_gemms.hpp"
#include "roofline/core/workload/spot_check.hpp"
#include "roofline/core/workload/workload_report.hpp"

#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace roofline;
using namespace roofline::workload;

namespace {

const model_config& preset(const char* key) {
    const auto* p = find_preset(key);
    if (p == nullptr) {
        throw std::runtime_error(std::string("no preset ") + key);
    }
    return *p;
}

const layer_gemm& gemm_named(const model_workload& w, const std::string& name) {
    for (const auto& g : w.gemms) {
        if (g.name == name) {
            return g;
        }
    }
    throw std::runtime_error("no GEMM " + name);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

TEST(Presets, AllTenLoadAndCiteTheirSource) {
    const auto& all = builtin_presets();
    ASSERT_EQ(all.size(), 10u);
    for (const char* key : {"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "qwen2.5-7b", "qwen2.5-72b",
                            "mistral-7b", "mixtral-8x7b", "deepseek-v3", "gpt-oss-20b", "gpt-oss-120b"}) {
        const auto& p = preset(key);
        EXPECT_NE(p.source_url.find("huggingface.co/"), std::string::npos) << key;
        EXPECT_NE(p.source_url.find("config.json"), std::string::npos) << key;
    }
    EXPECT_NE(find_preset("LLAMA-3.1-8B"), nullptr);
    EXPECT_EQ(find_preset("llama-9"), nullptr);
}

TEST(Presets, FiguresMatchThePublishedConfigs) {
    const auto& l8 = preset("llama-3.1-8b");
    EXPECT_EQ(l8.hidden, 4096);
    EXPECT_EQ(l8.ffn, 14336);
    EXPECT_EQ(l8.heads, 32);
    EXPECT_EQ(l8.kv_heads, 8);
    EXPECT_EQ(l8.head_dim, 128);
    EXPECT_EQ(l8.vocab, 128256);
    EXPECT_EQ(l8.layers, 32);
    const auto& ds = preset("deepseek-v3");
    ASSERT_TRUE(ds.moe && ds.mla);
    EXPECT_EQ(ds.moe->routed_experts, 256);
    EXPECT_EQ(ds.moe->top_k, 8);
    EXPECT_EQ(ds.moe->shared_experts, 1);
    EXPECT_EQ(ds.moe->first_dense_layers, 3);
    EXPECT_EQ(ds.mla->q_lora_rank, 1536);
    EXPECT_EQ(ds.mla->kv_lora_rank, 512);
    const auto& oss = preset("gpt-oss-120b");
    EXPECT_EQ(oss.head_dim, 64);
    EXPECT_EQ(oss.count_sliding_layers(), 18);
    EXPECT_EQ(oss.sliding_window, 128);
    EXPECT_EQ(preset("gpt-oss-20b").moe->routed_experts, 32);
}

// Total parameters against the figures the model cards publish (norms and biases left out: < 0.1%).
TEST(Presets, WeightParametersMatchTheModelCards) {
    auto near = [](double got, double want, double tol) { return std::abs(got / want - 1.0) < tol; };
    EXPECT_TRUE(near(weight_parameters(preset("llama-3.1-8b")), 8.03e9, 0.005));
    EXPECT_TRUE(near(weight_parameters(preset("llama-3.1-70b")), 70.6e9, 0.005));
    EXPECT_TRUE(near(weight_parameters(preset("llama-3.1-405b")), 405.8e9, 0.005));
    EXPECT_TRUE(near(weight_parameters(preset("mixtral-8x7b")), 46.7e9, 0.005));
    // DeepSeek-V3: 671B without the 14B multi-token-prediction module.
    EXPECT_TRUE(near(weight_parameters(preset("deepseek-v3")), 671e9, 0.005));
    EXPECT_TRUE(near(weight_parameters(preset("qwen2.5-7b")), 7.61e9, 0.005));
    EXPECT_TRUE(near(weight_parameters(preset("gpt-oss-120b")), 116.8e9, 0.01));
}

// Llama-3.1-8B, one layer, by hand:
//   q 4096x4096 = 16,777,216; k, v 4096x1024 = 4,194,304 each; o 4096x4096 = 16,777,216;
//   gate, up, down 4096x14336 = 58,720,256 each -> 218,103,808 weights per layer.
//   Weight FLOPs per layer = 2 x tokens x 218,103,808.
//   Attention (prefill, 1 x 2048): score 2 x 32 heads x 2048 x 2048 x 128 = 34,359,738,368; value the same.
TEST(ModelGemms, Llama8BLayerFlopsByHand) {
    const auto& c = preset("llama-3.1-8b");
    const auto prefill = derive_gemms(c, {phase::prefill, 1, 2048});
    EXPECT_DOUBLE_EQ(prefill.layer_flops(0, gemm_role::weight), 2.0 * 2048 * 218103808.0);
    EXPECT_DOUBLE_EQ(prefill.layer_flops(0, gemm_role::attention), 2 * 34359738368.0);
    const auto decode = derive_gemms(c, {phase::decode, 16, 2048});
    EXPECT_DOUBLE_EQ(decode.layer_flops(5, gemm_role::weight), 2.0 * 16 * 218103808.0);
    // Decode attention: 16 sequences x 8 KV heads, M = 4 query heads per group, over 2049 cached tokens.
    const auto& score = gemm_named(decode, "attn.score");
    EXPECT_EQ(score.m, 4);
    EXPECT_EQ(score.n, 2049);
    EXPECT_EQ(score.k, 128);
    EXPECT_DOUBLE_EQ(score.count, 128);
    const auto& lm = gemm_named(decode, "lm_head");
    EXPECT_EQ(lm.m, 16);
    EXPECT_EQ(lm.n, 128256);
    const auto fused = derive_gemms(c, {phase::decode, 1, 1, true, true});
    EXPECT_EQ(gemm_named(fused, "attn.qkv_proj").n, 4096 + 2 * 1024);
    EXPECT_EQ(gemm_named(fused, "mlp.gate_up_proj").n, 2 * 14336);
    EXPECT_DOUBLE_EQ(fused.layer_flops(0, gemm_role::weight), 2.0 * 218103808.0);
}

// Mixtral-8x7B, one layer, by hand:
//   attention projections as Llama-3.1-8B: 16,777,216 x 2 + 4,194,304 x 2 = 41,943,040;
//   router 4096 x 8 = 32,768; each token runs top-2 experts of 3 x 4096 x 14336 = 176,160,768 weights.
//   Decode, batch 1: 2 x (41,943,040 + 32,768 + 2 x 176,160,768) = 788,594,688 FLOPs.
//   Prefill 2048 tokens: 2 x 2048 x (41,943,040 + 32,768 + 2 x 176,160,768); all 8 experts active, 512 rows
//   each.
TEST(ModelGemms, Mixtral8x7BLayerFlopsByHand) {
    const auto& c = preset("mixtral-8x7b");
    const auto decode = derive_gemms(c, {phase::decode, 1, 512});
    EXPECT_DOUBLE_EQ(decode.layer_flops(0, gemm_role::weight), 788594688.0);
    EXPECT_NEAR(gemm_named(decode, "moe.experts.up_proj").count, 2.0, 1e-9);
    const auto prefill = derive_gemms(c, {phase::prefill, 1, 2048});
    EXPECT_NEAR(prefill.layer_flops(31, gemm_role::weight),
                2.0 * 2048 * (41943040.0 + 32768.0 + 2 * 176160768.0), 1.0);
    const auto& up = gemm_named(prefill, "moe.experts.up_proj");
    EXPECT_NEAR(up.count, 8.0, 1e-9);
    EXPECT_EQ(up.m, 512);
    EXPECT_EQ(up.weight_copies, 8);
}

// DeepSeek-V3, one layer at decode batch 1, by hand:
//   MLA: q_a 7168x1536 = 11,010,048; q_b 1536x(128x192) = 37,748,736; kv_a 7168x(512+64) = 4,128,768;
//        kv_b 512x(128x(128+128)) = 16,777,216; o (128x128)x7168 = 117,440,512 -> 187,105,280.
//   Dense layers 0-2: MLP 3 x 7168 x 18432 = 396,361,728 -> 2 x 583,467,008 = 1,166,934,016 FLOPs.
//   MoE layers 3-60: router 7168 x 256 = 1,835,008; 8 routed + 1 shared experts of 3 x 7168 x 2048 =
//   44,040,192
//        -> 2 x (187,105,280 + 1,835,008 + 9 x 44,040,192) = 1,170,604,032 FLOPs.
TEST(ModelGemms, DeepSeekV3LayerFlopsByHand) {
    const auto& c = preset("deepseek-v3");
    const auto w = derive_gemms(c, {phase::decode, 1, 4096});
    EXPECT_NEAR(w.layer_flops(0, gemm_role::weight), 1166934016.0, 1.0);
    EXPECT_NEAR(w.layer_flops(2, gemm_role::weight), 1166934016.0, 1.0);
    EXPECT_NEAR(w.layer_flops(3, gemm_role::weight), 1170604032.0, 1.0);
    EXPECT_NEAR(w.layer_flops(60, gemm_role::weight), 1170604032.0, 1.0);
    EXPECT_EQ(gemm_named(w, "attn.q_b_proj").n, 24576);
    EXPECT_EQ(gemm_named(w, "attn.kv_a_proj_with_mqa").n, 576);
    EXPECT_EQ(w.occurrences(layer_set::moe), 58);
    EXPECT_EQ(w.occurrences(layer_set::dense), 3);
    // Batch 16: 256 x (1 - (1 - 8/256)^16) experts active on average, 128 token-expert pairs among them.
    const auto b16 = derive_gemms(c, {phase::decode, 16, 4096});
    const auto& up = gemm_named(b16, "moe.experts.up_proj");
    EXPECT_NEAR(up.count, 256 * (1 - std::pow(1 - 8.0 / 256, 16)), 1e-9);
    EXPECT_NEAR(up.count * up.rows, 128.0, 1e-9);
    EXPECT_EQ(up.m, 2);
}

TEST(ModelGemms, SlidingLayersCapTheContext) {
    const auto w = derive_gemms(preset("gpt-oss-20b"), {phase::decode, 1, 4096});
    EXPECT_EQ(gemm_named(w, "attn.score.sliding").n, 128);
    EXPECT_EQ(gemm_named(w, "attn.score.full").n, 4097);
    EXPECT_EQ(w.occurrences(layer_set::sliding), 12);
}

TEST(ModelGemms, BadShapesNameTheField) {
    const auto& c = preset("llama-3.1-8b");
    try {
        (void)derive_gemms(c, {phase::prefill, 1, 0});
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("tokens"), std::string::npos);
    }
    EXPECT_THROW((void)derive_gemms(c, {phase::decode, 0, 1}), std::invalid_argument);
    EXPECT_THROW((void)parse_phase("train"), std::invalid_argument);
}

TEST(PrecisionScheme, NamedAndMixed) {
    const auto w4 = parse_precision_scheme("w4a16");
    EXPECT_EQ(w4.weights, precision_id::w4a16);
    EXPECT_EQ(w4.activations, precision_id::fp16);
    // Its GEMMs are the catalogue's W4A16 pair (what the engine's W4A16 kernel runs).
    layer_gemm g;
    g.m = 16;
    g.n = 4096;
    g.k = 4096;
    g.rows = 16;
    EXPECT_EQ(problem_for(g, w4).precision_label(), "W4A16");
    const auto int4 = parse_precision_scheme("INT4/BF16");
    EXPECT_EQ(int4.weights, precision_id::int4);
    const auto fp8 = parse_precision_scheme("FP8");
    EXPECT_EQ(fp8.weights, precision_id::fp8_e4m3);
    EXPECT_EQ(fp8.name, "FP8");
    const auto w8 = parse_precision_scheme("W8A8");
    EXPECT_EQ(w8.attention(), precision_id::bf16);
    const auto mixed = parse_precision_scheme("int4/fp16");
    EXPECT_EQ(mixed.name, "INT4/FP16");
    EXPECT_THROW((void)parse_precision_scheme("w3a5"), std::invalid_argument);
    EXPECT_EQ(parse_precision_schemes("BF16, FP8,bf16").size(), 2u);
}

TEST(ModelEstimate, Llama8BDecodeOnH200) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h200");
    const auto w = derive_gemms(preset("llama-3.1-8b"), {phase::decode, 1, 2048});
    const auto bf16 = estimate_model(w, parse_precision_scheme("BF16"), hw);
    // Decode at batch 1 reads every GEMM weight once (the embedding table only by row): the floor is their
    // ~15 GB in BF16 over 4.8 TB/s.
    EXPECT_NEAR(bf16.weight_bytes, 2 * weight_parameters(w.config), 1.0);
    const double embedding_bytes = 2.0 * 128256 * 4096;
    const double bandwidth_bound = (bf16.weight_bytes - embedding_bytes) / 4.8e12;
    // The performance model puts a launch floor (a few us) under every GEMM instance and streams at a share
    // of the datasheet bandwidth, so decode is no longer the bare bytes / 4.8 TB/s: each weight GEMM instance
    // takes max(floor + max(compute, memory), roofline bound) (perf_model.hpp), and their sum is above the
    // bound. Attention's products are many small instances (batch x heads per layer), so their floors add up
    // too.
    const auto* profile = perf_model::builtin().profile_for("h200");
    ASSERT_NE(profile, nullptr);
    const double split_k_overhead = profile->params.split_k_overhead_s;
    double roofline_sum = 0;
    double model_sum = 0;
    double weight_best = 0;
    std::string weight_dominant;
    for (const auto& g : bf16.gemms) {
        EXPECT_EQ(g.predicted.status, disposition::passed) << g.gemm.name;
        EXPECT_LT(g.ai(), 10.0) << g.gemm.name; // decode at batch 1 is far below the ridge
        ASSERT_TRUE(g.predicted.prediction) << g.gemm.name;
        const auto& t = g.predicted.prediction->terms;
        const double n = static_cast<double>(g.occurrences) * g.gemm.count;
        EXPECT_GE(g.predicted.time_s, t.roofline_s) << g.gemm.name; // never above a roof
        if (g.gemm.role == gemm_role::weight) {
            roofline_sum += n * t.roofline_s;
            // Split-K adds its reduction phase (perf_model.hpp), a parameter of the H200's profile.
            const double split = t.split_k > 1 ? split_k_overhead : 0.0;
            model_sum += n * std::max(t.floor_s + std::max(t.memory_s, t.compute_s) + split, t.roofline_s);
            if (n * g.predicted.time_s > weight_best) {
                weight_best = n * g.predicted.time_s;
                weight_dominant = g.gemm.name;
            }
        }
    }
    EXPECT_NEAR(roofline_sum, bandwidth_bound + embedding_bytes / 128256 / 4.8e12, bandwidth_bound * 0.01);
    EXPECT_GT(bf16.weight_gemms.predicted_s, bandwidth_bound);
    EXPECT_NEAR(bf16.weight_gemms.predicted_s, model_sum, model_sum * 1e-9);
    EXPECT_NEAR(bf16.forward.predicted_s, bf16.weight_gemms.predicted_s + bf16.attention.predicted_s,
                bf16.forward.predicted_s * 1e-9);
    EXPECT_EQ(bf16.fits(), std::optional<bool>(true));
    // Among the weight GEMMs, 32 layers of the MLP's 4096 x 14336 matrices outweigh the one LM head
    // (128256 x 4096); gate, up and down carry the same bytes, and the model's tiling decides between them.
    EXPECT_TRUE(weight_dominant == "mlp.gate_proj" || weight_dominant == "mlp.up_proj" ||
                weight_dominant == "mlp.down_proj")
        << weight_dominant;
    EXPECT_GT(bf16.dominant_share, 0.0);
    const auto fp8 = estimate_model(w, parse_precision_scheme("FP8"), hw);
    EXPECT_NEAR(fp8.weight_bytes, bf16.weight_bytes / 2, 1.0);
    EXPECT_LT(fp8.forward.predicted_s, bf16.forward.predicted_s);
    EXPECT_DOUBLE_EQ(bf16.per_token.predicted_s, bf16.forward.predicted_s);
    EXPECT_FALSE(bf16.forward.measured_s.has_value());
    // DeepSeek-V3 in FP8 (671 GB) does not fit one H200 (141 GB).
    const auto ds = estimate_model(derive_gemms(preset("deepseek-v3"), {phase::decode, 1, 1}),
                                   parse_precision_scheme("FP8"), hw);
    EXPECT_EQ(ds.fits(), std::optional<bool>(false));
}

TEST(ModelConfig, UserConfigParsesLikeThePreset) {
    const auto text = read_file(std::string(ROOFLINE_SOURCE_DIR) + "/data/presets/mixtral-8x7b.json");
    const auto doc = nlohmann::json::parse(text);
    const auto c = parse_model_config(doc["config"].dump(), "my-config.json");
    EXPECT_EQ(c.moe->routed_experts, 8);
    EXPECT_EQ(c.key, "my-config.json");
}

TEST(ModelConfig, ErrorsNameTheKey) {
    auto key_of = [](const std::string& text) {
        try {
            (void)parse_model_config(text, "cfg.json");
        } catch (const config_error& e) {
            return e.key();
        }
        return std::string("<no error>");
    };
    const std::string base = R"("model_type":"llama","hidden_size":4096,"intermediate_size":14336,)"
                             R"("num_attention_heads":32,"num_key_value_heads":8,"num_hidden_layers":32)";
    EXPECT_EQ(key_of("{" + base + "}"), "vocab_size");                       // missing
    EXPECT_EQ(key_of("{" + base + R"(,"vocab_size":"big"})"), "vocab_size"); // wrong type
    EXPECT_EQ(key_of("{" + base + R"(,"vocab_size":0})"), "vocab_size");     // out of range
    EXPECT_EQ(key_of("{" + base + R"(,"vocab_size":32000,"frobnicate":1})"), "frobnicate");
    EXPECT_EQ(key_of("{" + base + R"(,"vocab_size":32000,"num_local_experts":8})"), "num_local_experts");
    EXPECT_EQ(key_of(R"({"model_type":"bert"})"), "model_type");
    EXPECT_EQ(key_of("{not json"), "");
    EXPECT_EQ(key_of("{" + base + R"(,"vocab_size":32000,"num_key_value_heads":5})"), "num_key_value_heads");
    EXPECT_EQ(key_of("{" + base + R"(,"vocab_size":32000})"), "<no error>");
}

TEST(SpotCheck, GemmOnH200) {
    const auto reg = hardware_registry::builtin();
    spot_request r;
    r.op = spot_op::gemm;
    r.sizes.m = r.sizes.n = r.sizes.k = 8192;
    r.precision = precision_id::bf16;
    r.time_s = 1.5e-3;
    const auto s = spot_check(r, reg.at("h200"));
    EXPECT_DOUBLE_EQ(s.counts.flops, 2.0 * 8192 * 8192 * 8192);
    EXPECT_DOUBLE_EQ(s.counts.bytes, 3.0 * 8192 * 8192 * 2);
    EXPECT_EQ(s.bound, bound_kind::compute);
    EXPECT_NEAR(s.roof_time_s, 2.0 * 8192 * 8192 * 8192 / 989.5e12, 1e-12);
    EXPECT_NEAR(*s.fraction_of_roof, s.roof_time_s / 1.5e-3, 1e-12);
    EXPECT_NEAR(s.headroom, 1.5e-3 / s.roof_time_s, 1e-9);
    EXPECT_NEAR(s.achieved_flops_per_s, s.counts.flops / 1.5e-3, 1.0);
}

TEST(SpotCheck, NormsUseTheCudaCoreRoofAndMemoryBound) {
    const auto reg = hardware_registry::builtin();
    spot_request r;
    r.op = spot_op::rmsnorm;
    r.sizes.rows = 4096;
    r.sizes.cols = 8192;
    r.time_s = 40e-6;
    const auto s = spot_check(r, reg.at("h200"));
    EXPECT_EQ(s.counts.roof_precision, precision_id::fp32);
    EXPECT_DOUBLE_EQ(s.counts.flops, 4.0 * 4096 * 8192);
    EXPECT_DOUBLE_EQ(s.counts.bytes, (2.0 * 4096 * 8192 + 8192) * 2);
    EXPECT_EQ(s.bound, bound_kind::memory);
    EXPECT_NEAR(s.roof_time_s, s.counts.bytes / 4.8e12, 1e-15);
}

TEST(SpotCheck, AttentionAndCustomAndErrors) {
    const auto reg = hardware_registry::builtin();
    spot_request a;
    a.op = spot_op::attention;
    a.sizes = {};
    a.sizes.batch = 2;
    a.sizes.heads = 32;
    a.sizes.kv_heads = 8;
    a.sizes.q_len = a.sizes.kv_len = 4096;
    a.sizes.head_dim = 128;
    a.sizes.causal = true;
    a.time_s = 1e-3;
    const auto s = spot_check(a, reg.at("h200"));
    EXPECT_DOUBLE_EQ(s.counts.flops, 4.0 * 2 * 32 * 4096 * 4096 * 128 * 0.5);
    EXPECT_DOUBLE_EQ(s.counts.bytes, 2.0 * (2 * 32 * 4096 + 2 * 8 * 4096) * 128 * 2);
    spot_request c;
    c.flops = 1e12;
    c.bytes = 1e9;
    c.time_s = 2e-3;
    EXPECT_NEAR(spot_check(c, reg.at("h200")).ai, 1000.0, 1e-9);
    c.time_s = 0;
    EXPECT_THROW((void)spot_check(c, reg.at("h200")), std::invalid_argument);
    spot_request g;
    g.op = spot_op::gemm;
    g.time_s = 1;
    try {
        (void)count_op(g);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("m must be"), std::string::npos);
    }
    EXPECT_EQ(parse_spot_op("RMS_NORM"), spot_op::rmsnorm);
    EXPECT_THROW((void)parse_spot_op("conv"), std::invalid_argument);
}

TEST(BatchFile, CsvGoodLinesRunBadLinesNamed) {
    const auto in = parse_batch("# my cases\n"
                                "4096,4096,4096,FP16\n"
                                "\n"
                                "1,4096,zero,BF16\n"
                                "8192x8192x1024,fp8\n"
                                "16,16,16,FP99\n");
    EXPECT_EQ(in.format, "csv");
    ASSERT_EQ(in.cases.size(), 2u);
    EXPECT_EQ(in.cases[0].line, 2u);
    EXPECT_EQ(in.cases[1].problem.m, 8192);
    EXPECT_EQ(in.cases[1].problem.a, precision_id::fp8_e4m3);
    ASSERT_EQ(in.errors.size(), 2u);
    EXPECT_EQ(in.errors[0].line, 4u);
    EXPECT_EQ(in.errors[0].field, "k");
    EXPECT_NE(in.errors[0].message.find("line 4, field 'k'"), std::string::npos);
    EXPECT_EQ(in.errors[1].line, 6u);
    EXPECT_EQ(in.errors[1].field, "precision");
}

TEST(BatchFile, CsvHeaderAndJson) {
    const auto h = parse_batch("precision,k,n,m,label\nINT8,64,128,256,tiny\n");
    ASSERT_EQ(h.cases.size(), 1u);
    EXPECT_EQ(h.cases[0].problem.m, 256);
    EXPECT_EQ(h.cases[0].label, "tiny");
    EXPECT_THROW((void)parse_batch("m,n,q\n1,2,3\n"), batch_refused);
    const auto j = parse_batch(R"({"cases":[{"m":1,"n":2,"k":3,"precision":"FP16"},{"m":1,"n":2},)"
                               R"({"shape":"4x4x4","precision":"BF16","a_precision":"INT4"}]})");
    EXPECT_EQ(j.format, "json");
    ASSERT_EQ(j.cases.size(), 2u);
    ASSERT_EQ(j.errors.size(), 1u);
    EXPECT_EQ(j.errors[0].line, 2u);
    EXPECT_EQ(j.errors[0].field, "k");
    EXPECT_EQ(j.cases[1].problem.a, precision_id::int4);
    EXPECT_THROW((void)parse_batch("[1,2"), batch_refused);
    EXPECT_THROW((void)parse_batch("   \n"), batch_refused);
}

TEST(BatchFile, OverTheLimitNamesIt) {
    std::string text;
    for (int i = 0; i < 6; ++i) {
        text += "16,16,16,FP16\n";
    }
    try {
        (void)parse_batch(text, 5);
        FAIL();
    } catch (const batch_refused& e) {
        EXPECT_EQ(e.field(), "cases");
        EXPECT_NE(std::string(e.what()).find("limit is 5"), std::string::npos);
    }
    EXPECT_EQ(parse_batch(text, 6).cases.size(), 6u);
}

// The model view's predicted interval comes from the performance model (it was null before): each GEMM gets
// [p10, p90] around its time, per GEMM and per layer, and says whether the H200's calibration made it.
TEST(ModelDocument, EveryPredictedGemmCarriesItsInterval) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h200");
    const auto w = derive_gemms(preset("llama-3.1-8b"), {phase::decode, 4, 2048});
    const auto e = estimate_model(w, parse_precision_scheme("BF16"), hw);
    const auto doc = model_document(w, {e}, hw, "prediction-only");
    const auto& gemms = doc["precisions"][0]["gemms"];
    ASSERT_FALSE(gemms.empty());
    for (const auto& g : gemms) {
        const auto& p = g["predicted"];
        ASSERT_TRUE(p["interval"].is_object()) << g["name"];
        const auto& iv = p["interval"];
        const double t = p["time_s"].get<double>();
        EXPECT_LE(iv["low_s"].get<double>(), t) << g["name"];
        EXPECT_GT(iv["high_s"].get<double>(), t) << g["name"];
        EXPECT_NEAR(iv["high_s_per_layer"].get<double>(),
                    iv["high_s"].get<double>() * g["count"].get<double>(), 1e-15)
            << g["name"];
        EXPECT_TRUE(iv["calibrated"].get<bool>()) << g["name"]; // data/calibration/h200.json
        EXPECT_NE(iv["basis"].get<std::string>().find("h200"), std::string::npos);
    }
    // A GPU without the precision's roof gives its GEMMs no prediction, so no interval.
    const auto& a100 = reg.at("a100-sxm");
    const auto fp8 = estimate_model(w, parse_precision_scheme("FP8"), a100);
    const auto doc8 = model_document(w, {fp8}, a100, "prediction-only");
    std::size_t unsupported = 0;
    for (const auto& g : doc8["precisions"][0]["gemms"]) {
        if (g["predicted"]["status"] != "passed") {
            ++unsupported;
            EXPECT_TRUE(g["predicted"]["interval"].is_null()) << g["name"];
        }
    }
    EXPECT_GT(unsupported, 0U); // the A100 has no FP8 tensor cores
}

// A measured GEMM of the model view carries measured / predicted like every other measured point, also when
// the GPU path that measured it attached no prediction of its own (model_command, the server's /api/model).
TEST(ModelDocument, MeasuredGemmsCarryTheirPredictionError) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h200");
    const auto w = derive_gemms(preset("llama-3.1-8b"), {phase::decode, 1, 2048});
    auto e = estimate_model(w, parse_precision_scheme("BF16"), hw);
    auto& g = e.gemms.front();
    analysis_point measured = g.predicted;
    measured.source = point_source::measured;
    measured.prediction.reset();
    measured.time_s = 1.5 * g.predicted.time_s;
    g.measured = measured;
    const auto doc = model_document(w, {e}, hw, "gpu");
    const auto& m = doc["precisions"][0]["gemms"][0]["measured"];
    ASSERT_TRUE(m["prediction_error"].is_number());
    EXPECT_NEAR(m["prediction_error"].get<double>(), 1.5, 1e-6);
    EXPECT_TRUE(doc["precisions"][0]["gemms"][1]["measured"].is_null());
}

// The model CSV carries the same interval and measured / predicted as the JSON, one column each.
TEST(ModelDocument, CsvHasTheIntervalAndPredictionErrorColumns) {
    const auto reg = hardware_registry::builtin();
    const auto& hw = reg.at("h200");
    const auto w = derive_gemms(preset("llama-3.1-8b"), {phase::decode, 1, 2048});
    auto e = estimate_model(w, parse_precision_scheme("BF16"), hw);
    analysis_point measured = e.gemms.front().predicted;
    measured.source = point_source::measured;
    measured.prediction.reset();
    measured.time_s = 2.0 * e.gemms.front().predicted.time_s;
    e.gemms.front().measured = measured;
    std::istringstream csv(model_csv({e}));
    std::string header;
    std::string first;
    std::getline(csv, header);
    std::getline(csv, first);
    EXPECT_NE(header.find(",interval_low_s_per_layer,interval_high_s_per_layer,calibrated,prediction_error"),
              std::string::npos);
    const auto columns = [](const std::string& line) {
        std::vector<std::string> out;
        std::stringstream ss(line);
        for (std::string c; std::getline(ss, c, ',');) {
            out.push_back(c);
        }
        if (!line.empty() && line.back() == ',') {
            out.emplace_back();
        }
        return out;
    };
    const auto h = columns(header);
    const auto r = columns(first);
    ASSERT_EQ(h.size(), r.size()) << first;
    const auto at = [&](const char* name) { return r[std::ranges::find(h, name) - h.begin()]; };
    EXPECT_LT(std::stod(at("interval_low_s_per_layer")), std::stod(at("predicted_s_per_layer")));
    EXPECT_GT(std::stod(at("interval_high_s_per_layer")), std::stod(at("predicted_s_per_layer")));
    EXPECT_EQ(at("calibrated"), "true");
    EXPECT_NEAR(std::stod(at("prediction_error")), 2.0, 1e-5);
}
