// Text renderings of results (CSV, the terminal tables); the JSON codecs are in src/json/.
#include "roofline/core/report.hpp"

#include "roofline/core/gap.hpp"
#include "roofline/core/perf_model.hpp"

#include "json/json_util.hpp"
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace roofline {
namespace {

using json = nlohmann::json;

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
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

std::string pad(std::string s, std::size_t width, bool right = false) {
    if (s.size() >= width) {
        return s;
    }
    const std::string fill(width - s.size(), ' ');
    return right ? fill + s : s + fill;
}

} // namespace

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

std::string points_csv(const std::vector<analysis_point>& points) {
    std::ostringstream out;
    out << "label,precision,a_precision,b_precision,out_precision,M,N,K,flops,bytes,ai,time_us,tflops,bound,"
           "attainable_tflops,fraction_of_roof,source,disposition,hardware_key,message,pacing,clock_mhz,"
           "roof_clock_mhz,fraction_of_roof_at_run_clock,predicted_time_us,interval_low_us,interval_high_us,"
           "calibrated,prediction_error\n";
    for (const auto& p : points) {
        const auto j = to_json(p);
        const auto num = [](const json& v) { return v.is_null() ? std::string() : v.dump(); };
        const auto roof_field = [&](const char* k) {
            return j["roof"].is_null() ? std::string() : num(j["roof"][k]);
        };
        const auto& pred = j["prediction"];
        const auto us = [&](const char* k) {
            return pred.is_null() ? std::string()
                                  : num(json(json_detail::round_sig(pred[k].get<double>() * 1e6)));
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
            << roof_field("fraction_of_roof_at_run_clock") << ',' << us("time_s") << ','
            << us("interval_low_s") << ',' << us("interval_high_s") << ','
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
            if (const auto f = fraction_of_roof(*p.roof, p.flops_per_s());
                f && p.time_s > 0 && p.roof->roof.available) {
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
            predicted = fixed(p.prediction->time_s * 1e6, 2) + " [" + fixed(p.prediction->low_s * 1e6, 2) +
                        "-" + fixed(p.prediction->high_s * 1e6, 2) + "]" +
                        (p.prediction->calibrated ? "" : "*");
            if (std::ranges::find(bases, p.prediction->basis) == bases.end()) {
                bases.push_back(p.prediction->basis);
            }
        }
        const auto err = p.prediction_error();
        rows.push_back({std::string(p.problem.precision_label()), std::string(p.problem.shape_label()),
                        format_si(to_double(p.traffic.flops), "", 4),
                        format_si(to_double(p.traffic.bytes()), "", 4),
                        fixed(p.traffic.arithmetic_intensity(), 2), roof, bound, time_us, tflops, pct,
                        pct_clock, clock ? fixed(*clock, 0) : std::string("-"),
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
    out << "  % roof: of the datasheet roof; @clock: of the roof at the SM clock the point ran at "
           "(predicted: "
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
