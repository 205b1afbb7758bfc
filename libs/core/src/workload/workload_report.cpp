#include "roofline/core/workload/workload_report.hpp"

#include "../json/json_util.hpp"
#include "roofline/core/report.hpp"

#include <iomanip>
#include <sstream>

namespace roofline::workload {
namespace {

using json = nlohmann::json;

std::string fixed(double v, int digits) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << v;
    return s.str();
}

std::string pad(const std::string& s, std::size_t width, bool right = false) {
    if (s.size() >= width) {
        return s + " ";
    }
    const std::string fill(width - s.size(), ' ');
    return right ? fill + s : s + fill;
}

json optional_number(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

json totals_json(const time_totals& t) {
    return {{"flops", t.flops},
            {"bytes", t.bytes},
            {"predicted_s", t.predicted_s},
            {"measured_s", optional_number(t.measured_s)}};
}

// The performance model's interval for one GEMM of the model (the point's [p10, p90] times) and per layer
// (times the GEMM's count, as time_s_per_layer); null when the point has no prediction (no roof for it).
json predicted_interval(const gemm_estimate& g) {
    const auto& pred = g.predicted.prediction;
    if (!pred || g.predicted.status != disposition::passed) {
        return nullptr;
    }
    return {{"low_s", pred->low_s},
            {"high_s", pred->high_s},
            {"low_s_per_layer", g.gemm.count * pred->low_s},
            {"high_s_per_layer", g.gemm.count * pred->high_s},
            {"calibrated", pred->calibrated},
            {"basis", pred->basis}};
}

// measured / predicted for a measured GEMM of the model: the point's own (when it carries a prediction)
// or the model's prediction for the same problem, which the estimate holds; null when either did not pass.
json measured_prediction_error(const gemm_estimate& g) {
    const auto& m = *g.measured;
    if (const auto err = m.prediction_error()) {
        return json_detail::round_sig(*err, 6);
    }
    const auto& pred = g.predicted.prediction;
    if (m.status != disposition::passed || !(m.time_s > 0) || !pred || !(pred->time_s > 0) ||
        (m.pacing() && *m.pacing() != pred->pacing)) {
        return nullptr;
    }
    return json_detail::round_sig(m.time_s / pred->time_s, 6);
}

json gemm_json(const gemm_estimate& g) {
    const auto& p = g.predicted;
    json j{{"name", g.gemm.name},
           {"block", g.gemm.block},
           {"role", to_string(g.gemm.role)},
           {"layers", to_string(g.gemm.layers)},
           {"occurrences", g.occurrences},
           {"count", g.gemm.count},
           {"rows", g.gemm.rows},
           {"M", g.problem.m},
           {"N", g.problem.n},
           {"K", g.problem.k},
           {"a_precision", to_string(g.problem.a)},
           {"b_precision", to_string(g.problem.b)},
           {"out_precision", to_string(g.problem.out)},
           {"flops", g.flops_per_layer},
           {"bytes", g.bytes_per_layer},
           {"ai", g.ai()}};
    j["bound"] = p.roof ? json(to_string(p.roof->bound)) : json(nullptr);
    j["roof_flops_per_s"] = p.roof ? json(p.roof->attainable_flops_per_s) : json(nullptr);
    j["predicted"] = {{"time_s", p.time_s},
                      {"time_s_per_layer", g.predicted_s_per_layer()},
                      {"interval", predicted_interval(g)},
                      {"status", to_string(p.status)},
                      {"message", p.message}};
    if (g.measured) {
        const auto& m = *g.measured;
        j["measured"] = {{"time_s", m.time_s},
                         {"time_s_per_layer", optional_number(g.measured_s_per_layer())},
                         {"status", to_string(m.status)},
                         {"message", m.message},
                         {"flops_per_s", m.flops_per_s()},
                         {"prediction_error", measured_prediction_error(g)}};
    } else {
        j["measured"] = nullptr;
    }
    return j;
}

// Seconds in the unit that keeps three significant digits readable: "4.07 ms", "120 us", "1.52 s".
std::string seconds_text(double s) {
    if (s >= 1.0) {
        return fixed(s, 3) + " s";
    }
    if (s >= 1e-3) {
        return fixed(s * 1e3, 3) + " ms";
    }
    return fixed(s * 1e6, 2) + " us";
}

std::string time_text(double s) {
    return s > 0 ? fixed(s * 1e6, 2) : std::string("-");
}

} // namespace

json to_json(const model_config& c) {
    json j{{"key", c.key},
           {"name", c.name},
           {"model_type", c.model_type},
           {"source", {{"url", c.source_url}, {"revision", c.source_revision}}},
           {"note", c.note},
           {"hidden", c.hidden},
           {"ffn", c.ffn},
           {"heads", c.heads},
           {"kv_heads", c.kv_heads},
           {"head_dim", c.head_dim},
           {"vocab", c.vocab},
           {"layers", c.layers},
           {"gated_mlp", c.gated_mlp},
           {"tie_embeddings", c.tie_embeddings},
           {"sliding_window", c.sliding_window},
           {"sliding_layers", c.count_sliding_layers()},
           {"weight_parameters", weight_parameters(c)}};
    if (c.moe) {
        j["moe"] = {{"routed_experts", c.moe->routed_experts},
                    {"top_k", c.moe->top_k},
                    {"expert_ffn", c.moe->expert_ffn},
                    {"shared_experts", c.moe->shared_experts},
                    {"first_dense_layers", c.moe->first_dense_layers}};
    } else {
        j["moe"] = nullptr;
    }
    if (c.mla) {
        j["mla"] = {{"q_lora_rank", c.mla->q_lora_rank},
                    {"kv_lora_rank", c.mla->kv_lora_rank},
                    {"qk_nope_head_dim", c.mla->qk_nope_head_dim},
                    {"qk_rope_head_dim", c.mla->qk_rope_head_dim},
                    {"v_head_dim", c.mla->v_head_dim}};
    } else {
        j["mla"] = nullptr;
    }
    return j;
}

json to_json(const model_estimate& e) {
    json gemms = json::array();
    for (const auto& g : e.gemms) {
        gemms.push_back(gemm_json(g));
    }
    json fits = e.fits() ? json(*e.fits()) : json(nullptr);
    return {
        {"scheme",
         {{"name", e.scheme.name},
          {"weights", to_string(e.scheme.weights)},
          {"activations", to_string(e.scheme.activations)},
          {"attention", to_string(e.scheme.attention())}}},
        {"hardware_key", e.hardware_key},
        {"gemms", gemms},
        {"totals",
         {{"forward", totals_json(e.forward)},
          {"weight_gemms", totals_json(e.weight_gemms)},
          {"attention", totals_json(e.attention)},
          {"per_layer", totals_json(e.per_layer)},
          {"per_token", totals_json(e.per_token)}}},
        {"measured_note", "measured totals: weight GEMMs as the GPU ran them, attention products predicted"},
        {"dominant", {{"name", e.dominant}, {"share", e.dominant_share}}},
        {"memory",
         {{"weight_bytes", e.weight_bytes},
          {"kv_cache_bytes", e.kv_cache_bytes},
          {"gpu_memory_bytes", optional_number(e.gpu_memory_bytes)},
          {"fits", fits}}}};
}

json model_document(const model_workload& w, const std::vector<model_estimate>& estimates,
                    const hardware_entry& hw, const std::string& backend_note) {
    json precisions = json::array();
    for (const auto& e : estimates) {
        precisions.push_back(to_json(e));
    }
    return {{"schema_version", workload_schema_version},
            {"tool_version", tool_version()},
            {"kind", "model"},
            {"model", to_json(w.config)},
            {"step",
             {{"phase", to_string(w.shape.kind)},
              {"batch", w.shape.batch},
              {"tokens", w.shape.sequence},
              {"tokens_in_step", w.shape.tokens()},
              {"context", w.shape.context()},
              {"fused_qkv", w.shape.fused_qkv},
              {"fused_gate_up", w.shape.fused_gate_up}}},
            {"hardware", roofs_json(hw)},
            {"backend", backend_note},
            {"precisions", precisions}};
}

std::string model_table(const model_workload& w, const std::vector<model_estimate>& estimates,
                        const hardware_entry& hw) {
    std::ostringstream out;
    const auto& c = w.config;
    out << c.name << " (" << c.model_type << ", " << c.layers << " layers), " << to_string(w.shape.kind)
        << ": batch " << w.shape.batch << ", " << (w.shape.kind == phase::prefill ? "sequence " : "context ")
        << w.shape.sequence << " -> " << w.shape.tokens() << " tokens in the step; on " << hw.name << " ("
        << hw.key << ")\n";
    for (const auto& e : estimates) {
        out << "\n== " << e.scheme.name << " (weights " << to_string(e.scheme.weights) << ", activations "
            << to_string(e.scheme.activations) << ", attention " << to_string(e.scheme.attention()) << ")\n";
        out << pad("GEMM", 30) << pad("layers", 7, true) << pad("count", 9, true) << pad("M", 8, true)
            << pad("N", 8, true) << pad("K", 7, true) << pad("GFLOP/layer", 13, true) << pad("AI", 9, true)
            << pad("bound", 9, true) << pad("pred us/layer", 15, true) << pad("meas us/layer", 15, true)
            << '\n';
        std::vector<std::string> notes;
        for (const auto& g : e.gemms) {
            const auto measured = g.measured_s_per_layer();
            out << pad(g.gemm.name + (g.gemm.role == gemm_role::attention ? " *" : ""), 30)
                << pad(std::to_string(g.occurrences), 7, true) << pad(fixed(g.gemm.count, 2), 9, true)
                << pad(std::to_string(g.problem.m), 8, true) << pad(std::to_string(g.problem.n), 8, true)
                << pad(std::to_string(g.problem.k), 7, true)
                << pad(fixed(g.flops_per_layer / 1e9, 3), 13, true) << pad(fixed(g.ai(), 1), 9, true)
                << pad(g.predicted.roof ? std::string(to_string(g.predicted.roof->bound)) : "-", 9, true)
                << pad(time_text(g.predicted_s_per_layer()), 15, true)
                << pad(measured ? time_text(*measured) : std::string("-"), 15, true) << '\n';
            if (g.predicted.status != disposition::passed) {
                notes.push_back(g.gemm.name + ": " + g.predicted.message);
            }
            if (g.measured && g.measured->status != disposition::passed) {
                notes.push_back(g.gemm.name + " (measured, " + std::string(to_string(g.measured->status)) +
                                "): " + g.measured->message);
            }
        }
        auto line = [&](const char* label, const time_totals& t) {
            out << pad(label, 16) << pad(format_si(t.flops, "FLOP"), 14, true)
                << pad(format_si(t.bytes, "B"), 12, true) << "  predicted " << seconds_text(t.predicted_s);
            if (t.measured_s) {
                out << ", measured " << seconds_text(*t.measured_s);
            }
            out << '\n';
        };
        out << "(* attention products: batched GEMMs over activations, predicted only)\n";
        line("per layer", e.per_layer);
        line("per token", e.per_token);
        line("forward", e.forward);
        line("  weight GEMMs", e.weight_gemms);
        line("  attention", e.attention);
        out << "dominant: " << e.dominant << " (" << fixed(e.dominant_share * 100, 1)
            << "% of the predicted forward)\n";
        out << "weights: " << format_si(e.weight_bytes, "B") << ", KV cache "
            << format_si(e.kv_cache_bytes, "B");
        if (e.gpu_memory_bytes) {
            out << " vs " << format_si(*e.gpu_memory_bytes, "B") << " of GPU memory: weights "
                << (*e.fits() ? "fit" : "do NOT fit");
            if (*e.fits() && e.weight_bytes + e.kv_cache_bytes > *e.gpu_memory_bytes) {
                out << " (with the KV cache they do not)";
            }
        }
        out << '\n';
        for (const auto& n : notes) {
            out << "  note: " << n << '\n';
        }
    }
    return out.str();
}

std::string model_csv(const std::vector<model_estimate>& estimates) {
    std::ostringstream out;
    out << "scheme,gemm,role,layers,count,M,N,K,a_precision,b_precision,flops_per_layer,bytes_per_layer,ai,"
           "bound,"
           "predicted_s_per_layer,measured_s_per_layer,status,interval_low_s_per_layer,"
           "interval_high_s_per_layer,calibrated,prediction_error\n";
    out << std::setprecision(9);
    for (const auto& e : estimates) {
        for (const auto& g : e.gemms) {
            const auto m = g.measured_s_per_layer();
            out << e.scheme.name << ',' << g.gemm.name << ',' << to_string(g.gemm.role) << ','
                << g.occurrences << ',' << g.gemm.count << ',' << g.problem.m << ',' << g.problem.n << ','
                << g.problem.k << ',' << to_string(g.problem.a) << ',' << to_string(g.problem.b) << ','
                << g.flops_per_layer << ',' << g.bytes_per_layer << ',' << g.ai() << ','
                << (g.predicted.roof ? to_string(g.predicted.roof->bound) : "") << ','
                << g.predicted_s_per_layer() << ',' << (m ? std::to_string(*m) : "") << ','
                << to_string(g.predicted.status) << ',';
            // The interval and measured / predicted, as in the JSON (empty when there is none).
            const auto iv = predicted_interval(g);
            const auto err = g.measured ? measured_prediction_error(g) : json(nullptr);
            if (iv.is_object()) {
                out << iv["low_s_per_layer"].get<double>() << ',' << iv["high_s_per_layer"].get<double>()
                    << ',' << (iv["calibrated"].get<bool>() ? "true" : "false");
            } else {
                out << ",,";
            }
            out << ',' << (err.is_number() ? std::to_string(err.get<double>()) : std::string()) << '\n';
        }
    }
    return out.str();
}

json to_json(const spot_result& s) {
    const auto& z = s.request.sizes;
    json sizes;
    switch (s.request.op) {
    case spot_op::gemm:
        sizes = {{"m", z.m}, {"n", z.n}, {"k", z.k}};
        break;
    case spot_op::elementwise:
        sizes = {{"elements", z.elements}, {"inputs", z.inputs}, {"flops_per_element", z.flops_per_element}};
        break;
    case spot_op::softmax:
    case spot_op::layernorm:
    case spot_op::rmsnorm:
        sizes = {{"rows", z.rows}, {"cols", z.cols}};
        break;
    case spot_op::attention:
        sizes = {
            {"batch", z.batch},  {"heads", z.heads},   {"kv_heads", z.kv_heads > 0 ? z.kv_heads : z.heads},
            {"q_len", z.q_len},  {"kv_len", z.kv_len}, {"head_dim", z.head_dim},
            {"causal", z.causal}};
        break;
    case spot_op::custom:
        sizes = json::object();
        break;
    }
    return {{"op", to_string(s.request.op)},
            {"sizes", sizes},
            {"precision", to_string(s.request.precision)},
            {"roof_precision", to_string(s.counts.roof_precision)},
            {"flops", s.counts.flops},
            {"bytes", s.counts.bytes},
            {"formula", s.counts.formula},
            {"time_s", s.request.time_s},
            {"ai", s.ai},
            {"achieved_flops_per_s", s.achieved_flops_per_s},
            {"achieved_bytes_per_s", s.achieved_bytes_per_s},
            {"attainable_flops_per_s", s.attainable_flops_per_s},
            {"bound", to_string(s.bound)},
            {"fraction_of_roof", optional_number(s.fraction_of_roof)},
            {"roof_time_s", s.roof_time_s},
            {"headroom", s.headroom},
            {"hardware_key", s.hardware_key},
            {"message", s.message}};
}

json spot_document(const spot_result& s, const hardware_entry& hw) {
    return {{"schema_version", workload_schema_version},
            {"tool_version", tool_version()},
            {"kind", "spot"},
            {"hardware", roofs_json(hw)},
            {"spot", to_json(s)}};
}

std::string spot_table(const spot_result& s, const hardware_entry& hw) {
    std::ostringstream out;
    out << "Spot check: " << to_string(s.request.op) << " in " << to_string(s.request.precision) << " on "
        << hw.name << " (" << hw.key << ")\n";
    out << "  counted:    " << format_si(s.counts.flops, "FLOP") << ", " << format_si(s.counts.bytes, "B")
        << " (" << s.counts.formula << ")\n";
    out << "  AI:         " << fixed(s.ai, 2) << " FLOP/B\n";
    out << "  achieved:   " << fixed(s.achieved_flops_per_s / 1e12, 3) << " TFLOP/s, "
        << fixed(s.achieved_bytes_per_s / 1e9, 1) << " GB/s in " << seconds_text(s.request.time_s) << '\n';
    out << "  roof:       " << fixed(s.attainable_flops_per_s / 1e12, 3) << " TFLOP/s at this AI ("
        << to_string(s.bound) << "-bound, " << to_string(s.counts.roof_precision) << " roof)\n";
    if (s.fraction_of_roof) {
        out << "  % of roof:  " << fixed(*s.fraction_of_roof * 100, 1) << "%\n";
        out << "  roof time:  " << seconds_text(s.roof_time_s) << " (headroom " << fixed(s.headroom, 2)
            << "x, " << seconds_text(s.request.time_s - s.roof_time_s) << " above the roof)\n";
    }
    out << "  " << s.message << '\n';
    return out.str();
}

std::string spot_csv(const spot_result& s) {
    std::ostringstream out;
    out << std::setprecision(9);
    out << "op,precision,flops,bytes,time_s,ai,achieved_flops_per_s,achieved_bytes_per_s,attainable_flops_"
           "per_s,"
           "bound,fraction_of_roof,roof_time_s,headroom\n";
    out << to_string(s.request.op) << ',' << to_string(s.request.precision) << ',' << s.counts.flops << ','
        << s.counts.bytes << ',' << s.request.time_s << ',' << s.ai << ',' << s.achieved_flops_per_s << ','
        << s.achieved_bytes_per_s << ',' << s.attainable_flops_per_s << ',' << to_string(s.bound) << ','
        << (s.fraction_of_roof ? std::to_string(*s.fraction_of_roof) : "") << ',' << s.roof_time_s << ','
        << s.headroom << '\n';
    return out.str();
}

json to_json(const batch_error& e) {
    return {{"line", e.line}, {"field", e.field}, {"message", e.message}};
}

} // namespace roofline::workload

namespace roofline::workload {

nlohmann::json batch_document(const hardware_entry& hw, const batch_input& input,
                              const std::vector<analysis_point>& predicted,
                              const std::vector<analysis_point>& measured, const std::string& backend) {
    json cases = json::array();
    for (std::size_t i = 0; i < input.cases.size(); ++i) {
        cases.push_back({{"index", i}, {"line", input.cases[i].line}, {"label", input.cases[i].label}});
    }
    json errors = json::array();
    for (const auto& e : input.errors) {
        errors.push_back(to_json(e));
    }
    json pred = json::array();
    for (const auto& p : predicted) {
        pred.push_back(roofline::to_json(p));
    }
    json meas = json::array();
    for (const auto& p : measured) {
        meas.push_back(roofline::to_json(p));
    }
    return {{"schema_version", workload_schema_version},
            {"tool_version", tool_version()},
            {"kind", "batch"},
            {"backend", backend},
            {"hardware", roofs_json(hw)},
            {"format", input.format},
            {"cases", cases},
            {"errors", errors},
            {"predicted", pred},
            {"measured", meas}};
}

} // namespace roofline::workload
