#include "roofline/core/node_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace roofline {
namespace {

using getter = std::function<std::optional<double>(const node_gpu&)>;

std::optional<double> median(std::vector<double> v) {
    if (v.empty()) {
        return std::nullopt;
    }
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The median of one figure over the GPUs other than `skip` (an outlier is judged against its peers, not
// against a median it pulls down itself); over all of them when skip is negative.
std::optional<double> peer_median(const std::vector<node_gpu>& gpus, const getter& get, std::int64_t skip) {
    std::vector<double> v;
    for (const auto& g : gpus) {
        if (g.index == skip) {
            continue;
        }
        if (const auto x = get(g)) {
            v.push_back(*x);
        }
    }
    return median(std::move(v));
}

const node_phase_result& phase_of(const node_gpu& g, bool together) {
    return together ? g.together : g.alone;
}

node_spread spread_of(const std::vector<node_gpu>& gpus, bool together) {
    std::vector<double> rates;
    for (const auto& g : gpus) {
        if (const auto t = phase_of(g, together).tflops()) {
            rates.push_back(*t);
        }
    }
    node_spread s;
    s.gpus = rates.size();
    if (rates.empty()) {
        return s;
    }
    s.median_tflops = median(rates);
    s.min_tflops = *std::min_element(rates.begin(), rates.end());
    s.max_tflops = *std::max_element(rates.begin(), rates.end());
    if (*s.median_tflops > 0) {
        s.spread_pct = (*s.max_tflops - *s.min_tflops) / *s.median_tflops * 100.0;
    }
    return s;
}

bool has_reason(const std::vector<std::string>& reasons, const char* word) {
    return std::any_of(reasons.begin(), reasons.end(),
                       [&](const std::string& r) { return r.find(word) != std::string::npos; });
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// The causes the measured figures support, each with its evidence; in the order a user would check them.
void explain(const std::vector<node_gpu>& gpus, const node_gpu& g, bool together, const node_thresholds& t,
             node_outlier& out) {
    const auto& p = phase_of(g, together);
    std::vector<std::string> evidence;
    const auto peers = [&](const getter& get) { return peer_median(gpus, get, g.index); };

    const auto clock = peers([&](const node_gpu& x) { return phase_of(x, together).sm_clock_mhz; });
    if (p.sm_clock_mhz && clock && *p.sm_clock_mhz < *clock * (1.0 - t.clock_pct / 100.0)) {
        out.reasons.emplace_back("clock");
        evidence.push_back("SM clock " + fixed(*p.sm_clock_mhz, 0) + " MHz against the others' " +
                           fixed(*clock, 0) + " MHz");
    }
    const auto limit = peers([&](const node_gpu& x) { return phase_of(x, together).power_limit_w; });
    const bool lower_cap =
        p.power_limit_w && limit && *p.power_limit_w < *limit * (1.0 - t.power_limit_pct / 100.0);
    const bool at_cap = p.power_w && p.power_limit_w && *p.power_w >= *p.power_limit_w * t.power_near_limit;
    if (lower_cap || has_reason(p.throttle_reasons, "power cap") || at_cap) {
        out.reasons.emplace_back("power cap");
        if (lower_cap) {
            evidence.push_back("power limit " + fixed(*p.power_limit_w, 0) + " W against the others' " +
                               fixed(*limit, 0) + " W");
        } else if (at_cap) {
            evidence.push_back("drawing " + fixed(*p.power_w, 0) + " W of its " + fixed(*p.power_limit_w, 0) +
                               " W limit");
        } else {
            evidence.emplace_back("NVML reported power capping");
        }
    }
    const auto temp = peers([&](const node_gpu& x) { return phase_of(x, together).temperature_c; });
    const bool hot = p.temperature_c && temp && *p.temperature_c > *temp + t.temperature_c;
    if (hot || has_reason(p.throttle_reasons, "thermal")) {
        out.reasons.emplace_back("thermal");
        evidence.push_back(hot ? "at " + fixed(*p.temperature_c, 0) + " °C against the others' " +
                                     fixed(*temp, 0) + " °C"
                               : std::string("NVML reported thermal slowdown"));
    }
    const auto& l = g.link;
    const bool narrow = l.pcie_width && l.pcie_width_max && *l.pcie_width < *l.pcie_width_max;
    const bool slow_gen =
        l.pcie_generation && l.pcie_generation_max && *l.pcie_generation < *l.pcie_generation_max;
    const auto peer_width = peers([](const node_gpu& x) {
        return x.link.pcie_width ? std::optional<double>(*x.link.pcie_width) : std::nullopt;
    });
    const bool narrower = l.pcie_width && peer_width && *l.pcie_width < *peer_width;
    if (narrow || slow_gen || narrower) {
        out.reasons.emplace_back("placement");
        evidence.push_back("PCIe link at gen " +
                           (l.pcie_generation ? std::to_string(*l.pcie_generation) : "?") + " x" +
                           (l.pcie_width ? std::to_string(*l.pcie_width) : "?") + " (it can do gen " +
                           (l.pcie_generation_max ? std::to_string(*l.pcie_generation_max) : "?") + " x" +
                           (l.pcie_width_max ? std::to_string(*l.pcie_width_max) : "?") + ")");
    }
    if (together) {
        // Losing more than the others when every GPU runs: the node's shared power or cooling budget.
        const auto drop = [](const node_gpu& x) -> std::optional<double> {
            const auto a = x.alone.tflops();
            const auto b = x.together.tflops();
            if (!a || !b || *a <= 0) {
                return std::nullopt;
            }
            return (1.0 - *b / *a) * 100.0;
        };
        const auto mine = drop(g);
        const auto others = peers(drop);
        if (mine && others && *mine > *others + t.load_drop_pct) {
            out.reasons.emplace_back("shared budget");
            evidence.push_back("it loses " + fixed(*mine, 1) + "% from alone to together, the others " +
                               fixed(*others, 1) + "%");
        }
    }
    if (out.reasons.empty()) {
        out.reasons.emplace_back("unexplained");
        evidence.emplace_back("its clock, power, temperature and link match the others': check the cooling, "
                              "the board (nvidia-smi -q) and rerun");
    }
    out.message = "GPU " + std::to_string(g.index) + " is " + fixed(out.deficit_pct.value_or(0), 1) +
                  "% below the others' median " + out.phase + ": ";
    for (std::size_t i = 0; i < evidence.size(); ++i) {
        out.message += (i ? "; " : "") + evidence[i];
    }
}

void flag_phase(const node_report& r, bool together, std::vector<node_outlier>& out) {
    const auto& spread = together ? r.together : r.alone;
    const std::string phase = together ? "together" : "alone";
    for (const auto& g : r.gpus) {
        const auto& p = phase_of(g, together);
        if (!p.ran) {
            out.push_back({g.index,
                           phase,
                           std::nullopt,
                           {"failed"},
                           "GPU " + std::to_string(g.index) + " gave no result " + phase + ": " +
                               (p.message.empty() ? std::string("no passed point") : p.message)});
            continue;
        }
        const auto rate = p.tflops();
        // Judged against the peers' median (the GPU itself left out), so a slow one on a 2-GPU node is
        // still seen.
        const auto peers = peer_median(
            r.gpus, [&](const node_gpu& x) { return phase_of(x, together).tflops(); }, g.index);
        if (!rate || !peers || *peers <= 0 || spread.gpus < 2) {
            continue;
        }
        const double deficit = (1.0 - *rate / *peers) * 100.0;
        if (deficit < r.thresholds.slow_pct) {
            continue;
        }
        node_outlier o;
        o.index = g.index;
        o.phase = phase;
        o.deficit_pct = deficit;
        explain(r.gpus, g, together, r.thresholds, o);
        out.push_back(std::move(o));
    }
}

nlohmann::json opt_json(const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json opt_json(const std::optional<int>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json phase_json(const node_phase_result& p) {
    return {{"ran", p.ran},
            {"message", p.message},
            {"flops", p.flops},
            {"time_s", p.time_s},
            {"tflops", opt_json(p.tflops())},
            {"sm_clock_mhz", opt_json(p.sm_clock_mhz)},
            {"sm_clock_max_mhz", opt_json(p.sm_clock_max_mhz)},
            {"power_w", opt_json(p.power_w)},
            {"power_limit_w", opt_json(p.power_limit_w)},
            {"temperature_c", opt_json(p.temperature_c)},
            {"throttle_reasons", p.throttle_reasons}};
}

nlohmann::json spread_json(const node_spread& s) {
    return {{"gpus", s.gpus},
            {"median_tflops", opt_json(s.median_tflops)},
            {"min_tflops", opt_json(s.min_tflops)},
            {"max_tflops", opt_json(s.max_tflops)},
            {"spread_pct", opt_json(s.spread_pct)}};
}

} // namespace

node_report assess_node(std::vector<node_gpu> gpus, const node_thresholds& thresholds) {
    node_report r;
    r.gpus = std::move(gpus);
    std::sort(r.gpus.begin(), r.gpus.end(),
              [](const node_gpu& a, const node_gpu& b) { return a.index < b.index; });
    r.thresholds = thresholds;
    r.alone = spread_of(r.gpus, false);
    r.together = spread_of(r.gpus, true);
    flag_phase(r, false, r.outliers);
    flag_phase(r, true, r.outliers);
    return r;
}

node_phase_result phase_from_points(const std::vector<analysis_point>& points) {
    node_phase_result r;
    double clock_sum = 0;
    double power_sum = 0;
    std::size_t clocks = 0;
    std::size_t powers = 0;
    for (const auto& p : points) {
        if (p.status != disposition::passed || p.time_s <= 0) {
            if (r.message.empty()) {
                r.message = p.problem.precision_label() + ": " +
                            (p.message.empty() ? std::string(to_string(p.status)) : p.message);
            }
            continue;
        }
        r.ran = true;
        r.flops += to_double(p.traffic.flops);
        r.time_s += p.time_s;
        if (!p.measured || !p.measured->telemetry || !p.measured->telemetry->available) {
            continue;
        }
        const auto& t = *p.measured->telemetry;
        if (t.sm_clock_mean_mhz) {
            clock_sum += *t.sm_clock_mean_mhz;
            ++clocks;
        }
        if (t.power_mean_w) {
            power_sum += *t.power_mean_w;
            ++powers;
        }
        if (t.sm_clock_max_mhz) {
            r.sm_clock_max_mhz = t.sm_clock_max_mhz;
        }
        if (t.power_limit_w) {
            r.power_limit_w = t.power_limit_w;
        }
        if (t.temperature_max_c) {
            r.temperature_c = std::max(r.temperature_c.value_or(*t.temperature_max_c), *t.temperature_max_c);
        }
        for (const auto& reason : t.throttle_reasons) {
            if (std::find(r.throttle_reasons.begin(), r.throttle_reasons.end(), reason) ==
                r.throttle_reasons.end()) {
                r.throttle_reasons.push_back(reason);
            }
        }
    }
    if (clocks > 0) {
        r.sm_clock_mhz = clock_sum / static_cast<double>(clocks);
    }
    if (powers > 0) {
        r.power_w = power_sum / static_cast<double>(powers);
    }
    return r;
}

nlohmann::json to_json(const node_report& r) {
    nlohmann::json gpus = nlohmann::json::array();
    for (const auto& g : r.gpus) {
        gpus.push_back({{"index", g.index},
                        {"name", g.name},
                        {"uuid", g.uuid},
                        {"pci_bus_id", g.pci_bus_id},
                        {"serial", g.serial},
                        {"link",
                         {{"pcie_generation", opt_json(g.link.pcie_generation)},
                          {"pcie_generation_max", opt_json(g.link.pcie_generation_max)},
                          {"pcie_width", opt_json(g.link.pcie_width)},
                          {"pcie_width_max", opt_json(g.link.pcie_width_max)}}},
                        {"alone", phase_json(g.alone)},
                        {"together", phase_json(g.together)}});
    }
    nlohmann::json outliers = nlohmann::json::array();
    for (const auto& o : r.outliers) {
        outliers.push_back({{"index", o.index},
                            {"phase", o.phase},
                            {"deficit_pct", opt_json(o.deficit_pct)},
                            {"reasons", o.reasons},
                            {"message", o.message}});
    }
    const auto& t = r.thresholds;
    return {{"gpus", gpus},
            {"spread", {{"alone", spread_json(r.alone)}, {"together", spread_json(r.together)}}},
            {"outliers", outliers},
            {"thresholds",
             {{"slow_pct", t.slow_pct},
              {"clock_pct", t.clock_pct},
              {"power_limit_pct", t.power_limit_pct},
              {"power_near_limit", t.power_near_limit},
              {"temperature_c", t.temperature_c},
              {"load_drop_pct", t.load_drop_pct}}}};
}

} // namespace roofline
