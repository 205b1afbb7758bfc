#include "roofline/core/perf_model.hpp"

#include "roofline/core/gap.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/roofline_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace roofline {
namespace {

using json = nlohmann::json;

constexpr int defaults_schema_version = 1;
constexpr int profile_schema_version = 1;

// Output tiles the model lets the kernel choose from: Hopper's wgmma needs 64 rows on one side, the other
// side goes down to 8 (cuBLASLt's decode kernels run 256x8 tiles with A and B swapped). Both orientations.
constexpr std::array<std::int64_t, 3> wide_side{64, 128, 256};
constexpr std::array<std::int64_t, 6> narrow_side{8, 16, 32, 64, 128, 256};
constexpr std::array<std::int64_t, 8> split_choices{1, 2, 3, 4, 6, 8, 12, 16};
constexpr std::int64_t min_split_k = 64; // a split-K slice shorter than this is not worth a pass

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
    return (a + b - 1) / b;
}

double positive(const json& j, const char* field, const std::string& where, double fallback,
                bool allow_zero) {
    const auto it = j.find(field);
    if (it == j.end()) {
        return fallback;
    }
    if (!it->is_number()) {
        throw std::invalid_argument(where + ": field '" + field + "' must be a number");
    }
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < 0.0 || (!allow_zero && v == 0.0)) {
        throw std::invalid_argument(where + ": field '" + field + "' must be " +
                                    (allow_zero ? "zero or positive" : "positive") + " (got " +
                                    std::to_string(v) + ")");
    }
    return v;
}

double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) {
        return 0.0;
    }
    // Linear interpolation between closest ranks (numpy's default), so small sets give stable figures.
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, sorted.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

} // namespace

bool misaligned(const gemm_problem& p) noexcept {
    const auto in_bits = static_cast<std::int64_t>(std::max(info(p.a).storage_bits, info(p.b).storage_bits));
    const auto out_bits = static_cast<std::int64_t>(info(p.out).storage_bits);
    // A and B run along K; D's leading dimension is M. M = 1 is a GEMV, which has no such constraint.
    return (p.k * in_bits) % 128 != 0 || (p.m > 1 && (p.m * out_bits) % 128 != 0);
}

bool operands_misaligned(const gemm_problem& p) noexcept {
    const auto in_bits = static_cast<std::int64_t>(std::max(info(p.a).storage_bits, info(p.b).storage_bits));
    return (p.k * in_bits) % 128 != 0;
}

double elements_per_misaligned_load(const gemm_problem& p) noexcept {
    const auto in_bits = static_cast<std::int64_t>(std::max(info(p.a).storage_bits, info(p.b).storage_bits));
    const std::int64_t row_bits = p.k * in_bits;
    std::int64_t vector_bits = 128;
    while (vector_bits > in_bits && row_bits % vector_bits != 0) {
        vector_bits /= 2;
    }
    return std::max(1.0, static_cast<double>(vector_bits) / static_cast<double>(in_bits));
}

double fastest_roof(const hardware_entry& hw) {
    double best = 0.0;
    for (const auto& pk : hw.peaks) {
        if (pk.supported && pk.flops_per_s) {
            best = std::max(best, *pk.flops_per_s);
        }
    }
    return best;
}

std::optional<double> run_clock_mhz(const hardware_entry& hw, const perf_params& params,
                                    sample_pacing pacing) {
    if (!hw.boost_clock_hz.value) {
        return std::nullopt;
    }
    const double boost = *hw.boost_clock_hz.value / 1e6;
    return pacing == sample_pacing::paced ? boost : boost * params.continuous_clock_ratio;
}

performance_prediction evaluate_model(const perf_params& params, const hardware_entry& hw,
                                      const gemm_problem& p, const gemm_traffic& t, double clock_ratio) {
    performance_prediction out;
    const double flops = to_double(t.flops);
    const double bytes = to_double(t.bytes());
    const auto roof = roof_for(hw, compute_precision(p));
    const double bw = roof.bandwidth_bytes_per_s;
    // The roofline's bound: the precision's roof, or the GPU's fastest roof when the precision has none (no
    // format runs faster than the fastest tensor-core format), and the memory roof.
    const double bound_peak = roof.available ? roof.peak_flops_per_s : fastest_roof(hw);
    double roofline_s = bw > 0 ? bytes / bw : 0.0;
    if (bound_peak > 0) {
        roofline_s = std::max(roofline_s, flops / bound_peak);
    }
    perf_terms best;
    best.floor_s = params.floor_s;
    double best_total = std::numeric_limits<double>::infinity();
    // A misaligned D (M x output size) keeps the TMA operand loads but streams slower; misaligned operands
    // (K x input size) also put the MMAs on the fallback kernels and add the load term.
    const bool off = misaligned(p);
    const bool operands_off = operands_misaligned(p);
    const double stream_bw =
        bw * params.bandwidth_efficiency * (off ? params.misaligned_bandwidth_efficiency : 1.0);
    const int sms = hw.sm_count.value ? static_cast<int>(*hw.sm_count.value) : 0;
    const auto memory_time = [&](double moved, std::int64_t active_sms) {
        double s = stream_bw > 0 ? moved / stream_bw : 0.0;
        if (params.sm_bandwidth_bytes_per_s > 0 && active_sms > 0) {
            s = std::max(s, moved / (static_cast<double>(active_sms) * params.sm_bandwidth_bytes_per_s));
        }
        return s;
    };
    // Elements per second one SM loads when the operands' rows are misaligned (0: no load term): loads per
    // clock at the clock the point runs at, times the elements each load moves.
    double load_rate = 0.0;
    if (operands_off && params.misaligned_loads_per_clock > 0) {
        // No clock in the registry: no load term (its rate is per cycle).
        const double mhz = datasheet_roof_clock_mhz(hw).value_or(0.0) * clock_ratio;
        load_rate = params.misaligned_loads_per_clock * mhz * 1e6 * elements_per_misaligned_load(p);
    }
    if (roof.available && sms > 0) {
        const double align = operands_off ? params.misaligned_efficiency : 1.0;
        const double sm_rate = roof.peak_flops_per_s * clock_ratio * params.efficiency(roof.precision) *
                               align / static_cast<double>(sms);
        const auto consider = [&](std::int64_t tm, std::int64_t tn, std::int64_t split) {
            const std::int64_t tiles = ceil_div(p.m, tm) * ceil_div(p.n, tn) * split;
            const std::int64_t waves = ceil_div(tiles, sms);
            const double h = static_cast<double>(tm * tn) / static_cast<double>(tm + tn);
            const double tile_eff = std::min(1.0, h / params.tile_intensity_ref);
            const double tile_flops =
                2.0 * static_cast<double>(tm * tn) * static_cast<double>(ceil_div(p.k, split));
            // The misaligned fallback loads each tile's A and B slices ((tm + tn) x K/s elements) before
            // its MMAs can use them.
            const double loads = load_rate > 0 ? static_cast<double>(tm + tn) *
                                                     static_cast<double>(ceil_div(p.k, split)) / load_rate
                                               : 0.0;
            const double compute = static_cast<double>(waves) *
                                   (params.tile_overhead_s + tile_flops / (sm_rate * tile_eff) + loads);
            // Split-K writes and reads back one FP32 partial sum of D per slice.
            const double extra = split > 1 ? 8.0 * static_cast<double>(p.m) * static_cast<double>(p.n) *
                                                 static_cast<double>(split)
                                           : 0.0;
            const double memory = memory_time(bytes + extra, std::min<std::int64_t>(tiles, sms));
            const double total =
                params.floor_s + std::max(compute, memory) + (split > 1 ? params.split_k_overhead_s : 0.0);
            if (total < best_total) {
                best_total = total;
                best.compute_s = compute;
                best.memory_s = memory;
                best.tile_m = tm;
                best.tile_n = tn;
                best.split_k = split;
                best.tiles = tiles;
                best.waves = waves;
                best.wave_efficiency = static_cast<double>(tiles) / static_cast<double>(waves * sms);
                best.tile_efficiency = tile_eff;
            }
        };
        for (const auto split : split_choices) {
            if (split > 1 && p.k / split < min_split_k) {
                break;
            }
            for (const auto a : wide_side) {
                for (const auto b : narrow_side) {
                    consider(a, b, split);
                    if (b != a) {
                        consider(b, a, split);
                    }
                }
            }
        }
    } else if (roof.available) {
        // No SM count in the registry: no wave quantisation, the rest of the model as above.
        const double align = operands_off ? params.misaligned_efficiency : 1.0;
        best.compute_s = params.tile_overhead_s + flops / (roof.peak_flops_per_s * clock_ratio *
                                                           params.efficiency(roof.precision) * align);
        best.memory_s = memory_time(bytes, 0);
        best_total = params.floor_s + std::max(best.compute_s, best.memory_s);
    } else {
        // No compute roof: only the memory side and the floor can be modelled (the roofline bound keeps it
        // under the GPU's fastest roof).
        best.memory_s = memory_time(bytes, 0);
        best_total = params.floor_s + best.memory_s;
    }
    best.roofline_s = roofline_s;
    out.time_s = std::max(best_total, roofline_s);
    if (roofline_s >= best_total) {
        best.limiter = "roofline";
    } else if (best.compute_s >= best.memory_s) {
        best.limiter = best.compute_s > 0 ? "compute" : "floor";
    } else {
        best.limiter = "memory";
    }
    out.terms = best;
    out.low_s = std::max(roofline_s, out.time_s * std::exp(params.interval_log_p10));
    out.high_s = std::max(out.low_s, out.time_s * std::exp(params.interval_log_p90));
    return out;
}

residual_summary summarize_residuals(std::vector<double> log_ratios) {
    residual_summary r;
    r.count = log_ratios.size();
    if (log_ratios.empty()) {
        return r;
    }
    std::vector<double> abs_values;
    std::size_t faster = 0;
    for (const double v : log_ratios) {
        abs_values.push_back(std::fabs(v));
        faster += v > 0 ? 1 : 0;
    }
    std::ranges::sort(log_ratios);
    std::ranges::sort(abs_values);
    r.p10 = percentile(log_ratios, 0.10);
    r.p50 = percentile(log_ratios, 0.50);
    r.p90 = percentile(log_ratios, 0.90);
    r.median_abs = percentile(abs_values, 0.50);
    r.p90_abs = percentile(abs_values, 0.90);
    r.share_predicted_faster = static_cast<double>(faster) / static_cast<double>(log_ratios.size());
    return r;
}

perf_params parse_perf_params(const json& j, const std::string& where, const perf_params& base) {
    if (!j.is_object()) {
        throw std::invalid_argument(where + ": must be an object");
    }
    perf_params p = base;
    p.floor_s = positive(j, "floor_s", where, p.floor_s, true);
    p.bandwidth_efficiency = positive(j, "bandwidth_efficiency", where, p.bandwidth_efficiency, false);
    p.sm_bandwidth_bytes_per_s =
        positive(j, "sm_bandwidth_bytes_per_s", where, p.sm_bandwidth_bytes_per_s, true);
    p.tile_overhead_s = positive(j, "tile_overhead_s", where, p.tile_overhead_s, true);
    p.tile_intensity_ref = positive(j, "tile_intensity_ref", where, p.tile_intensity_ref, false);
    p.continuous_clock_ratio = positive(j, "continuous_clock_ratio", where, p.continuous_clock_ratio, false);
    p.misaligned_efficiency = positive(j, "misaligned_efficiency", where, p.misaligned_efficiency, false);
    p.split_k_overhead_s = positive(j, "split_k_overhead_s", where, p.split_k_overhead_s, true);
    p.misaligned_bandwidth_efficiency =
        positive(j, "misaligned_bandwidth_efficiency", where, p.misaligned_bandwidth_efficiency, false);
    p.misaligned_loads_per_clock =
        positive(j, "misaligned_loads_per_clock", where, p.misaligned_loads_per_clock, true);
    if (const auto it = j.find("compute_efficiency"); it != j.end()) {
        if (!it->is_object()) {
            throw std::invalid_argument(where +
                                        ": field 'compute_efficiency' must be an object keyed by precision");
        }
        for (const auto& [name, value] : it->items()) {
            if (!value.is_number() || !(value.get<double>() > 0.0)) {
                std::string message = where;
                message += ": compute_efficiency." + name + " must be a positive number";
                throw std::invalid_argument(message);
            }
            if (name == "default") {
                p.compute_efficiency_default = value.get<double>();
            } else {
                p.compute_efficiency[parse_precision(name)] = value.get<double>();
            }
        }
    }
    if (const auto it = j.find("interval_log"); it != j.end()) {
        if (!it->is_object() || !it->contains("p10") || !it->contains("p90") || !(*it)["p10"].is_number() ||
            !(*it)["p90"].is_number()) {
            throw std::invalid_argument(where +
                                        ": field 'interval_log' must be {\"p10\": number, \"p90\": number}");
        }
        p.interval_log_p10 = (*it)["p10"].get<double>();
        p.interval_log_p90 = (*it)["p90"].get<double>();
        if (p.interval_log_p10 > p.interval_log_p90) {
            throw std::invalid_argument(where + ": interval_log.p10 must not exceed interval_log.p90");
        }
    }
    return p;
}

json to_json(const perf_params& p) {
    json eff{{"default", p.compute_efficiency_default}};
    for (const auto& [id, v] : p.compute_efficiency) {
        eff[std::string(to_string(id))] = v;
    }
    return {{"floor_s", p.floor_s},
            {"bandwidth_efficiency", p.bandwidth_efficiency},
            {"sm_bandwidth_bytes_per_s", p.sm_bandwidth_bytes_per_s},
            {"tile_overhead_s", p.tile_overhead_s},
            {"tile_intensity_ref", p.tile_intensity_ref},
            {"continuous_clock_ratio", p.continuous_clock_ratio},
            {"misaligned_efficiency", p.misaligned_efficiency},
            {"split_k_overhead_s", p.split_k_overhead_s},
            {"misaligned_bandwidth_efficiency", p.misaligned_bandwidth_efficiency},
            {"misaligned_loads_per_clock", p.misaligned_loads_per_clock},
            {"compute_efficiency", eff},
            {"interval_log", {{"p10", p.interval_log_p10}, {"p90", p.interval_log_p90}}}};
}

json to_json(const residual_summary& r) {
    return {{"count", r.count},
            {"log_ratio_p10", r.p10},
            {"log_ratio_p50", r.p50},
            {"log_ratio_p90", r.p90},
            {"median_abs_log_ratio", r.median_abs},
            {"p90_abs_log_ratio", r.p90_abs},
            {"share_predicted_faster", r.share_predicted_faster}};
}

namespace {

residual_summary residuals_from_json(const json& j) {
    residual_summary r;
    r.count = j.value("count", std::size_t{0});
    r.p10 = j.value("log_ratio_p10", 0.0);
    r.p50 = j.value("log_ratio_p50", 0.0);
    r.p90 = j.value("log_ratio_p90", 0.0);
    r.median_abs = j.value("median_abs_log_ratio", 0.0);
    r.p90_abs = j.value("p90_abs_log_ratio", 0.0);
    r.share_predicted_faster = j.value("share_predicted_faster", 0.0);
    return r;
}

} // namespace

json to_json(const calibration_profile& c) {
    json per = json::object();
    for (const auto& [id, r] : c.per_precision) {
        per[std::string(to_string(id))] = to_json(r);
    }
    return {{"schema_version", profile_schema_version},
            {"kind", "calibration_profile"},
            {"hardware_key", c.hardware_key},
            {"device", to_json(c.device)},
            {"date", c.date},
            {"pacing", to_string(c.pacing)},
            {"mode", to_string(c.mode)},
            {"provenance", c.provenance},
            {"params", to_json(c.params)},
            {"residuals", to_json(c.residuals)},
            {"per_precision", per},
            {"fitted_shapes", c.fitted_shapes}};
}

calibration_profile parse_calibration_profile(std::string_view text, const std::string& file) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        throw std::invalid_argument(file + ": not valid JSON: " + e.what());
    }
    const auto need_string = [&](const char* field) {
        if (!j.contains(field) || !j[field].is_string() || j[field].get<std::string>().empty()) {
            throw std::invalid_argument(file + ": field '" + field + "' must be a non-empty string");
        }
        return j[field].get<std::string>();
    };
    if (!j.is_object() || j.value("schema_version", 0) != profile_schema_version) {
        throw std::invalid_argument(file + ": field 'schema_version' must be " +
                                    std::to_string(profile_schema_version));
    }
    calibration_profile c;
    c.file = file;
    c.hardware_key = need_string("hardware_key");
    c.date = need_string("date");
    c.provenance = need_string("provenance");
    try {
        c.pacing = parse_sample_pacing(j.value("pacing", std::string("paced")));
        c.mode = parse_timing_mode(j.value("mode", std::string("cold")));
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(file + ": " + e.what());
    }
    if (j.contains("device") && j["device"].is_object()) {
        c.device = device_from_json(j["device"]);
    }
    if (!j.contains("params")) {
        throw std::invalid_argument(file + ": field 'params' is missing");
    }
    c.params = parse_perf_params(j["params"], file + ": params");
    if (j.contains("residuals") && j["residuals"].is_object()) {
        c.residuals = residuals_from_json(j["residuals"]);
    }
    if (j.contains("per_precision") && j["per_precision"].is_object()) {
        for (const auto& [name, r] : j["per_precision"].items()) {
            c.per_precision[parse_precision(name)] = residuals_from_json(r);
        }
    }
    c.fitted_shapes = j.value("fitted_shapes", std::vector<std::string>{});
    return c;
}

json to_json(const performance_prediction& p) {
    const auto& t = p.terms;
    json terms{{"floor_s", t.floor_s},
               {"compute_s", t.compute_s},
               {"memory_s", t.memory_s},
               {"roofline_s", t.roofline_s},
               {"limiter", t.limiter}};
    if (t.tiles > 0) {
        terms["tile"] = std::to_string(t.tile_m) + "x" + std::to_string(t.tile_n);
        terms["split_k"] = t.split_k;
        terms["tiles"] = t.tiles;
        terms["waves"] = t.waves;
        terms["wave_efficiency"] = t.wave_efficiency;
        terms["tile_efficiency"] = t.tile_efficiency;
    }
    return {{"time_s", p.time_s},
            {"interval_low_s", p.low_s},
            {"interval_high_s", p.high_s},
            {"calibrated", p.calibrated},
            {"basis", p.basis},
            {"pacing", to_string(p.pacing)},
            {"clock_mhz", p.clock_mhz ? json(*p.clock_mhz) : json(nullptr)},
            {"roof_clock_mhz", p.roof_clock_mhz ? json(*p.roof_clock_mhz) : json(nullptr)},
            {"terms", terms}};
}

clock_roof roof_at_clock(const roofline_estimate& e, const analysis_point& p) {
    clock_roof r;
    r.roof_clock_mhz = p.prediction ? p.prediction->roof_clock_mhz : std::nullopt;
    r.run_clock_mhz = p.clock_mhz();
    if (r.roof_clock_mhz && r.run_clock_mhz && *r.roof_clock_mhz > 0 && e.roof.available) {
        r.attainable_flops_per_s = std::min(e.memory_roof_flops_per_s,
                                            e.roof.peak_flops_per_s * *r.run_clock_mhz / *r.roof_clock_mhz);
    }
    return r;
}

performance_prediction prediction_from_json(const json& j) {
    performance_prediction p;
    p.time_s = j.value("time_s", 0.0);
    p.low_s = j.value("interval_low_s", 0.0);
    p.high_s = j.value("interval_high_s", 0.0);
    p.calibrated = j.value("calibrated", false);
    p.basis = j.value("basis", "");
    p.pacing = parse_sample_pacing(j.value("pacing", std::string("paced")));
    const auto opt = [&](const char* k) -> std::optional<double> {
        const auto it = j.find(k);
        return it != j.end() && it->is_number() ? std::optional<double>(it->get<double>()) : std::nullopt;
    };
    p.clock_mhz = opt("clock_mhz");
    p.roof_clock_mhz = opt("roof_clock_mhz");
    if (const auto it = j.find("terms"); it != j.end() && it->is_object()) {
        auto& t = p.terms;
        t.floor_s = it->value("floor_s", 0.0);
        t.compute_s = it->value("compute_s", 0.0);
        t.memory_s = it->value("memory_s", 0.0);
        t.roofline_s = it->value("roofline_s", 0.0);
        t.limiter = it->value("limiter", "");
        const std::string tile = it->value("tile", "");
        if (const auto x = tile.find('x'); x != std::string::npos) {
            t.tile_m = std::stoll(tile.substr(0, x));
            t.tile_n = std::stoll(tile.substr(x + 1));
        }
        t.split_k = it->value("split_k", std::int64_t{1});
        t.tiles = it->value("tiles", std::int64_t{0});
        t.waves = it->value("waves", std::int64_t{0});
        t.wave_efficiency = it->value("wave_efficiency", 1.0);
        t.tile_efficiency = it->value("tile_efficiency", 1.0);
    }
    return p;
}

perf_model perf_model::from_texts(const std::string& defaults_text,
                                  const std::vector<std::pair<std::string, std::string>>& profiles) {
    perf_model m;
    json d;
    try {
        d = json::parse(defaults_text);
    } catch (const json::parse_error& e) {
        throw std::invalid_argument(std::string("perf_model defaults: not valid JSON: ") + e.what());
    }
    if (!d.is_object() || d.value("schema_version", 0) != defaults_schema_version ||
        !d.contains("families") || !d["families"].is_object()) {
        throw std::invalid_argument("perf_model defaults: need schema_version 1 and a 'families' object");
    }
    if (!d["families"].contains("*")) {
        throw std::invalid_argument(
            "perf_model defaults: families must contain '*' (any other architecture)");
    }
    const auto base = parse_perf_params(d["families"]["*"]["params"], "defaults.json: families.*.params");
    for (const auto& [name, f] : d["families"].items()) {
        if (!f.is_object() || !f.contains("params") || !f.contains("source")) {
            throw std::invalid_argument("defaults.json: families." + name + " needs 'params' and 'source'");
        }
        m.m_families[name] =
            parse_perf_params(f["params"], "defaults.json: families." + name + ".params", base);
    }
    for (const auto& [file, text] : profiles) {
        m.add_profile(parse_calibration_profile(text, file));
    }
    return m;
}

const perf_model& perf_model::builtin() {
    static const perf_model model = [] {
        const auto& files = builtin_perf_model_files();
        const auto it = std::ranges::find_if(files, [](const auto& f) { return f.first == "defaults.json"; });
        if (it == files.end()) {
            throw std::logic_error("data/perf_model/defaults.json was not embedded");
        }
        return from_texts(it->second, builtin_calibration_files());
    }();
    return model;
}

void perf_model::add_profile(calibration_profile profile) {
    std::erase_if(m_profiles, [&](const auto& p) { return p.hardware_key == profile.hardware_key; });
    m_profiles.push_back(std::move(profile));
}

const calibration_profile* perf_model::profile_for(std::string_view hardware_key) const {
    const auto it = std::ranges::find(m_profiles, hardware_key, &calibration_profile::hardware_key);
    return it == m_profiles.end() ? nullptr : &*it;
}

const perf_params& perf_model::family_defaults(std::string_view architecture) const {
    const auto it = m_families.find(std::string(architecture));
    return it != m_families.end() ? it->second : m_families.at("*");
}

namespace {

performance_prediction predict_with(const perf_params& params, const hardware_entry& hw,
                                    const gemm_problem& p, const gemm_traffic& t, sample_pacing pacing) {
    const auto roof_clock = datasheet_roof_clock_mhz(hw);
    const auto clock = run_clock_mhz(hw, params, pacing);
    double ratio = 1.0;
    if (roof_clock && clock && *roof_clock > 0) {
        ratio = *clock / *roof_clock;
    } else if (pacing == sample_pacing::continuous) {
        ratio = params.continuous_clock_ratio;
    }
    auto out = evaluate_model(params, hw, p, t, ratio);
    out.pacing = pacing;
    out.clock_mhz = clock;
    out.roof_clock_mhz = roof_clock;
    return out;
}

} // namespace

performance_prediction perf_model::predict_uncalibrated(const hardware_entry& hw, const gemm_problem& p,
                                                        const gemm_traffic& t, sample_pacing pacing) const {
    auto out = predict_with(family_defaults(hw.architecture), hw, p, t, pacing);
    out.calibrated = false;
    out.basis = "uncalibrated " +
                (m_families.contains(hw.architecture) ? hw.architecture : std::string("generic")) +
                " defaults (data/perf_model/defaults.json); interval from their error on measured GPUs";
    return out;
}

performance_prediction perf_model::predict(const hardware_entry& hw, const gemm_problem& p,
                                           const gemm_traffic& t, sample_pacing pacing) const {
    const auto* profile = profile_for(hw.key);
    if (profile == nullptr) {
        return predict_uncalibrated(hw, p, t, pacing);
    }
    auto params = profile->params;
    const bool same_pacing = profile->pacing == pacing;
    if (!same_pacing) {
        params.continuous_clock_ratio = family_defaults(hw.architecture).continuous_clock_ratio;
        params.interval_log_p10 = family_defaults(hw.architecture).interval_log_p10;
        params.interval_log_p90 = family_defaults(hw.architecture).interval_log_p90;
    }
    auto out = predict_with(params, hw, p, t, pacing);
    out.calibrated = same_pacing;
    out.basis = "calibration " + profile->hardware_key + " (" + profile->date + ", " +
                std::string(to_string(profile->pacing)) + ", " + std::to_string(profile->residuals.count) +
                " points; " + profile->file + ")";
    if (!same_pacing) {
        out.basis += " fitted " + std::string(to_string(profile->pacing)) + ", applied to " +
                     std::string(to_string(pacing)) +
                     " with the family's sustained-clock ratio: uncalibrated";
    }
    return out;
}

} // namespace roofline
