#include "roofline/core/worker_protocol.hpp"

#include "roofline/core/report.hpp"

#include <stdexcept>

namespace roofline {

nlohmann::json to_json(const measure_options& o) {
    return {{"mode", to_string(o.mode)},
            {"pacing", to_string(o.pacing)},
            {"idle_ratio", o.idle_ratio},
            {"min_samples", o.min_samples},
            {"samples", o.samples},
            {"max_samples", o.max_samples},
            {"target_relative_spread", o.target_relative_spread},
            {"max_seconds", o.max_seconds},
            {"keep_samples", o.keep_samples},
            {"verify", o.verify},
            {"max_candidates", o.max_candidates},
            {"use_algorithm_cache", o.use_algorithm_cache},
            {"cache_dir", o.cache_dir.string()},
            {"corrupt_result_for_test", o.corrupt_result_for_test},
            {"telemetry_window_s", o.telemetry_window_s}};
}

measure_options measure_options_from_json(const nlohmann::json& j) {
    try {
        measure_options o;
        o.mode = parse_timing_mode(j.value("mode", std::string("cold")));
        o.pacing = parse_sample_pacing(j.value("pacing", std::string("paced")));
        o.idle_ratio = j.value("idle_ratio", o.idle_ratio);
        o.min_samples = j.value("min_samples", o.min_samples);
        o.samples = j.value("samples", o.samples);
        o.max_samples = j.value("max_samples", o.max_samples);
        o.target_relative_spread = j.value("target_relative_spread", o.target_relative_spread);
        o.max_seconds = j.value("max_seconds", o.max_seconds);
        o.keep_samples = j.value("keep_samples", o.keep_samples);
        o.verify = j.value("verify", o.verify);
        o.max_candidates = j.value("max_candidates", o.max_candidates);
        o.use_algorithm_cache = j.value("use_algorithm_cache", o.use_algorithm_cache);
        o.cache_dir = j.value("cache_dir", std::string());
        o.corrupt_result_for_test = j.value("corrupt_result_for_test", false);
        o.telemetry_window_s = j.value("telemetry_window_s", o.telemetry_window_s);
        return o;
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(std::string("options: ") + e.what());
    }
}

gemm_problem problem_from_json(const nlohmann::json& j) {
    try {
        gemm_problem p;
        p.m = j.at("M").get<std::int64_t>();
        p.n = j.at("N").get<std::int64_t>();
        p.k = j.at("K").get<std::int64_t>();
        p.a = parse_precision(j.at("a_precision").get<std::string>());
        p.b = parse_precision(j.at("b_precision").get<std::string>());
        p.out = parse_precision(j.at("out_precision").get<std::string>());
        p.beta = j.value("beta", 0.0);
        return p;
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(std::string("problem: ") + e.what());
    }
}

} // namespace roofline
