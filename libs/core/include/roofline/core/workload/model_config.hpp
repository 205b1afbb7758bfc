// A transformer's configuration as far as it shapes GEMMs, read from the config.json that Hugging Face model
// repositories publish, and the built-in presets (data/presets/*.json, each citing the file it came from).
//
// Parsing is strict on purpose: a key this tool does not know might change the shapes (a new attention
// variant, a second expert pool), so an unknown key is an error naming it rather than a silently wrong count.
// Keys known not to change any GEMM (token ids, rope scaling, dropout, ...) are accepted and ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roofline::workload {

// Bad configuration: the message names the key (config.json's own spelling) and what was wrong.
class config_error : public std::invalid_argument {
  public:
    config_error(std::string key, const std::string& what)
        : std::invalid_argument("config key '" + key + "': " + what), m_key(std::move(key)) {}
    [[nodiscard]] const std::string& key() const noexcept { return m_key; }

  private:
    std::string m_key;
};

// Mixture of experts: each token goes to top_k of routed_experts experts (each an FFN of expert_ffn), plus
// shared_experts FFNs of the same width that every token passes through.
struct moe_config {
    std::int64_t routed_experts = 0;
    std::int64_t top_k = 0;
    std::int64_t expert_ffn = 0;
    std::int64_t shared_experts = 0;
    std::int64_t first_dense_layers = 0; // DeepSeek's first_k_dense_replace: these layers keep a dense FFN
};

// Multi-head latent attention (DeepSeek-V2/V3): Q and KV go through low-rank projections.
struct mla_config {
    std::int64_t q_lora_rank = 0; // 0: Q projected directly from the hidden state
    std::int64_t kv_lora_rank = 0;
    std::int64_t qk_nope_head_dim = 0;
    std::int64_t qk_rope_head_dim = 0;
    std::int64_t v_head_dim = 0;
};

struct model_config {
    std::string key;        // preset key, or the name a user's file was given under
    std::string name;       // for people
    std::string model_type; // config.json's model_type
    std::string source_url; // where the configuration came from (presets), else the file name
    std::string source_revision;
    std::string note;

    std::int64_t hidden = 0;
    std::int64_t ffn = 0; // dense MLP width (intermediate_size)
    std::int64_t heads = 0;
    std::int64_t kv_heads = 0;
    std::int64_t head_dim = 0;
    std::int64_t vocab = 0;
    std::int64_t layers = 0;
    bool gated_mlp = true; // SwiGLU: gate and up projections, then down
    bool tie_embeddings = false;
    // Sliding-window attention on some layers (gpt-oss alternates): these layers attend to at most
    // sliding_window previous tokens.
    std::int64_t sliding_window = 0;
    std::vector<bool> sliding_layers; // empty: no layer slides; else one flag per layer
    std::optional<moe_config> moe;
    std::optional<mla_config> mla;

    [[nodiscard]] bool is_moe_layer(std::int64_t layer) const noexcept {
        return moe.has_value() && layer >= moe->first_dense_layers;
    }
    [[nodiscard]] bool is_sliding_layer(std::int64_t layer) const noexcept {
        return layer >= 0 && static_cast<std::size_t>(layer) < sliding_layers.size() &&
               sliding_layers[static_cast<std::size_t>(layer)];
    }
    [[nodiscard]] std::int64_t moe_layers() const noexcept {
        return moe ? layers - moe->first_dense_layers : 0;
    }
    [[nodiscard]] std::int64_t dense_layers() const noexcept { return layers - moe_layers(); }
    [[nodiscard]] std::int64_t count_sliding_layers() const noexcept;
};

// The model types this tool derives GEMMs for, for messages: "llama, mistral, qwen2, mixtral, ...".
[[nodiscard]] std::string supported_model_types();

// A config.json's text. `origin` names it in messages and becomes key/name/source_url. Throws config_error
// naming the key (missing, wrong type, out of range, or unknown) or, for text that is not JSON, the key "".
[[nodiscard]] model_config parse_model_config(std::string_view json_text, const std::string& origin);

// A preset file: {"schema_version", "key", "name", "source": {"url", "revision"}, "note"?, "config": {...}}.
[[nodiscard]] model_config parse_preset(std::string_view json_text, const std::string& file_name);

// The presets compiled in from data/presets, in file-name order.
[[nodiscard]] const std::vector<model_config>& builtin_presets();
// Case-insensitive key; nullptr when absent.
[[nodiscard]] const model_config* find_preset(std::string_view key);
[[nodiscard]] std::string valid_preset_keys();

// Generated at build time from data/presets: {file name, contents}.
[[nodiscard]] const std::vector<std::pair<std::string, std::string>>& builtin_preset_files();

} // namespace roofline::workload
