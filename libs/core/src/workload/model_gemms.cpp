#include "roofline/core/workload/model_gemms.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace roofline::workload {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// One weight GEMM over `rows` tokens, `copies` weight matrices of N×K stored per layer.
layer_gemm weight(std::string name, std::string block, layer_set layers, double count, double rows,
                  std::int64_t n, std::int64_t k, std::int64_t copies = 1) {
    layer_gemm g;
    g.name = std::move(name);
    g.block = std::move(block);
    g.role = gemm_role::weight;
    g.layers = layers;
    g.count = count;
    g.rows = rows;
    g.m = static_cast<std::int64_t>(std::ceil(rows - 1e-9));
    g.n = n;
    g.k = k;
    g.weight_copies = copies;
    return g;
}

layer_gemm attention(std::string name, layer_set layers, double count, std::int64_t m, std::int64_t n,
                     std::int64_t k) {
    layer_gemm g;
    g.name = std::move(name);
    g.block = "attention";
    g.role = gemm_role::attention;
    g.layers = layers;
    g.count = count;
    g.rows = static_cast<double>(m);
    g.m = m;
    g.n = n;
    g.k = k;
    return g;
}

void add_projections(const model_config& c, const step_shape& s, std::vector<layer_gemm>& out) {
    const double t = static_cast<double>(s.tokens());
    if (c.mla) {
        const auto& a = *c.mla;
        const auto qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
        if (a.q_lora_rank > 0) {
            out.push_back(
                weight("attn.q_a_proj", "attention", layer_set::all, 1, t, a.q_lora_rank, c.hidden));
            out.push_back(
                weight("attn.q_b_proj", "attention", layer_set::all, 1, t, c.heads * qk, a.q_lora_rank));
        } else {
            out.push_back(weight("attn.q_proj", "attention", layer_set::all, 1, t, c.heads * qk, c.hidden));
        }
        out.push_back(weight("attn.kv_a_proj_with_mqa", "attention", layer_set::all, 1, t,
                             a.kv_lora_rank + a.qk_rope_head_dim, c.hidden));
        // The cache keeps the up-projected keys and values, so only the step's new tokens go through kv_b.
        out.push_back(weight("attn.kv_b_proj", "attention", layer_set::all, 1, t,
                             c.heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank));
        out.push_back(
            weight("attn.o_proj", "attention", layer_set::all, 1, t, c.hidden, c.heads * a.v_head_dim));
        return;
    }
    const auto q = c.heads * c.head_dim;
    const auto kv = c.kv_heads * c.head_dim;
    if (s.fused_qkv) {
        out.push_back(weight("attn.qkv_proj", "attention", layer_set::all, 1, t, q + 2 * kv, c.hidden));
    } else {
        out.push_back(weight("attn.q_proj", "attention", layer_set::all, 1, t, q, c.hidden));
        out.push_back(weight("attn.k_proj", "attention", layer_set::all, 1, t, kv, c.hidden));
        out.push_back(weight("attn.v_proj", "attention", layer_set::all, 1, t, kv, c.hidden));
    }
    out.push_back(weight("attn.o_proj", "attention", layer_set::all, 1, t, c.hidden, q));
}

void add_attention_core(const model_config& c, const step_shape& s, std::vector<layer_gemm>& out) {
    const auto qk_dim = c.mla ? c.mla->qk_nope_head_dim + c.mla->qk_rope_head_dim : c.head_dim;
    const auto v_dim = c.mla ? c.mla->v_head_dim : c.head_dim;
    // MLA's up-projected keys and values have one head per query head; GQA shares a KV head among a group.
    const auto kv_heads = c.mla ? c.heads : c.kv_heads;
    const auto group = c.heads / kv_heads;
    const auto b = static_cast<double>(s.batch);
    auto emit = [&](layer_set set, std::int64_t ctx, const std::string& suffix) {
        if (s.kind == phase::prefill) {
            const double count = b * static_cast<double>(c.heads);
            out.push_back(attention("attn.score" + suffix, set, count, s.sequence, ctx, qk_dim));
            out.push_back(attention("attn.value" + suffix, set, count, s.sequence, v_dim, ctx));
        } else {
            // Decode: the `group` query heads sharing a KV head form the M rows of one GEMM over the cache.
            const double count = b * static_cast<double>(kv_heads);
            out.push_back(attention("attn.score" + suffix, set, count, group, ctx, qk_dim));
            out.push_back(attention("attn.value" + suffix, set, count, group, v_dim, ctx));
        }
    };
    const auto ctx = s.context();
    if (c.count_sliding_layers() == 0) {
        emit(layer_set::all, ctx, "");
    } else if (c.count_sliding_layers() == c.layers) {
        emit(layer_set::all, std::min(ctx, c.sliding_window), "");
    } else {
        emit(layer_set::sliding, std::min(ctx, c.sliding_window), ".sliding");
        emit(layer_set::full_attention, ctx, ".full");
    }
}

void add_mlp(const model_config& c, const step_shape& s, std::vector<layer_gemm>& out) {
    const double t = static_cast<double>(s.tokens());
    const auto dense_set = c.moe ? layer_set::dense : layer_set::all;
    auto ffn = [&](const std::string& prefix, const std::string& block, layer_set set, double count,
                   double rows, std::int64_t width, std::int64_t copies) {
        if (c.gated_mlp && s.fused_gate_up) {
            out.push_back(
                weight(prefix + ".gate_up_proj", block, set, count, rows, 2 * width, c.hidden, copies));
        } else if (c.gated_mlp) {
            out.push_back(weight(prefix + ".gate_proj", block, set, count, rows, width, c.hidden, copies));
            out.push_back(weight(prefix + ".up_proj", block, set, count, rows, width, c.hidden, copies));
        } else {
            out.push_back(weight(prefix + ".up_proj", block, set, count, rows, width, c.hidden, copies));
        }
        out.push_back(weight(prefix + ".down_proj", block, set, count, rows, c.hidden, width, copies));
    };
    if (!c.moe || c.moe->first_dense_layers > 0) {
        ffn("mlp", "mlp", dense_set, 1, t, c.ffn, 1);
    }
    if (!c.moe) {
        return;
    }
    const auto& m = *c.moe;
    const double e = static_cast<double>(m.routed_experts);
    const double k = static_cast<double>(m.top_k);
    // Expected experts with at least one of the T·k assignments (each token picks k distinct experts).
    const double active = std::min(e, e * (1.0 - std::pow(1.0 - k / e, t)));
    out.push_back(weight("moe.router", "moe", layer_set::moe, 1, t, m.routed_experts, c.hidden));
    ffn("moe.experts", "moe", layer_set::moe, active, t * k / active, m.expert_ffn, m.routed_experts);
    if (m.shared_experts > 0) {
        ffn("moe.shared_experts", "moe", layer_set::moe, 1, t, m.shared_experts * m.expert_ffn, 1);
    }
}

precision_id output_of(precision_id activations) {
    return info(activations).default_output;
}

double share_of_rows(const layer_gemm& g) {
    return g.m > 0 ? g.rows / static_cast<double>(g.m) : 0.0;
}

} // namespace

std::string_view to_string(phase p) noexcept {
    return p == phase::prefill ? "prefill" : "decode";
}

phase parse_phase(std::string_view s) {
    const auto l = lower(s);
    if (l == "prefill") {
        return phase::prefill;
    }
    if (l == "decode") {
        return phase::decode;
    }
    throw std::invalid_argument("phase must be 'prefill' or 'decode' (got '" + std::string(s.substr(0, 40)) +
                                "')");
}

void validate(const step_shape& s) {
    if (s.batch < 1 || s.batch > max_batch) {
        throw std::invalid_argument("batch must be an integer in [1, " + std::to_string(max_batch) +
                                    "] (got " + std::to_string(s.batch) + ")");
    }
    if (s.sequence < 1 || s.sequence > max_sequence) {
        throw std::invalid_argument("tokens must be an integer in [1, " + std::to_string(max_sequence) +
                                    "] (got " + std::to_string(s.sequence) + ")");
    }
    if (s.tokens() > 2147483647) {
        throw std::invalid_argument("batch x tokens must stay under 2^31 (a GEMM's M)");
    }
}

std::string_view to_string(gemm_role r) noexcept {
    return r == gemm_role::weight ? "weight" : "attention";
}

std::string_view to_string(layer_set s) noexcept {
    switch (s) {
    case layer_set::all:
        return "all";
    case layer_set::dense:
        return "dense";
    case layer_set::moe:
        return "moe";
    case layer_set::sliding:
        return "sliding";
    case layer_set::full_attention:
        return "full_attention";
    case layer_set::head:
        return "head";
    }
    return "all";
}

std::int64_t model_workload::occurrences(layer_set s) const noexcept {
    switch (s) {
    case layer_set::all:
        return config.layers;
    case layer_set::dense:
        return config.dense_layers();
    case layer_set::moe:
        return config.moe_layers();
    case layer_set::sliding:
        return config.count_sliding_layers();
    case layer_set::full_attention:
        return config.layers - config.count_sliding_layers();
    case layer_set::head:
        return 1;
    }
    return 0;
}

double model_workload::layer_flops(std::int64_t layer, std::optional<gemm_role> role) const {
    double sum = 0;
    for (const auto& g : gemms) {
        if (role && g.role != *role) {
            continue;
        }
        bool in = false;
        switch (g.layers) {
        case layer_set::all:
            in = true;
            break;
        case layer_set::dense:
            in = !config.is_moe_layer(layer);
            break;
        case layer_set::moe:
            in = config.is_moe_layer(layer);
            break;
        case layer_set::sliding:
            in = config.is_sliding_layer(layer);
            break;
        case layer_set::full_attention:
            in = !config.is_sliding_layer(layer);
            break;
        case layer_set::head:
            in = false;
            break;
        }
        if (in) {
            sum += g.flops_per_layer();
        }
    }
    return sum;
}

model_workload derive_gemms(const model_config& config, const step_shape& shape) {
    validate(shape);
    model_workload w;
    w.config = config;
    w.shape = shape;
    add_projections(config, shape, w.gemms);
    add_attention_core(config, shape, w.gemms);
    add_mlp(config, shape, w.gemms);
    w.gemms.push_back(weight("lm_head", "lm_head", layer_set::head, 1, static_cast<double>(shape.batch),
                             config.vocab, config.hidden));
    return w;
}

precision_id precision_scheme::attention() const noexcept {
    return info(activations).kind == number_kind::floating ? activations : precision_id::bf16;
}

precision_scheme parse_precision_scheme(std::string_view text) {
    const auto l = lower(text);
    const auto named = [&](precision_id w, precision_id a) {
        return precision_scheme{std::string(text), w, a};
    };
    if (l == "w8a8") {
        return {"W8A8", precision_id::int8, precision_id::int8};
    }
    if (l == "w4a16") {
        return {"W4A16", precision_id::int4, precision_id::bf16};
    }
    if (l == "w4a8") {
        return {"W4A8", precision_id::int4, precision_id::fp8_e4m3};
    }
    if (l == "w8a16") {
        return {"W8A16", precision_id::int8, precision_id::bf16};
    }
    if (const auto slash = l.find('/'); slash != std::string::npos) {
        try {
            const auto w = parse_precision(l.substr(0, slash));
            const auto a = parse_precision(l.substr(slash + 1));
            return {std::string(to_string(w)) + "/" + std::string(to_string(a)), w, a};
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument("precision '" + std::string(text.substr(0, 40)) +
                                        "': WEIGHTS/ACTIVATIONS needs two precisions: " + e.what());
        }
    }
    try {
        const auto p = parse_precision(l);
        auto s = named(p, p);
        s.name = l == "fp8" ? "FP8" : std::string(to_string(p));
        return s;
    } catch (const std::invalid_argument&) {
        throw std::invalid_argument(
            "precision '" + std::string(text.substr(0, 40)) +
            "' is not known; use BF16, FP16, FP8, W8A8, W4A16, W4A8, W8A16, NVFP4, one of " +
            valid_precision_names(true) + ", or WEIGHTS/ACTIVATIONS such as INT4/BF16");
    }
}

std::vector<precision_scheme> parse_precision_schemes(std::string_view comma_list) {
    std::vector<precision_scheme> out;
    std::size_t start = 0;
    while (start <= comma_list.size()) {
        const auto end = std::min(comma_list.find(',', start), comma_list.size());
        auto item = comma_list.substr(start, end - start);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (!item.empty()) {
            auto s = parse_precision_scheme(item);
            if (std::ranges::none_of(out, [&](const auto& o) { return o.name == s.name; })) {
                out.push_back(std::move(s));
            }
        }
        start = end + 1;
    }
    if (out.empty()) {
        throw std::invalid_argument("precision: give at least one (e.g. BF16,FP8)");
    }
    return out;
}

gemm_problem problem_for(const layer_gemm& g, const precision_scheme& scheme) {
    if (g.role == gemm_role::attention) {
        const auto p = scheme.attention();
        return make_problem(g.m, g.n, g.k, p);
    }
    return make_problem(g.m, g.n, g.k, scheme.activations, scheme.activations, scheme.weights,
                        output_of(scheme.activations));
}

std::optional<double> gemm_estimate::measured_s_per_layer() const noexcept {
    if (!measured || measured->status != disposition::passed || measured->time_s <= 0) {
        return std::nullopt;
    }
    return gemm.count * measured->time_s;
}

std::optional<bool> model_estimate::fits() const noexcept {
    if (!gpu_memory_bytes) {
        return std::nullopt;
    }
    return weight_bytes <= *gpu_memory_bytes;
}

double weight_parameters(const model_config& c) {
    const auto w = derive_gemms(c, step_shape{phase::decode, 1, 1, false, false});
    double params = static_cast<double>(c.vocab) * static_cast<double>(c.hidden); // embeddings
    for (const auto& g : w.gemms) {
        if (g.role != gemm_role::weight || (g.name == "lm_head" && c.tie_embeddings)) {
            continue;
        }
        params += static_cast<double>(g.weight_copies) * double(g.n) * double(g.k) *
                  static_cast<double>(w.occurrences(g.layers));
    }
    return params;
}

void update_totals(model_estimate& e, const model_workload& w) {
    e.forward = {};
    e.weight_gemms = {};
    e.attention = {};
    bool all_measured = true;
    double head_predicted = 0;
    double head_flops = 0;
    double head_bytes = 0;
    std::optional<double> head_measured;
    double best = -1;
    for (const auto& g : e.gemms) {
        const auto occ = static_cast<double>(g.occurrences);
        auto& part = g.gemm.role == gemm_role::weight ? e.weight_gemms : e.attention;
        part.flops += occ * g.flops_per_layer;
        part.bytes += occ * g.bytes_per_layer;
        part.predicted_s += occ * g.predicted_s_per_layer();
        if (g.gemm.role == gemm_role::weight) {
            if (const auto m = g.measured_s_per_layer()) {
                part.measured_s = part.measured_s.value_or(0) + occ * *m;
            } else {
                all_measured = false;
            }
        }
        if (g.gemm.layers == layer_set::head) {
            head_predicted = g.predicted_s_per_layer();
            head_flops = g.flops_per_layer;
            head_bytes = g.bytes_per_layer;
            head_measured = g.measured_s_per_layer();
        }
        const double forward_time = occ * g.predicted_s_per_layer();
        if (forward_time > best) {
            best = forward_time;
            e.dominant = g.gemm.name;
        }
    }
    if (!all_measured) {
        e.weight_gemms.measured_s.reset();
    }
    e.forward.flops = e.weight_gemms.flops + e.attention.flops;
    e.forward.bytes = e.weight_gemms.bytes + e.attention.bytes;
    e.forward.predicted_s = e.weight_gemms.predicted_s + e.attention.predicted_s;
    // Measured: the weight GEMMs as the GPU ran them; attention's batched products stay predicted.
    if (e.weight_gemms.measured_s) {
        e.forward.measured_s = *e.weight_gemms.measured_s + e.attention.predicted_s;
    }
    e.dominant_share = e.forward.predicted_s > 0 ? best / e.forward.predicted_s : 0;
    const double layers = static_cast<double>(w.config.layers);
    e.per_layer.flops = (e.forward.flops - head_flops) / layers;
    e.per_layer.bytes = (e.forward.bytes - head_bytes) / layers;
    e.per_layer.predicted_s = (e.forward.predicted_s - head_predicted) / layers;
    if (e.forward.measured_s && head_measured) {
        e.per_layer.measured_s = (*e.forward.measured_s - *head_measured) / layers;
    }
    const double tokens = static_cast<double>(w.shape.tokens());
    e.per_token.flops = e.forward.flops / tokens;
    e.per_token.bytes = e.forward.bytes / tokens;
    e.per_token.predicted_s = e.forward.predicted_s / tokens;
    if (e.forward.measured_s) {
        e.per_token.measured_s = *e.forward.measured_s / tokens;
    }
}

model_estimate estimate_model(const model_workload& w, const precision_scheme& scheme,
                              const hardware_entry& hw) {
    model_estimate e;
    e.scheme = scheme;
    e.hardware_key = hw.key;
    for (const auto& g : w.gemms) {
        gemm_estimate ge;
        ge.gemm = g;
        ge.problem = problem_for(g, scheme);
        ge.predicted = predict(hw, ge.problem);
        ge.occurrences = w.occurrences(g.layers);
        ge.flops_per_layer = g.flops_per_layer();
        const auto& t = ge.predicted.traffic;
        if (g.role == gemm_role::weight) {
            // Weights are read once per active instance; the activations scale with the expected rows.
            ge.bytes_per_layer =
                g.count *
                (to_double(t.b_bytes) +
                 (to_double(t.a_bytes) + to_double(t.c_bytes) + to_double(t.d_bytes)) * share_of_rows(g));
        } else {
            ge.bytes_per_layer = g.count * to_double(t.bytes());
        }
        e.gemms.push_back(std::move(ge));
    }
    // Weight bytes: every stored matrix (all experts) in the scheme's weight format, embeddings included.
    const auto& c = w.config;
    double bytes = to_double(operand_bytes(scheme.weights, c.vocab, c.hidden));
    for (const auto& g : w.gemms) {
        if (g.role != gemm_role::weight || (g.name == "lm_head" && c.tie_embeddings)) {
            continue;
        }
        bytes += static_cast<double>(g.weight_copies) * to_double(operand_bytes(scheme.weights, g.n, g.k)) *
                 static_cast<double>(w.occurrences(g.layers));
    }
    e.weight_bytes = bytes;
    // KV cache: per layer and cached token, K and V of every KV head (MLA: the compressed latent and the
    // rope key, as DeepSeek's inference caches them); sliding layers keep at most their window.
    const double elem = info(scheme.attention()).bits_per_element() / 8.0;
    const double per_token_layer =
        c.mla ? static_cast<double>(c.mla->kv_lora_rank + c.mla->qk_rope_head_dim) * elem
              : 2.0 * static_cast<double>(c.kv_heads * c.head_dim) * elem;
    const auto ctx = w.shape.context();
    double kv = 0;
    for (std::int64_t l = 0; l < c.layers; ++l) {
        const auto kept = c.is_sliding_layer(l) ? std::min(ctx, c.sliding_window) : ctx;
        kv += per_token_layer * static_cast<double>(kept);
    }
    e.kv_cache_bytes = kv * static_cast<double>(w.shape.batch);
    e.gpu_memory_bytes = hw.memory_bytes.value;
    update_totals(e, w);
    return e;
}

} // namespace roofline::workload
