#include "roofline/core/workload/model_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

namespace roofline::workload {
namespace {

using json = nlohmann::json;
using namespace std::string_view_literals;

// Keys that never change a GEMM's shape: token ids, positional encoding, numerics, training-only settings,
// bookkeeping. Accepted and ignored for every model type.
constexpr std::array ignored_keys{"_name_or_path"sv,
                                  "architectures"sv,
                                  "attention_bias"sv,
                                  "attention_dropout"sv,
                                  "auto_map"sv,
                                  "aux_loss_alpha"sv,
                                  "bos_token_id"sv,
                                  "dtype"sv,
                                  "eos_token_id"sv,
                                  "ep_size"sv,
                                  "hidden_act"sv,
                                  "initial_context_length"sv,
                                  "initializer_range"sv,
                                  "max_position_embeddings"sv,
                                  "max_window_layers"sv,
                                  "mlp_bias"sv,
                                  "n_group"sv,
                                  "norm_topk_prob"sv,
                                  "num_nextn_predict_layers"sv,
                                  "output_router_logits"sv,
                                  "pad_token_id"sv,
                                  "pretraining_tp"sv,
                                  "quantization_config"sv,
                                  "rms_norm_eps"sv,
                                  "rope_scaling"sv,
                                  "rope_theta"sv,
                                  "routed_scaling_factor"sv,
                                  "router_aux_loss_coef"sv,
                                  "router_jitter_noise"sv,
                                  "scoring_func"sv,
                                  "seq_aux"sv,
                                  "swiglu_limit"sv,
                                  "tokenizer_class"sv,
                                  "topk_group"sv,
                                  "topk_method"sv,
                                  "torch_dtype"sv,
                                  "transformers_version"sv,
                                  "use_cache"sv,
                                  "model_type"sv};

constexpr std::array common_keys{"hidden_size"sv,
                                 "intermediate_size"sv,
                                 "num_attention_heads"sv,
                                 "num_key_value_heads"sv,
                                 "num_hidden_layers"sv,
                                 "vocab_size"sv,
                                 "head_dim"sv,
                                 "tie_word_embeddings"sv};
constexpr std::array dense_sliding_keys{"sliding_window"sv, "use_sliding_window"sv};
constexpr std::array mixtral_keys{"num_local_experts"sv, "num_experts_per_tok"sv, "sliding_window"sv};
constexpr std::array gpt_oss_keys{"num_local_experts"sv, "num_experts_per_tok"sv, "experts_per_token"sv,
                                  "sliding_window"sv, "layer_types"sv};
constexpr std::array deepseek_keys{"n_routed_experts"sv,
                                   "num_experts_per_tok"sv,
                                   "moe_intermediate_size"sv,
                                   "n_shared_experts"sv,
                                   "first_k_dense_replace"sv,
                                   "moe_layer_freq"sv,
                                   "q_lora_rank"sv,
                                   "kv_lora_rank"sv,
                                   "qk_nope_head_dim"sv,
                                   "qk_rope_head_dim"sv,
                                   "v_head_dim"sv};

struct family {
    std::string_view model_type;
    std::span<const std::string_view> extra_keys;
};
constexpr std::array families{
    family{"llama", {}},
    family{"mistral", dense_sliding_keys},
    family{"qwen2", dense_sliding_keys},
    family{"mixtral", mixtral_keys},
    family{"gpt_oss", gpt_oss_keys},
    family{"deepseek_v3", deepseek_keys},
};

// Reads members of one config object, naming the key in every error.
class config_reader {
  public:
    explicit config_reader(const json& obj) : m_obj(obj) {}

    bool has(std::string_view key) const { return m_obj.contains(std::string(key)); }

    std::int64_t integer(std::string_view key, std::int64_t min = 1) const {
        const auto it = m_obj.find(std::string(key));
        if (it == m_obj.end()) {
            throw config_error(std::string(key), "missing (required for this model type)");
        }
        return checked(key, *it, min);
    }
    std::int64_t integer_or(std::string_view key, std::int64_t fallback, std::int64_t min = 0) const {
        const auto it = m_obj.find(std::string(key));
        if (it == m_obj.end() || it->is_null()) {
            return fallback;
        }
        return checked(key, *it, min);
    }
    bool boolean_or(std::string_view key, bool fallback) const {
        const auto it = m_obj.find(std::string(key));
        if (it == m_obj.end()) {
            return fallback;
        }
        if (!it->is_boolean()) {
            throw config_error(std::string(key), "must be true or false");
        }
        return it->get<bool>();
    }
    const json& raw(std::string_view key) const { return m_obj.at(std::string(key)); }

  private:
    static std::int64_t checked(std::string_view key, const json& v, std::int64_t min) {
        if (!v.is_number_integer() && !v.is_number_unsigned()) {
            throw config_error(std::string(key), "must be an integer (got " + v.dump().substr(0, 40) + ")");
        }
        const auto n = v.get<std::int64_t>();
        // 2^31-1: every derived GEMM dimension must stay a valid cuBLASLt size.
        if (n < min || n > 2147483647) {
            throw config_error(std::string(key), "must be in [" + std::to_string(min) +
                                                     ", 2147483647] (got " + std::to_string(n) + ")");
        }
        return n;
    }
    const json& m_obj;
};

void check_keys(const json& obj, const family& fam) {
    std::set<std::string_view> known(ignored_keys.begin(), ignored_keys.end());
    known.insert(common_keys.begin(), common_keys.end());
    known.insert(fam.extra_keys.begin(), fam.extra_keys.end());
    for (const auto& [key, value] : obj.items()) {
        if (known.contains(key)) {
            continue;
        }
        std::set<std::string_view> elsewhere;
        for (const auto& f : families) {
            elsewhere.insert(f.extra_keys.begin(), f.extra_keys.end());
        }
        const std::string why = elsewhere.contains(key)
                                    ? "belongs to another model type than '" + std::string(fam.model_type) +
                                          "' and would change the GEMMs; check model_type"
                                    : "unknown to this tool for model_type '" + std::string(fam.model_type) +
                                          "'; it may change the GEMMs, so it is refused rather than ignored "
                                          "(remove it if it does not)";
        throw config_error(key, why);
    }
}

void read_sliding(const config_reader& r, const json& obj, model_config& c) {
    if (c.model_type == "gpt_oss") {
        c.sliding_window = r.integer("sliding_window");
        const auto& types = r.raw("layer_types");
        if (!types.is_array() || types.size() != static_cast<std::size_t>(c.layers)) {
            throw config_error("layer_types", "must be an array of num_hidden_layers (" +
                                                  std::to_string(c.layers) + ") strings");
        }
        for (const auto& t : types) {
            if (t == "sliding_attention") {
                c.sliding_layers.push_back(true);
            } else if (t == "full_attention") {
                c.sliding_layers.push_back(false);
            } else {
                throw config_error("layer_types",
                                   "entries must be \"sliding_attention\" or \"full_attention\" (got " +
                                       t.dump().substr(0, 40) + ")");
            }
        }
        return;
    }
    if (r.boolean_or("use_sliding_window", c.model_type != "qwen2")) {
        // Mistral v0.1 slides on every layer; v0.3 and Qwen2.5 set null / use_sliding_window false.
        const auto w = r.integer_or("sliding_window", 0);
        if (w > 0) {
            c.sliding_window = w;
            c.sliding_layers.assign(static_cast<std::size_t>(c.layers), true);
        }
    }
    (void)obj;
}

} // namespace

std::int64_t model_config::count_sliding_layers() const noexcept {
    return static_cast<std::int64_t>(std::ranges::count(sliding_layers, true));
}

std::string supported_model_types() {
    std::string out;
    for (const auto& f : families) {
        out += (out.empty() ? "" : ", ") + std::string(f.model_type);
    }
    return out;
}

model_config parse_model_config(std::string_view json_text, const std::string& origin) {
    json obj;
    try {
        obj = json::parse(json_text);
    } catch (const json::parse_error& e) {
        throw config_error("", origin + " is not valid JSON: " + e.what());
    }
    if (!obj.is_object()) {
        throw config_error("", origin + " must hold a JSON object (a model's config.json)");
    }
    // Multimodal repositories nest the language model's configuration.
    if (obj.contains("text_config") && obj["text_config"].is_object()) {
        obj = obj["text_config"];
    }
    const auto mt = obj.find("model_type");
    if (mt == obj.end() || !mt->is_string()) {
        throw config_error("model_type", "missing or not a string; supported: " + supported_model_types());
    }
    const auto type = mt->get<std::string>();
    const auto fam = std::ranges::find(families, type, &family::model_type);
    if (fam == families.end()) {
        throw config_error("model_type", "'" + type.substr(0, 60) +
                                             "' is not supported; supported: " + supported_model_types());
    }
    check_keys(obj, *fam);
    const config_reader r(obj);
    model_config c;
    c.key = origin;
    c.name = origin;
    c.source_url = origin;
    c.model_type = type;
    c.hidden = r.integer("hidden_size");
    c.ffn = r.integer("intermediate_size");
    c.heads = r.integer("num_attention_heads");
    c.kv_heads = r.integer("num_key_value_heads");
    c.layers = r.integer("num_hidden_layers");
    c.vocab = r.integer("vocab_size");
    c.tie_embeddings = r.boolean_or("tie_word_embeddings", false);
    if (c.heads % c.kv_heads != 0) {
        throw config_error("num_key_value_heads", "must divide num_attention_heads (" +
                                                      std::to_string(c.heads) + "); got " +
                                                      std::to_string(c.kv_heads));
    }
    if (r.has("head_dim")) {
        c.head_dim = r.integer("head_dim");
    } else if (type != "deepseek_v3") {
        if (c.hidden % c.heads != 0) {
            throw config_error("head_dim",
                               "missing, and hidden_size is not a multiple of num_attention_heads");
        }
        c.head_dim = c.hidden / c.heads;
    }

    if (type == "mixtral" || type == "gpt_oss") {
        moe_config m;
        m.routed_experts = r.integer("num_local_experts");
        m.top_k =
            r.has("num_experts_per_tok") ? r.integer("num_experts_per_tok") : r.integer("experts_per_token");
        m.expert_ffn = c.ffn;
        c.moe = m;
    } else if (type == "deepseek_v3") {
        moe_config m;
        m.routed_experts = r.integer("n_routed_experts");
        m.top_k = r.integer("num_experts_per_tok");
        m.expert_ffn = r.integer("moe_intermediate_size");
        m.shared_experts = r.integer_or("n_shared_experts", 0);
        m.first_dense_layers = r.integer_or("first_k_dense_replace", 0);
        if (r.integer_or("moe_layer_freq", 1, 1) != 1) {
            throw config_error("moe_layer_freq",
                               "only 1 (every layer after first_k_dense_replace) is supported");
        }
        if (m.first_dense_layers > c.layers) {
            throw config_error("first_k_dense_replace", "must not exceed num_hidden_layers");
        }
        c.moe = m;
        mla_config a;
        a.q_lora_rank = r.integer_or("q_lora_rank", 0);
        a.kv_lora_rank = r.integer("kv_lora_rank");
        a.qk_nope_head_dim = r.integer("qk_nope_head_dim");
        a.qk_rope_head_dim = r.integer("qk_rope_head_dim");
        a.v_head_dim = r.integer("v_head_dim");
        c.mla = a;
        c.head_dim = a.qk_nope_head_dim + a.qk_rope_head_dim;
    }
    if (c.moe && c.moe->top_k > c.moe->routed_experts) {
        throw config_error(type == "deepseek_v3"
                               ? "num_experts_per_tok"
                               : (r.has("num_experts_per_tok") ? "num_experts_per_tok" : "experts_per_token"),
                           "must not exceed the number of routed experts (" +
                               std::to_string(c.moe->routed_experts) + ")");
    }
    read_sliding(r, obj, c);
    return c;
}

model_config parse_preset(std::string_view json_text, const std::string& file_name) {
    json doc;
    try {
        doc = json::parse(json_text);
    } catch (const json::parse_error& e) {
        throw config_error("", file_name + " is not valid JSON: " + e.what());
    }
    auto text_of = [&](const json& obj, const char* key) -> std::string {
        const auto it = obj.find(key);
        if (it == obj.end() || !it->is_string() || it->get<std::string>().empty()) {
            throw config_error(key, file_name + ": missing or not a non-empty string");
        }
        return it->get<std::string>();
    };
    if (!doc.is_object() || doc.value("schema_version", 0) != 1) {
        throw config_error("schema_version", file_name + ": must be 1");
    }
    if (!doc.contains("source") || !doc["source"].is_object()) {
        throw config_error("source", file_name + ": every preset cites the configuration it came from");
    }
    if (!doc.contains("config")) {
        throw config_error("config", file_name + ": missing");
    }
    auto c = parse_model_config(doc["config"].dump(), file_name);
    c.key = text_of(doc, "key");
    c.name = text_of(doc, "name");
    c.source_url = text_of(doc["source"], "url");
    c.source_revision = text_of(doc["source"], "revision");
    c.note = doc.value("note", "");
    return c;
}

const std::vector<model_config>& builtin_presets() {
    static const std::vector<model_config> presets = [] {
        std::vector<model_config> out;
        for (const auto& [name, text] : builtin_preset_files()) {
            out.push_back(parse_preset(text, name));
        }
        return out;
    }();
    return presets;
}

const model_config* find_preset(std::string_view key) {
    for (const auto& p : builtin_presets()) {
        if (std::ranges::equal(p.key, key, [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            return &p;
        }
    }
    return nullptr;
}

std::string valid_preset_keys() {
    std::string out;
    for (const auto& p : builtin_presets()) {
        out += (out.empty() ? "" : ", ") + p.key;
    }
    return out;
}

} // namespace roofline::workload
