// The GEMMs of a transformer's forward pass, derived from its configuration, and their place on a GPU's
// roofline at a chosen precision scheme.
//
// Conventions (docs/GUIDE.md, "Model presets"):
// - A is the activation (M×K, M = tokens in the step), B the weight (K×N); D is M×N.
// - prefill: tokens = batch × sequence; decode: tokens = batch (one new token per sequence), attending to
//   `context` cached tokens.
// - Routed experts: each of the T tokens picks top_k of E experts. The expected number of experts that get
//   at least one token is E·(1 − (1 − k/E)^T); each runs a GEMM over T·k / active tokens on average. FLOPs
//   and activation bytes use these expected values exactly; the predicted time runs a GEMM of ceil(rows) rows
//   per active expert. Weight bytes count every active expert's weights once.
// - Attention's score (Q·Kᵀ) and value (P·V) products are batched GEMMs over activations, reported apart
//   (role attention): counted unfused (the score matrix is written and read once), without a causal
//   discount; a fused kernel moves fewer bytes.
// - The LM head runs on one token per sequence (the next token's logits), in both phases.
#pragma once

#include "roofline/core/gemm.hpp"
#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"
#include "roofline/core/workload/model_config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roofline::workload {

enum class phase : std::uint8_t { prefill, decode };
[[nodiscard]] std::string_view to_string(phase p) noexcept;
[[nodiscard]] phase parse_phase(std::string_view s); // throws std::invalid_argument naming "phase"

inline constexpr std::int64_t max_batch = 65536;
inline constexpr std::int64_t max_sequence = 1048576;

struct step_shape {
    phase kind = phase::prefill;
    std::int64_t batch = 1;
    std::int64_t sequence = 2048; // prefill: prompt tokens per sequence; decode: tokens already cached
    bool fused_qkv = false;       // one QKV projection instead of three
    bool fused_gate_up = false;   // one gate+up projection instead of two
    [[nodiscard]] std::int64_t tokens() const noexcept {
        return kind == phase::prefill ? batch * sequence : batch;
    }
    [[nodiscard]] std::int64_t context() const noexcept {
        return kind == phase::prefill ? sequence : sequence + 1;
    }
};
// Throws std::invalid_argument naming "batch" or "tokens" and the allowed range.
void validate(const step_shape& s);

enum class gemm_role : std::uint8_t { weight, attention };
[[nodiscard]] std::string_view to_string(gemm_role r) noexcept;

// Which layers a GEMM appears in.
enum class layer_set : std::uint8_t { all, dense, moe, sliding, full_attention, head };
[[nodiscard]] std::string_view to_string(layer_set s) noexcept;

struct layer_gemm {
    std::string name;  // "attn.q_proj", "moe.experts.down", "attn.score", "lm_head"
    std::string block; // attention | mlp | moe | lm_head
    gemm_role role = gemm_role::weight;
    layer_set layers = layer_set::all;
    double count = 1;   // instances per layer (expected active experts; batch × heads for attention)
    double rows = 0;    // rows of one instance (expected; fractional only for routed experts)
    std::int64_t m = 0; // ceil(rows): the GEMM the prediction runs
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::int64_t weight_copies =
        0; // weight matrices of this shape a layer stores (all experts), 0 for attention

    // FLOPs of every instance in one layer that holds it: count · 2 · rows · N · K.
    [[nodiscard]] double flops_per_layer() const noexcept {
        return count * 2.0 * rows * double(n) * double(k);
    }
};

struct model_workload {
    model_config config;
    step_shape shape;
    std::vector<layer_gemm> gemms;
    // Layers of the forward pass that hold `s` (1 for the LM head).
    [[nodiscard]] std::int64_t occurrences(layer_set s) const noexcept;
    // FLOPs of the GEMMs in layer `layer` (0-based), weights and attention.
    [[nodiscard]] double layer_flops(std::int64_t layer, std::optional<gemm_role> role = {}) const;
};

[[nodiscard]] model_workload derive_gemms(const model_config& config, const step_shape& shape);

// Weights and activations may differ: W4A16 = INT4 weights with BF16 activations.
struct precision_scheme {
    std::string name; // "BF16", "FP8", "W8A8", "W4A16", or "INT4/BF16" (weights/activations)
    precision_id weights = precision_id::bf16;
    precision_id activations = precision_id::bf16;
    // Attention's products read activations and the KV cache: the activation format when it is a float,
    // else BF16 (integer attention is not what inference engines run).
    [[nodiscard]] precision_id attention() const noexcept;
};
// "bf16", "fp16", "fp8", "w8a8", "w4a16", "nvfp4", any single precision ("FP8_E5M2"), or WEIGHTS/ACTIVATIONS
// ("INT4/BF16"). Throws std::invalid_argument listing the accepted forms.
[[nodiscard]] precision_scheme parse_precision_scheme(std::string_view text);
[[nodiscard]] std::vector<precision_scheme> parse_precision_schemes(std::string_view comma_list);

// The GEMM problem of one instance of `g` in `scheme`.
[[nodiscard]] gemm_problem problem_for(const layer_gemm& g, const precision_scheme& scheme);

struct gemm_estimate {
    layer_gemm gemm;
    gemm_problem problem;                   // one instance
    analysis_point predicted;               // one instance, from the roofline model
    std::optional<analysis_point> measured; // one instance, when a GPU ran it
    double flops_per_layer = 0;
    double bytes_per_layer = 0;
    std::int64_t occurrences = 0; // layers holding it in one forward pass
    [[nodiscard]] double ai() const noexcept {
        return bytes_per_layer > 0 ? flops_per_layer / bytes_per_layer : 0;
    }
    [[nodiscard]] double predicted_s_per_layer() const noexcept { return gemm.count * predicted.time_s; }
    [[nodiscard]] std::optional<double> measured_s_per_layer() const noexcept;
};

struct time_totals {
    double flops = 0;
    double bytes = 0;
    double predicted_s = 0;
    std::optional<double> measured_s; // only when every weight GEMM was measured
};

struct model_estimate {
    precision_scheme scheme;
    std::string hardware_key;
    std::vector<gemm_estimate> gemms;
    time_totals forward;       // weights and attention, all layers and the LM head
    time_totals weight_gemms;  // weight GEMMs only
    time_totals attention;     // attention products only
    time_totals per_layer;     // forward (without the LM head) / layers
    time_totals per_token;     // forward / tokens in the step
    std::string dominant;      // the GEMM with the largest predicted time in one forward pass
    double dominant_share = 0; // its fraction of the forward's predicted time
    double weight_bytes = 0;   // every weight of the model (all experts, embeddings) in the scheme's weights
    double kv_cache_bytes = 0; // the KV cache of the step's batch at its context length
    std::optional<double> gpu_memory_bytes;
    [[nodiscard]] std::optional<bool> fits() const noexcept;
};

// Predicts every GEMM of `w` on `hw` in `scheme` (measured stays empty).
[[nodiscard]] model_estimate estimate_model(const model_workload& w, const precision_scheme& scheme,
                                            const hardware_entry& hw);
// Recomputes the totals after measured points were filled in.
void update_totals(model_estimate& e, const model_workload& w);

// Parameters the model stores (GEMM weights and embeddings; norms and biases are left out: they add no GEMM
// and under 0.1% of the bytes).
[[nodiscard]] double weight_parameters(const model_config& c);

} // namespace roofline::workload
