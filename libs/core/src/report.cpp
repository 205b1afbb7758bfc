#include "roofline/core/report.hpp"

#include "roofline/core/gap.hpp"
#include "roofline/core/perf_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <stdexcept>

#ifndef ROOFLINE_VERSION
#define ROOFLINE_VERSION "0.0.0"
#endif

namespace roofline {
namespace {

using json = nlohmann::json;

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

json opt(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

json sourced(const sourced_value& v, double scale = 1.0) {
    json j{{"value", v.value ? json(*v.value / scale) : json(nullptr)}, {"source", v.source}};
    if (!v.note.empty()) {
        j["note"] = v.note;
    }
    return j;
}

// Rounds for display in JSON so 1365.3333333 stays exact enough yet readable; raw counts carry the truth.
double round_sig(double v, int digits = 9) {
    if (v == 0.0 || !std::isfinite(v)) {
        return v;
    }
    const double scale = std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
    return std::round(v * scale) / scale;
}

std::string csv_escape(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) {
        return s;
    }
    std::string out = "\"";
    for (const char c : s) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

const json& need(const json& j, const char* field) {
    const auto it = j.find(field);
    if (it == j.end()) {
        throw std::invalid_argument(std::string("missing field '") + field + "'");
    }
    return *it;
}

// The attainable roof at the clock a point ran at: the compute roof times run clock / datasheet clock.
struct clock_roof {
    std::optional<double> roof_clock_mhz;
    std::optional<double> run_clock_mhz;
    double attainable_flops_per_s = 0.0;
};

clock_roof roof_at_clock(const roofline_estimate& e, const analysis_point& p) {
    clock_roof r;
    r.roof_clock_mhz = p.prediction ? p.prediction->roof_clock_mhz : std::nullopt;
    r.run_clock_mhz = p.clock_mhz();
    if (r.roof_clock_mhz && r.run_clock_mhz && *r.roof_clock_mhz > 0 && e.roof.available) {
        r.attainable_flops_per_s =
            std::min(e.memory_roof_flops_per_s, e.roof.peak_flops_per_s * *r.run_clock_mhz / *r.roof_clock_mhz);
    }
    return r;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
    if (s.size() >= width) {
        return s;
    }
    const std::string fill(width - s.size(), ' ');
    return right ? fill + s : s + fill;
}

} // namespace

std::string_view tool_version() noexcept {
    return ROOFLINE_VERSION;
}

json count_json(count_t v) {
    if (v <= std::numeric_limits<std::uint64_t>::max()) {
        return static_cast<std::uint64_t>(v);
    }
    return to_double(v);
}

std::string format_si(double v, std::string_view unit, int digits) {
    static constexpr std::array<std::pair<double, const char*>, 7> prefixes{
        {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1.0, ""}, {1e-3, "m"}}};
    for (const auto& [scale, name] : prefixes) {
        if (std::fabs(v) >= scale) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.*g %s%.*s", digits, v / scale, name,
                          static_cast<int>(unit.size()), unit.data());
            return buf;
        }
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g %.*s", digits, v, static_cast<int>(unit.size()), unit.data());
    return buf;
}

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

json to_json(const precision_roof& r) {
    json j{{"precision", to_string(r.precision)},
           {"colour", info(r.precision).colour},
           {"available", r.available},
           {"bandwidth_bytes_per_s", r.bandwidth_bytes_per_s}};
    if (r.available) {
        j["peak_flops_per_s"] = r.peak_flops_per_s;
        j["peak_tflops"] = round_sig(r.peak_flops_per_s / 1e12);
        j["ridge_ai"] = round_sig(r.ridge_ai);
    } else {
        j["reason"] = r.reason;
    }
    return j;
}

json roofs_json(const hardware_entry& h) {
    json roofs = json::array();
    for (const auto& pk : h.peaks) {
        roofs.push_back(to_json(roof_for(h, pk.precision)));
    }
    return {{"key", h.key},
            {"name", h.name},
            {"memory_bandwidth_bytes_per_s", opt(h.memory_bandwidth_bytes_per_s.value)},
            {"roofs", roofs}};
}

json to_json(const hardware_entry& h) {
    json peaks = json::object();
    for (const auto& pk : h.peaks) {
        json p{{"supported", pk.supported}};
        if (pk.supported) {
            p["flops_per_s"] = opt(pk.flops_per_s);
            p["tflops"] = pk.flops_per_s ? json(*pk.flops_per_s / 1e12) : json(nullptr);
            p["source"] = pk.source;
            p["halved_from_sparse"] = pk.halved_from_sparse;
            if (!pk.derivation.empty()) {
                p["derivation"] = pk.derivation;
            }
        } else {
            p["reason"] = pk.reason;
        }
        if (!pk.note.empty()) {
            p["note"] = pk.note;
        }
        peaks[std::string(to_string(pk.precision))] = p;
    }
    return {{"key", h.key},
            {"name", h.name},
            {"aliases", h.aliases},
            {"vendor", h.vendor},
            {"architecture", h.architecture},
            {"compute_capability", h.compute_capability},
            {"memory_type", h.memory_type},
            {"sm_count", sourced(h.sm_count)},
            {"boost_clock_hz", sourced(h.boost_clock_hz)},
            {"memory_bytes", sourced(h.memory_bytes)},
            {"memory_bandwidth_bytes_per_s", sourced(h.memory_bandwidth_bytes_per_s)},
            {"l2_bytes", sourced(h.l2_bytes)},
            {"tdp_w", sourced(h.tdp_w)},
            {"peaks", peaks},
            {"roofs", roofs_json(h)["roofs"]}};
}

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

json to_json(const device_identity& d) {
    return {{"name", d.name},
            {"compute_capability", d.compute_capability},
            {"sm_count", d.sm_count},
            {"driver_version", d.driver_version},
            {"cuda_runtime_version", d.cuda_runtime_version},
            {"cublaslt_version", d.cublaslt_version},
            {"uuid", d.uuid},
            {"pci_bus_id", d.pci_bus_id},
            {"l2_bytes", d.l2_bytes},
            {"memory_bytes", d.memory_bytes}};
}

device_identity device_from_json(const json& d) {
    device_identity id;
    id.name = d.value("name", "");
    id.compute_capability = d.value("compute_capability", "");
    id.sm_count = d.value("sm_count", 0);
    id.driver_version = d.value("driver_version", "");
    id.cuda_runtime_version = d.value("cuda_runtime_version", "");
    id.cublaslt_version = d.value("cublaslt_version", "");
    id.uuid = d.value("uuid", "");
    id.pci_bus_id = d.value("pci_bus_id", "");
    id.l2_bytes = d.value("l2_bytes", 0.0);
    id.memory_bytes = d.value("memory_bytes", 0.0);
    return id;
}

json to_json(const telemetry_summary& t) {
    json j{{"available", t.available}};
    if (!t.available) {
        j["unavailable_reason"] = t.unavailable_reason;
        return j;
    }
    j.update({{"samples", t.samples},
              {"sample_rate_hz", t.sample_rate_hz},
              {"sm_clock_mean_mhz", opt(t.sm_clock_mean_mhz)},
              {"sm_clock_min_mhz", opt(t.sm_clock_min_mhz)},
              {"sm_clock_max_mhz", opt(t.sm_clock_max_mhz)},
              {"mem_clock_mean_mhz", opt(t.mem_clock_mean_mhz)},
              {"power_mean_w", opt(t.power_mean_w)},
              {"power_limit_w", opt(t.power_limit_w)},
              {"energy_j", opt(t.energy_j)},
              {"energy_per_gemm_j", opt(t.energy_per_gemm_j)},
              {"energy_source", t.energy_source},
              {"gemm_power_w", opt(t.gemm_power_w)},
              {"region_s", t.region_s},
              {"temperature_max_c", opt(t.temperature_max_c)},
              {"utilization_mean_pct", opt(t.utilization_mean_pct)},
              {"throttle_reasons", t.throttle_reasons},
              {"low_clock_samples", t.low_clock_samples}});
    return j;
}

json to_json(const measurement& m) {
    json j{{"timing", to_json(m.timing)},
           {"algorithm", m.algorithm},
           {"layout", m.layout},
           {"kernel_path", m.kernel_path},
           {"candidates_timed", m.candidates_timed},
           {"algorithm_from_cache", m.algorithm_from_cache},
           {"device", to_json(m.device)},
           {"notes", m.notes}};
    if (m.error) {
        j["error"] = {{"relative_error", m.error->relative_error},
                      {"max_abs_error", m.error->max_abs_error},
                      {"tolerance", m.error->tolerance},
                      {"checked_elements", m.error->checked_elements},
                      {"reference", m.error->reference}};
    } else {
        j["error"] = nullptr;
    }
    j["telemetry"] = m.telemetry ? to_json(*m.telemetry) : json(nullptr);
    return j;
}

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
              {"tflops", has_time ? json(round_sig(p.flops_per_s() / 1e12)) : json(nullptr)}});
    if (p.roof) {
        const auto& e = *p.roof;
        json roof{{"bound", to_string(e.bound)},
                  {"memory_roof_tflops", round_sig(e.memory_roof_flops_per_s / 1e12)},
                  {"compute_roof_tflops",
                   e.roof.available ? json(round_sig(e.roof.peak_flops_per_s / 1e12)) : json(nullptr)},
                  {"attainable_tflops", e.attainable_flops_per_s > 0
                                            ? json(round_sig(e.attainable_flops_per_s / 1e12))
                                            : json(nullptr)},
                  {"ridge_ai", e.roof.available ? json(round_sig(e.roof.ridge_ai)) : json(nullptr)},
                  {"predicted_time_s", e.predicted_time_s > 0 ? json(e.predicted_time_s) : json(nullptr)}};
        const auto frac = has_time ? fraction_of_roof(e, p.flops_per_s()) : std::nullopt;
        roof["fraction_of_roof"] = frac ? json(round_sig(*frac, 6)) : json(nullptr);
        // The same fraction against the roof at the clock the point ran at (paced H100/H200: 1980 MHz where the
        // datasheet assumes 1830): the compute roof scales with the clock, the memory roof does not.
        const auto at_clock = roof_at_clock(e, p);
        roof["roof_clock_mhz"] = at_clock.roof_clock_mhz ? json(*at_clock.roof_clock_mhz) : json(nullptr);
        roof["run_clock_mhz"] = at_clock.run_clock_mhz ? json(*at_clock.run_clock_mhz) : json(nullptr);
        roof["attainable_at_run_clock_tflops"] =
            at_clock.attainable_flops_per_s > 0 ? json(round_sig(at_clock.attainable_flops_per_s / 1e12))
                                                : json(nullptr);
        roof["fraction_of_roof_at_run_clock"] =
            has_time && at_clock.attainable_flops_per_s > 0
                ? json(round_sig(p.flops_per_s() / at_clock.attainable_flops_per_s, 6))
                : json(nullptr);
        if (!e.roof.available) {
            roof["reason"] = e.roof.reason;
        }
        j["bound"] = to_string(e.bound);
        j["roof"] = roof;
    } else {
        j["bound"] = nullptr;
        j["roof"] = nullptr;
    }
    j["measured"] = p.measured ? to_json(*p.measured) : json(nullptr);
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
        p.problem.m = need(j, "M").get<std::int64_t>();
        p.problem.n = need(j, "N").get<std::int64_t>();
        p.problem.k = need(j, "K").get<std::int64_t>();
        p.problem.a = parse_precision(need(j, "a_precision").get<std::string>());
        p.problem.b = parse_precision(need(j, "b_precision").get<std::string>());
        p.problem.out = parse_precision(need(j, "out_precision").get<std::string>());
        p.problem.beta = j.value("beta", 0.0);
        p.problem.group_size = j.value("group_size", default_group_size);
        p.traffic = compute_traffic(p.problem);
        p.source = need(j, "source").get<std::string>() == "measured" ? point_source::measured
                                                                      : point_source::predicted;
        p.status = parse_disposition(need(j, "disposition").get<std::string>());
        p.message = j.value("message", "");
        p.hardware_key = j.value("hardware_key", "");
        const auto& t = need(j, "time_s");
        p.time_s = t.is_number() ? t.get<double>() : 0.0;
        if (const auto it = j.find("prediction"); it != j.end() && it->is_object()) {
            p.prediction = prediction_from_json(*it);
        }
        if (const auto it = j.find("measured"); it != j.end() && it->is_object()) {
            measurement m;
            const auto& tj = need(*it, "timing");
            std::vector<double> samples = tj.value("sample_s", std::vector<double>{});
            m.timing.mode = parse_timing_mode(need(tj, "mode").get<std::string>());
            // Points stored before pacing existed were timed back to back.
            m.timing.pacing = parse_sample_pacing(tj.value("pacing", std::string("continuous")));
            m.timing.idle_ratio = tj.value("idle_ratio", 0.0);
            m.timing.samples = need(tj, "samples").get<std::size_t>();
            m.timing.median_s = need(tj, "median_s").get<double>();
            m.timing.min_s = need(tj, "min_s").get<double>();
            m.timing.max_s = need(tj, "max_s").get<double>();
            m.timing.mean_s = need(tj, "mean_s").get<double>();
            m.timing.stdev_s = need(tj, "stdev_s").get<double>();
            m.timing.sample_s = std::move(samples);
            m.algorithm = it->value("algorithm", "");
            m.layout = it->value("layout", "");
            m.kernel_path = it->value("kernel_path", "");
            m.candidates_timed = it->value("candidates_timed", std::size_t{0});
            m.algorithm_from_cache = it->value("algorithm_from_cache", false);
            m.notes = it->value("notes", std::vector<std::string>{});
            if (const auto e = it->find("error"); e != it->end() && e->is_object()) {
                m.error = accuracy{e->value("relative_error", 0.0), e->value("max_abs_error", 0.0),
                                   e->value("tolerance", 0.0), e->value("checked_elements", std::size_t{0}),
                                   e->value("reference", "")};
            }
            if (const auto d = it->find("device"); d != it->end() && d->is_object()) {
                m.device = device_from_json(*d);
            }
            if (const auto tel = it->find("telemetry"); tel != it->end() && tel->is_object()) {
                telemetry_summary s;
                s.available = tel->value("available", false);
                s.unavailable_reason = tel->value("unavailable_reason", "");
                s.samples = tel->value("samples", std::size_t{0});
                s.sample_rate_hz = tel->value("sample_rate_hz", 0.0);
                const auto get = [&](const char* k) -> std::optional<double> {
                    const auto f = tel->find(k);
                    return f != tel->end() && f->is_number() ? std::optional<double>(f->get<double>())
                                                             : std::nullopt;
                };
                s.sm_clock_mean_mhz = get("sm_clock_mean_mhz");
                s.sm_clock_min_mhz = get("sm_clock_min_mhz");
                s.sm_clock_max_mhz = get("sm_clock_max_mhz");
                s.mem_clock_mean_mhz = get("mem_clock_mean_mhz");
                s.power_mean_w = get("power_mean_w");
                s.power_limit_w = get("power_limit_w");
                s.energy_j = get("energy_j");
                s.energy_per_gemm_j = get("energy_per_gemm_j");
                s.energy_source = tel->value("energy_source", "");
                s.gemm_power_w = get("gemm_power_w");
                s.region_s = tel->value("region_s", 0.0);
                s.temperature_max_c = get("temperature_max_c");
                s.utilization_mean_pct = get("utilization_mean_pct");
                s.throttle_reasons = tel->value("throttle_reasons", std::vector<std::string>{});
                s.low_clock_samples = tel->value("low_clock_samples", std::size_t{0});
                m.telemetry = s;
            }
            p.measured = std::move(m);
        }
        return p;
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("point JSON: ") + e.what());
    }
}

json to_json(const gap_analysis& g) {
    json reasons = json::array();
    for (const auto& r : g.reasons) {
        reasons.push_back({{"kind", to_string(r.kind)},
                           {"message", r.message},
                           {"roof_fraction", r.roof_fraction ? json(*r.roof_fraction) : json(nullptr)}});
    }
    return {{"applicable", g.applicable},
            {"fraction_of_roof", opt(g.fraction_of_roof)},
            {"roof_at_clock_tflops", g.roof_at_clock_flops_per_s
                                         ? json(round_sig(*g.roof_at_clock_flops_per_s / 1e12))
                                         : json(nullptr)},
            {"fraction_of_roof_at_clock", opt(g.fraction_of_roof_at_clock)},
            {"reasons", reasons}};
}

json analysis_document(const hardware_entry& hw, const std::vector<analysis_point>& points) {
    json arr = json::array();
    for (const auto& p : points) {
        auto j = to_json(p);
        // Why a measured point sits below its roof, with figures; predicted points are on it by definition.
        if (p.source == point_source::measured && p.time_s > 0) {
            j["gap"] = to_json(analyze_gap(p, hw));
        }
        arr.push_back(std::move(j));
    }
    return {{"schema_version", report_schema_version},
            {"tool_version", tool_version()},
            {"hardware", roofs_json(hw)},
            {"points", arr}};
}

std::string points_csv(const std::vector<analysis_point>& points) {
    std::ostringstream out;
    out << "label,precision,a_precision,b_precision,out_precision,M,N,K,flops,bytes,ai,time_us,tflops,bound,"
           "attainable_tflops,fraction_of_roof,source,disposition,hardware_key,message,pacing,clock_mhz,"
           "roof_clock_mhz,fraction_of_roof_at_run_clock,predicted_time_us,interval_low_us,interval_high_us,"
           "calibrated,prediction_error\n";
    for (const auto& p : points) {
        const auto j = to_json(p);
        const auto num = [](const json& v) { return v.is_null() ? std::string() : v.dump(); };
        const auto roof_field = [&](const char* k) { return j["roof"].is_null() ? std::string() : num(j["roof"][k]); };
        const auto& pred = j["prediction"];
        const auto us = [&](const char* k) {
            return pred.is_null() ? std::string() : num(json(round_sig(pred[k].get<double>() * 1e6)));
        };
        out << csv_escape(p.label()) << ',' << csv_escape(p.problem.precision_label()) << ','
            << to_string(p.problem.a) << ',' << to_string(p.problem.b) << ',' << to_string(p.problem.out)
            << ',' << p.problem.m << ',' << p.problem.n << ',' << p.problem.k << ','
            << to_string(p.traffic.flops) << ',' << to_string(p.traffic.bytes()) << ',' << num(j["ai"]) << ','
            << num(j["time_us"]) << ',' << num(j["tflops"]) << ','
            << (j["bound"].is_null() ? "" : j["bound"].get<std::string>()) << ','
            << roof_field("attainable_tflops") << ',' << roof_field("fraction_of_roof") << ','
            << to_string(p.source) << ',' << to_string(p.status) << ',' << csv_escape(p.hardware_key) << ','
            << csv_escape(p.message) << ',' << (j["pacing"].is_null() ? "" : j["pacing"].get<std::string>())
            << ',' << num(j["clock_mhz"]) << ',' << roof_field("roof_clock_mhz") << ','
            << roof_field("fraction_of_roof_at_run_clock") << ',' << us("time_s") << ',' << us("interval_low_s")
            << ',' << us("interval_high_s") << ','
            << (pred.is_null() ? "" : (pred["calibrated"].get<bool>() ? "true" : "false")) << ','
            << num(j["prediction_error"]) << '\n';
    }
    return out.str();
}

std::string points_table(const hardware_entry& hw, const std::vector<analysis_point>& points) {
    // Columns: header, the width it has when every value fits, and its alignment. A value wider than that (a
    // 2147483647^3 shape has 1.981e+13 P FLOPs) widens its whole column instead of pushing the row askew.
    struct column {
        const char* header;
        std::size_t width;
        bool right;
    };
    static constexpr std::array<column, 15> columns{{{"precision", 22, false},
                                                     {"shape", 18, false},
                                                     {"FLOPs", 12, true},
                                                     {"bytes", 12, true},
                                                     {"AI FLOP/B", 11, true},
                                                     {"roof TFLOP/s", 14, true},
                                                     {"bound", 12, true},
                                                     {"time us", 12, true},
                                                     {"TFLOP/s", 10, true},
                                                     {"% roof", 8, true},
                                                     {"@clock", 8, true},
                                                     {"clock MHz", 11, true},
                                                     {"pacing", 12, true},
                                                     {"predicted us [p10-p90]", 30, true},
                                                     {"meas/pred", 11, true}}};
    std::vector<std::array<std::string, columns.size()>> rows;
    std::vector<std::string> tails;
    std::vector<std::string> messages;
    std::vector<std::string> bases;
    for (const auto& p : points) {
        const auto time_us = p.time_s > 0 ? fixed(p.time_s * 1e6, 2) : std::string("-");
        const auto tflops = p.time_s > 0 ? fixed(p.flops_per_s() / 1e12, 2) : std::string("-");
        std::string roof = "-";
        std::string bound = "-";
        std::string pct = "-";
        std::string pct_clock = "-";
        if (p.roof) {
            bound = std::string(to_string(p.roof->bound));
            if (p.roof->attainable_flops_per_s > 0) {
                roof = fixed(p.roof->attainable_flops_per_s / 1e12, 2);
            }
            if (const auto f = fraction_of_roof(*p.roof, p.flops_per_s()); f && p.time_s > 0 && p.roof->roof.available) {
                pct = fixed(*f * 100.0, 1);
            }
            if (const auto c = roof_at_clock(*p.roof, p); c.attainable_flops_per_s > 0 && p.time_s > 0) {
                pct_clock = fixed(p.flops_per_s() / c.attainable_flops_per_s * 100.0, 1);
            }
        }
        const auto clock = p.clock_mhz();
        const auto pacing = p.pacing();
        std::string predicted = "-";
        if (p.prediction) {
            predicted = fixed(p.prediction->time_s * 1e6, 2) + " [" + fixed(p.prediction->low_s * 1e6, 2) + "-" +
                        fixed(p.prediction->high_s * 1e6, 2) + "]" + (p.prediction->calibrated ? "" : "*");
            if (std::ranges::find(bases, p.prediction->basis) == bases.end()) {
                bases.push_back(p.prediction->basis);
            }
        }
        const auto err = p.prediction_error();
        rows.push_back({std::string(p.problem.precision_label()), std::string(p.problem.shape_label()),
                        format_si(to_double(p.traffic.flops), "", 4),
                        format_si(to_double(p.traffic.bytes()), "", 4),
                        fixed(p.traffic.arithmetic_intensity(), 2), roof, bound, time_us, tflops, pct, pct_clock,
                        clock ? fixed(*clock, 0) : std::string("-"),
                        pacing ? std::string(to_string(*pacing)) : std::string("-"), predicted,
                        err ? fixed(*err, 3) : std::string("-")});
        std::string tail = "  " + std::string(to_string(p.source));
        if (p.status != disposition::passed) {
            tail += " (" + std::string(to_string(p.status)) + ")";
        }
        tails.push_back(tail);
        if (!p.message.empty()) {
            messages.push_back(std::string(p.problem.precision_label()) + ": " + p.message);
        }
    }
    std::array<std::size_t, columns.size()> width{};
    for (std::size_t c = 0; c < columns.size(); ++c) {
        width[c] = columns[c].width;
        for (const auto& r : rows) {
            // Two spaces before a right-aligned value, one after a left-aligned one: columns never touch.
            width[c] = std::max(width[c], r[c].size() + (columns[c].right ? 2 : 1));
        }
    }
    std::ostringstream out;
    out << "Hardware: " << hw.name << " (" << hw.key << "), memory roof "
        << format_si(hw.memory_bandwidth_bytes_per_s.value.value_or(0.0), "B/s") << "\n\n";
    for (std::size_t c = 0; c < columns.size(); ++c) {
        out << pad(columns[c].header, width[c], columns[c].right);
    }
    out << "  source\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t c = 0; c < columns.size(); ++c) {
            out << pad(rows[i][c], width[c], columns[c].right);
        }
        out << tails[i] << '\n';
    }
    for (const auto& m : messages) {
        out << "  note: " << m << '\n';
    }
    out << "  % roof: of the datasheet roof; @clock: of the roof at the SM clock the point ran at (predicted: "
           "the clock the model assumes). Predicted: the performance model, [p10-p90] its interval, * = "
           "uncalibrated\n";
    for (const auto& b : bases) {
        out << "  model: " << b << '\n';
    }
    return out.str();
}

std::string hardware_table(const std::vector<hardware_entry>& entries) {
    std::size_t key_w = 4;
    std::size_t name_w = 5;
    std::size_t arch_w = 5;
    for (const auto& h : entries) {
        key_w = std::max(key_w, h.key.size() + 2);
        name_w = std::max(name_w, h.name.size() + 2);
        arch_w = std::max(arch_w, h.architecture.size() + 2);
    }
    std::ostringstream out;
    out << pad("key", key_w) << pad("name", name_w) << pad("arch", arch_w) << pad("cc", 5)
        << pad("mem BW", 12, true) << pad("BF16", 8, true) << pad("FP8", 8, true) << pad("NVFP4", 8, true)
        << pad("INT8", 8, true) << pad("INT4", 8, true) << '\n';
    const auto peak = [](const hardware_entry& h, precision_id id) {
        const auto& pk = h.peak(id);
        if (!pk.supported) {
            return std::string("-");
        }
        return pk.flops_per_s ? fixed(*pk.flops_per_s / 1e12, 0) : std::string("?");
    };
    for (const auto& h : entries) {
        out << pad(h.key, key_w) << pad(h.name, name_w) << pad(h.architecture, arch_w)
            << pad(h.compute_capability, 5)
            << pad(format_si(h.memory_bandwidth_bytes_per_s.value.value_or(0), "B/s"), 12, true);
        for (const auto id : {precision_id::bf16, precision_id::fp8_e4m3, precision_id::nvfp4,
                              precision_id::int8, precision_id::int4}) {
            out << pad(peak(h, id), 8, true);
        }
        out << '\n';
    }
    out << "(dense peaks in TFLOP/s or TOPS; '-' = not supported by the hardware, '?' = supported but not "
           "published)\n";
    return out.str();
}

std::string hardware_detail(const hardware_entry& h) {
    std::ostringstream out;
    const auto figure = [&](const char* name, const sourced_value& v, double scale, const char* unit) {
        out << pad(name, 20)
            << pad(v.value ? fixed(*v.value / scale, scale >= 1e9 ? 2 : 0) + " " + unit : "unknown", 18)
            << "  source: " << v.source;
        if (!v.note.empty()) {
            out << " (" << v.note << ")";
        }
        out << '\n';
    };
    out << h.name << " [" << h.key << "]";
    if (!h.aliases.empty()) {
        out << "  aliases:";
        for (const auto& a : h.aliases) {
            out << ' ' << a;
        }
    }
    out << "\n"
        << h.vendor << ' ' << h.architecture << ", compute capability " << h.compute_capability << ", "
        << h.memory_type << "  (file: " << h.file << ")\n\n";
    figure("SMs", h.sm_count, 1, "");
    figure("boost clock", h.boost_clock_hz, 1e6, "MHz");
    figure("memory", h.memory_bytes, 1e9, "GB");
    figure("memory bandwidth", h.memory_bandwidth_bytes_per_s, 1e9, "GB/s");
    figure("L2", h.l2_bytes, 1e6, "MB");
    figure("TDP", h.tdp_w, 1, "W");
    out << "\nDense peaks (TFLOP/s; TOPS for integers) and ridge points:\n";
    for (const auto& pk : h.peaks) {
        out << "  " << pad(std::string(to_string(pk.precision)), 10);
        if (!pk.supported) {
            out << "not supported: " << pk.reason << '\n';
            continue;
        }
        const auto r = roof_for(h, pk.precision);
        out << pad(pk.flops_per_s ? fixed(*pk.flops_per_s / 1e12, 1) : std::string("unknown"), 9, true)
            << pad(r.available ? "ridge " + fixed(r.ridge_ai, 1) + " FLOP/B" : std::string(), 22, true)
            << "  source: " << pk.source;
        if (pk.halved_from_sparse) {
            out << " [halved from sparse: " << pk.derivation << "]";
        } else if (!pk.derivation.empty()) {
            out << " [derived: " << pk.derivation << "]";
        }
        if (!pk.note.empty()) {
            out << " (" << pk.note << ")";
        }
        out << '\n';
    }
    return out.str();
}

} // namespace roofline
