// Codecs of a point and its parts (schemas/point.schema.json), each type's to_json and *_from_json side by
// side. A new point field: add it to schemas/point.schema.json, to the struct, and here (both directions when
// the store or the worker protocol must carry it back).
#include "json_util.hpp"
#include "roofline/core/gap.hpp"
#include "roofline/core/json.hpp"
#include "roofline/core/perf_model.hpp"

#include <limits>

#ifndef ROOFLINE_VERSION
#define ROOFLINE_VERSION "0.0.0"
#endif

namespace roofline {

using namespace json_detail;

std::string_view tool_version() noexcept {
    return ROOFLINE_VERSION;
}

json count_json(count_t v) {
    if (v <= std::numeric_limits<std::uint64_t>::max()) {
        return static_cast<std::uint64_t>(v);
    }
    return to_double(v);
}

// ------------------------------------------------------------------------------------------------ problem

json to_json(const gemm_problem& p) {
    return {{"M", p.m},
            {"N", p.n},
            {"K", p.k},
            {"a_precision", to_string(p.a)},
            {"b_precision", to_string(p.b)},
            {"out_precision", to_string(p.out)},
            {"beta", p.beta},
            {"group_size", p.group_size}};
}

namespace {
gemm_problem problem_from_json(const json& j) {
    gemm_problem p;
    p.m = need(j, "M").get<std::int64_t>();
    p.n = need(j, "N").get<std::int64_t>();
    p.k = need(j, "K").get<std::int64_t>();
    p.a = parse_precision(need(j, "a_precision").get<std::string>());
    p.b = parse_precision(need(j, "b_precision").get<std::string>());
    p.out = parse_precision(need(j, "out_precision").get<std::string>());
    p.beta = j.value("beta", 0.0);
    // Points stored before group scales were modelled used the usual INT4 group.
    p.group_size = j.value("group_size", default_group_size);
    return p;
}
} // namespace

// ------------------------------------------------------------------------------------------------- timing

json to_json(const timing_stats& t) {
    json j{{"mode", to_string(t.mode)},  {"pacing", to_string(t.pacing)},
           {"idle_ratio", t.idle_ratio}, {"samples", t.samples},
           {"median_s", t.median_s},     {"min_s", t.min_s},
           {"max_s", t.max_s},           {"mean_s", t.mean_s},
           {"stdev_s", t.stdev_s},       {"relative_spread", t.relative_spread()}};
    if (!t.sample_s.empty()) {
        j["sample_s"] = t.sample_s;
    }
    return j;
}

timing_stats timing_from_json(const json& j) {
    timing_stats t;
    t.mode = parse_timing_mode(need(j, "mode").get<std::string>());
    // Points stored before pacing existed were timed back to back.
    t.pacing = parse_sample_pacing(j.value("pacing", std::string("continuous")));
    t.idle_ratio = j.value("idle_ratio", 0.0);
    t.samples = need(j, "samples").get<std::size_t>();
    t.median_s = need(j, "median_s").get<double>();
    t.min_s = need(j, "min_s").get<double>();
    t.max_s = need(j, "max_s").get<double>();
    t.mean_s = need(j, "mean_s").get<double>();
    t.stdev_s = need(j, "stdev_s").get<double>();
    t.sample_s = j.value("sample_s", std::vector<double>{});
    return t;
}

// ----------------------------------------------------------------------------------------------- accuracy

json to_json(const accuracy& a) {
    return {{"relative_error", a.relative_error},
            {"max_abs_error", a.max_abs_error},
            {"tolerance", a.tolerance},
            {"checked_elements", a.checked_elements},
            {"reference", a.reference}};
}

accuracy accuracy_from_json(const json& j) {
    return accuracy{j.value("relative_error", 0.0), j.value("max_abs_error", 0.0), j.value("tolerance", 0.0),
                    j.value("checked_elements", std::size_t{0}), j.value("reference", "")};
}

// -------------------------------------------------------------------------------------------- measurement

json to_json(const measurement& m) {
    return {{"timing", to_json(m.timing)},
            {"algorithm", m.algorithm},
            {"layout", m.layout},
            {"kernel_path", m.kernel_path},
            {"candidates_timed", m.candidates_timed},
            {"algorithm_from_cache", m.algorithm_from_cache},
            {"device", to_json(m.device)},
            {"notes", m.notes},
            {"error", m.error ? to_json(*m.error) : json(nullptr)},
            {"telemetry", m.telemetry ? to_json(*m.telemetry) : json(nullptr)}};
}

measurement measurement_from_json(const json& j) {
    measurement m;
    m.timing = timing_from_json(need(j, "timing"));
    m.algorithm = j.value("algorithm", "");
    m.layout = j.value("layout", "");
    m.kernel_path = j.value("kernel_path", "");
    m.candidates_timed = j.value("candidates_timed", std::size_t{0});
    m.algorithm_from_cache = j.value("algorithm_from_cache", false);
    m.notes = j.value("notes", std::vector<std::string>{});
    if (const auto e = j.find("error"); e != j.end() && e->is_object()) {
        m.error = accuracy_from_json(*e);
    }
    if (const auto d = j.find("device"); d != j.end() && d->is_object()) {
        m.device = device_from_json(*d);
    }
    if (const auto t = j.find("telemetry"); t != j.end() && t->is_object()) {
        m.telemetry = telemetry_from_json(*t);
    }
    return m;
}

// --------------------------------------------------------------------------------------------------- roof

json roof_json(const roofline_estimate& e, double flops_per_s) {
    json roof{{"bound", to_string(e.bound)},
              {"memory_roof_tflops", round_sig(e.memory_roof_flops_per_s / 1e12)},
              {"compute_roof_tflops",
               e.roof.available ? json(round_sig(e.roof.peak_flops_per_s / 1e12)) : json(nullptr)},
              {"attainable_tflops", e.attainable_flops_per_s > 0
                                        ? json(round_sig(e.attainable_flops_per_s / 1e12))
                                        : json(nullptr)},
              {"ridge_ai", e.roof.available ? json(round_sig(e.roof.ridge_ai)) : json(nullptr)},
              {"predicted_time_s", e.predicted_time_s > 0 ? json(e.predicted_time_s) : json(nullptr)}};
    const auto frac = flops_per_s > 0 ? fraction_of_roof(e, flops_per_s) : std::nullopt;
    roof["fraction_of_roof"] = frac ? json(round_sig(*frac, 6)) : json(nullptr);
    if (!e.roof.available) {
        roof["reason"] = e.roof.reason;
    }
    return roof;
}

namespace {
bound_kind parse_bound(const std::string& s) {
    for (const auto b :
         {bound_kind::memory, bound_kind::compute, bound_kind::unsupported, bound_kind::unknown}) {
        if (to_string(b) == s) {
            return b;
        }
    }
    throw std::invalid_argument("unknown bound '" + s + "'");
}
} // namespace

// The estimate as it was stored, against whatever roofs the run used (a roof=measured run's "<gpu>-measured"
// entry is in no registry): the figures come from the JSON, not from today's hardware files.
roofline_estimate roof_from_json(const json& j, const analysis_point& p) {
    roofline_estimate e;
    e.bound = parse_bound(need(j, "bound").get<std::string>());
    e.ai = p.traffic.arithmetic_intensity();
    e.memory_roof_flops_per_s = need(j, "memory_roof_tflops").get<double>() * 1e12;
    e.attainable_flops_per_s = opt_number(j, "attainable_tflops").value_or(0.0) * 1e12;
    e.predicted_time_s = opt_number(j, "predicted_time_s").value_or(0.0);
    e.roof.precision = compute_precision(p.problem);
    const auto peak = opt_number(j, "compute_roof_tflops");
    e.roof.available = peak.has_value();
    e.roof.peak_flops_per_s = peak.value_or(0.0) * 1e12;
    e.roof.ridge_ai = opt_number(j, "ridge_ai").value_or(0.0);
    e.roof.bandwidth_bytes_per_s = e.ai > 0 ? e.memory_roof_flops_per_s / e.ai : 0.0;
    e.roof.reason = j.value("reason", "");
    return e;
}

// ---------------------------------------------------------------------------------------------------- gap

json to_json(const gap_analysis& g) {
    json reasons = json::array();
    for (const auto& r : g.reasons) {
        reasons.push_back(
            {{"kind", to_string(r.kind)}, {"message", r.message}, {"roof_fraction", opt(r.roof_fraction)}});
    }
    return {{"applicable", g.applicable},
            {"fraction_of_roof", opt(g.fraction_of_roof)},
            {"roof_at_clock_tflops", g.roof_at_clock_flops_per_s
                                         ? json(round_sig(*g.roof_at_clock_flops_per_s / 1e12))
                                         : json(nullptr)},
            {"fraction_of_roof_at_clock", opt(g.fraction_of_roof_at_clock)},
            {"reasons", reasons}};
}

// -------------------------------------------------------------------------------------------------- point

json to_json(const analysis_point& p) {
    const bool has_time = p.time_s > 0.0;
    json j = to_json(p.problem);
    j.update({{"label", p.label()},
              {"precision", p.problem.precision_label()},
              {"compute_precision", to_string(compute_precision(p.problem))},
              {"colour", info(p.problem.a).colour},
              {"source", to_string(p.source)},
              {"disposition", to_string(p.status)},
              {"message", p.message},
              {"hardware_key", p.hardware_key},
              {"flops", count_json(p.traffic.flops)},
              {"bytes", count_json(p.traffic.bytes())},
              {"a_bytes", count_json(p.traffic.a_bytes)},
              {"b_bytes", count_json(p.traffic.b_bytes)},
              {"c_bytes", count_json(p.traffic.c_bytes)},
              {"d_bytes", count_json(p.traffic.d_bytes)},
              {"ai", round_sig(p.traffic.arithmetic_intensity())},
              {"time_s", has_time ? json(p.time_s) : json(nullptr)},
              {"time_us", has_time ? json(round_sig(p.time_s * 1e6)) : json(nullptr)},
              {"tflops", has_time ? json(round_sig(p.flops_per_s() / 1e12)) : json(nullptr)},
              {"bound", p.roof ? json(to_string(p.roof->bound)) : json(nullptr)},
              {"roof", p.roof ? roof_json(*p.roof, has_time ? p.flops_per_s() : 0.0) : json(nullptr)},
              {"measured", p.measured ? to_json(*p.measured) : json(nullptr)}});
    if (p.roof) {
        // The same fraction against the roof at the clock the point ran at (paced H100/H200: 1980 MHz where
        // the datasheet assumes 1830): the compute roof scales with the clock, the memory roof does not.
        auto& roof = j["roof"];
        const auto at_clock = roof_at_clock(*p.roof, p);
        roof["roof_clock_mhz"] = opt(at_clock.roof_clock_mhz);
        roof["run_clock_mhz"] = opt(at_clock.run_clock_mhz);
        roof["attainable_at_run_clock_tflops"] = at_clock.attainable_flops_per_s > 0
                                                     ? json(round_sig(at_clock.attainable_flops_per_s / 1e12))
                                                     : json(nullptr);
        roof["fraction_of_roof_at_run_clock"] =
            has_time && at_clock.attainable_flops_per_s > 0
                ? json(round_sig(p.flops_per_s() / at_clock.attainable_flops_per_s, 6))
                : json(nullptr);
    }
    j["prediction"] = p.prediction ? to_json(*p.prediction) : json(nullptr);
    const auto err = p.prediction_error();
    j["prediction_error"] = err ? json(round_sig(*err, 6)) : json(nullptr);
    const auto pacing = p.pacing();
    j["pacing"] = pacing ? json(to_string(*pacing)) : json(nullptr);
    const auto clock = p.clock_mhz();
    j["clock_mhz"] = clock ? json(round_sig(*clock, 6)) : json(nullptr);
    return j;
}

analysis_point point_from_json(const json& j) {
    try {
        analysis_point p;
        p.problem = problem_from_json(j);
        p.traffic = compute_traffic(p.problem);
        p.source = need(j, "source").get<std::string>() == "measured" ? point_source::measured
                                                                      : point_source::predicted;
        p.status = parse_disposition(need(j, "disposition").get<std::string>());
        p.message = j.value("message", "");
        p.hardware_key = j.value("hardware_key", "");
        const auto& t = need(j, "time_s");
        p.time_s = t.is_number() ? t.get<double>() : 0.0;
        if (const auto it = j.find("roof"); it != j.end() && it->is_object()) {
            p.roof = roof_from_json(*it, p);
        }
        if (const auto it = j.find("measured"); it != j.end() && it->is_object()) {
            p.measured = measurement_from_json(*it);
        }
        // prediction_error, pacing and clock_mhz are derived from these two on the way out.
        if (const auto it = j.find("prediction"); it != j.end() && it->is_object()) {
            p.prediction = prediction_from_json(*it);
        }
        return p;
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("point JSON: ") + e.what());
    }
}

json point_document(const hardware_entry& hw, const analysis_point& p) {
    auto j = to_json(p);
    // Why a measured point sits below its roof, with figures; predicted points are on it by definition.
    if (p.source == point_source::measured && p.time_s > 0) {
        j["gap"] = to_json(analyze_gap(p, hw));
    }
    return j;
}

json points_document(const hardware_entry& hw, const std::vector<analysis_point>& points) {
    json arr = json::array();
    for (const auto& p : points) {
        arr.push_back(point_document(hw, p));
    }
    return arr;
}

json analysis_document(const hardware_entry& hw, const std::vector<analysis_point>& points) {
    return {{"schema_version", report_schema_version},
            {"tool_version", tool_version()},
            {"hardware", roofs_json(hw)},
            {"points", points_document(hw, points)}};
}

} // namespace roofline
