#include "compat_handlers.hpp"

#include "api.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/roofline_model.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <thread>

namespace roofline::server {
namespace compat {
namespace {

using json = nlohmann::json;

// The original client prints every number with .toFixed: a few significant digits are what it shows.
double rounded(double v, int digits = 4) {
    if (v == 0.0 || !std::isfinite(v)) {
        return v;
    }
    const double scale = std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
    return std::round(v * scale) / scale;
}

json opt(const std::optional<double>& v, double factor = 1.0) {
    return v ? json(rounded(*v * factor, 6)) : json(nullptr);
}

std::string_view bottleneck(const analysis_point& p) {
    // A peak that is not published leaves the memory roof alone: memory is then what the prediction rests on.
    return p.roof && p.roof->bound == bound_kind::compute ? "compute" : "memory";
}

// A timed point in the original client's shape: ours plus `shape`, `bottleneck`, `bandwidth_gb_s`.
json original_point(const analysis_point& p, bool simulated) {
    json j = to_json(p);
    j["shape"] = p.problem.shape_label();
    j["bottleneck"] = bottleneck(p);
    j["bandwidth_gb_s"] = rounded(to_double(p.traffic.bytes()) / p.time_s / 1e9);
    if (simulated) {
        j["source"] = "simulated";
    }
    return j;
}

// Untimed points (not_supported, failed, not_run) never reach a list the original client calls .toFixed on.
json untimed_point(const analysis_point& p) {
    return {{"precision", p.problem.precision_label()},
            {"shape", p.problem.shape_label()},
            {"disposition", to_string(p.status)},
            {"message", p.message}};
}

struct candidate {
    gemm_problem problem;
    gemm_traffic traffic;
    double time_s = 0.0;
    bool memory_bound = false;
    bool measured = false;
};

std::string method_of(const gemm_problem& p) {
    if (p.a != p.b && (p.a == precision_id::int4 || p.b == precision_id::int4)) {
        return "weight-only INT4 (W4A16): 4-bit weights widened to FP16 in registers";
    }
    switch (p.a) {
    case precision_id::fp8_e4m3:
    case precision_id::fp8_e5m2:
    case precision_id::mxfp8:
        return "native FP8 tensor cores";
    case precision_id::nvfp4:
        return "native FP4 tensor cores (NVFP4, block-scaled)";
    case precision_id::int8:
        return "INT8 tensor cores";
    case precision_id::int4:
        return "INT4 tensor cores";
    case precision_id::fp16:
    case precision_id::bf16:
        return "16-bit tensor cores";
    case precision_id::tf32:
        return "TF32 tensor cores";
    default:
        return std::string(info(p.a).name) + " arithmetic";
    }
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

} // namespace

bool asks_original_form(std::string_view accept) noexcept {
    return accept.find(original_media_type) != std::string_view::npos;
}

json recommendation(const hardware_entry& hw, const analyze_request& r,
                    const std::vector<analysis_point>& measured) {
    // Measured points decide where there are any: a measurement beats the model.
    std::vector<candidate> candidates;
    for (const auto& m : measured) {
        if (m.status == disposition::passed && m.time_s > 0) {
            candidates.push_back(
                {m.problem, m.traffic, m.time_s, m.roof && m.roof->bound == bound_kind::memory, true});
        }
    }
    const bool by_measurement = !candidates.empty();
    std::optional<candidate> fp16;
    if (!by_measurement) {
        std::vector<gemm_problem> problems;
        for (const auto& p : all_precisions()) {
            if (p.gemm_input && p.id != precision_id::int32) {
                problems.push_back(make_problem(r.m, r.n, r.k, p.id));
            }
        }
        // W4A16: the way INT4 weights run on GPUs whose tensor cores have no (fast) INT4 path.
        problems.push_back(make_problem(r.m, r.n, r.k, precision_id::fp16, precision_id::fp16,
                                        precision_id::int4, precision_id::fp16));
        for (const auto& problem : problems) {
            const auto pt = predict(hw, problem);
            // Only what the GPU runs at a published rate: an unknown peak would flatter its precision.
            if (pt.status != disposition::passed || pt.time_s <= 0 || !pt.roof ||
                (pt.roof->bound != bound_kind::memory && pt.roof->bound != bound_kind::compute)) {
                continue;
            }
            candidates.push_back(
                {problem, pt.traffic, pt.time_s, pt.roof->bound == bound_kind::memory, false});
        }
    }
    if (candidates.empty()) {
        return nullptr;
    }
    for (const auto& c : candidates) {
        if (c.problem.a == precision_id::fp16 && c.problem.b == precision_id::fp16) {
            fp16 = c;
        }
    }
    const candidate* best = &candidates.front();
    for (const auto& c : candidates) {
        if (c.time_s < best->time_s) {
            best = &c;
        }
    }
    const candidate& base = fp16 ? *fp16 : candidates.front();
    const double speedup = base.time_s / best->time_s;
    const double savings = 100.0 * (1.0 - to_double(best->traffic.bytes()) / to_double(base.traffic.bytes()));
    const std::string name = best->problem.precision_label();
    const std::string base_name = base.problem.precision_label();
    std::string reason = best->problem.shape_label() + " is " +
                         (best->memory_bound ? "memory-bound" : "compute-bound") + " at " + name + " on " +
                         hw.name + ": ";
    if (best == &base) {
        reason += base_name + " is already the fastest " + (by_measurement ? "measured" : "predicted") +
                  " precision this GPU runs for it";
    } else if (best->memory_bound) {
        reason += name + " moves " + fixed(savings, 0) + "% fewer bytes than " + base_name + ", so it " +
                  (by_measurement ? "measured" : "is predicted") + " " + fixed(speedup, 2) + "x " +
                  base_name + "'s speed";
    } else {
        reason += "its tensor-core rate " + std::string(by_measurement ? "measured" : "is predicted") + " " +
                  fixed(speedup, 2) + "x " + base_name + "'s";
    }
    reason += by_measurement ? " (from the measured precisions of this request)."
                             : " (roofline model, datasheet roofs; measure to confirm).";
    return {{"precision", name},
            {"method", method_of(best->problem)},
            {"reason", reason},
            {"predicted_speedup", rounded(speedup, 3)},
            {"memory_bound", best->memory_bound},
            {"memory_savings_pct", rounded(savings, 3)},
            {"basis", by_measurement ? "measured" : "model"},
            {"baseline", base_name}};
}

std::string original_analyze_answer(std::string_view answer, const hardware_entry& hw,
                                    const analyze_request& r, const std::vector<analysis_point>& predicted,
                                    const std::vector<analysis_point>& measured) {
    json j = json::parse(answer);
    j["hardware_roofs"] = std::move(j["hardware"]);
    j["hardware"] = hw.name;
    j["hardware_name"] = hw.name;
    json simulated = json::array();
    json not_simulated = json::array();
    for (const auto& p : predicted) {
        (p.time_s > 0 ? simulated : not_simulated)
            .push_back(p.time_s > 0 ? original_point(p, true) : untimed_point(p));
    }
    json timed = json::array();
    json untimed = json::array();
    for (const auto& m : measured) {
        (m.time_s > 0 ? timed : untimed)
            .push_back(m.time_s > 0 ? original_point(m, false) : untimed_point(m));
    }
    j["bottleneck"] = simulated.empty() ? json(nullptr) : simulated.front()["bottleneck"];
    j["simulated"] = std::move(simulated);
    j["not_simulated"] = std::move(not_simulated);
    j["measured"] = std::move(timed);
    j["not_measured"] = std::move(untimed);
    j["recommendation"] = recommendation(hw, r, measured);
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json nvml_status_json(const gpu_status& s) {
    constexpr double mib = 1.0 / (1024.0 * 1024.0);
    return {{"available", true},
            {"device_name", s.device_name},
            {"gpu_clock_mhz", opt(s.sm_clock_mhz)},
            {"power_draw_w", opt(s.power_w)},
            {"power_limit_w", opt(s.power_limit_w)},
            {"temperature_c", opt(s.temperature_c)},
            {"mem_used_mb", opt(s.memory_used_bytes, mib)},
            {"mem_total_mb", opt(s.memory_total_bytes, mib)},
            {"gpu_utilization_pct", opt(s.utilization_pct)}};
}

} // namespace compat

// ------------------------------------------------------------------------- the original client's routes

http_response api::nvml_status(const http_request& req) {
    reject_unknown_params(req.query, {});
    http_response r;
    r.body = compat::nvml_status_json(m_telemetry->status_now()).dump(); // 503 with the reason without NVML
    return r;
}

http_response api::nvml_stream(const http_request& req) {
    reject_unknown_params(req.query, {});
    auto first = compat::nvml_status_json(m_telemetry->status_now()); // 503 before the stream opens
    http_response r;
    r.content_type = "text/event-stream";
    telemetry_source* source = m_telemetry.get();
    const std::atomic<bool>* stopping = &m_stopping;
    r.stream = [source, stopping, first = std::move(first)](event_sink& sink) {
        // Unnamed events: the original client reads them with EventSource.onmessage.
        if (!sink.send("message", first.dump())) {
            return;
        }
        while (!*stopping) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            nlohmann::json s;
            try {
                s = compat::nvml_status_json(source->status_now());
            } catch (const std::exception& e) {
                (void)sink.send(
                    "error", nlohmann::json{{"error", {{"code", "nvml_error"}, {"message", e.what()}}}}.dump(
                                 -1, ' ', false, nlohmann::json::error_handler_t::replace));
                return;
            }
            if (!sink.send("message", s.dump())) {
                return;
            }
        }
    };
    return r;
}

} // namespace roofline::server
