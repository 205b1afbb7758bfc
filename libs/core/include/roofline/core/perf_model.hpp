// The performance model: a predicted GEMM time that accounts for what measured points show, not only the
// roofline's lower bound. docs/THEORY.md ("The performance model") gives the figures behind each term.
//
//   time = max( floor + max(compute, memory),  roofline bound )
//   compute = min over output tiles (tm×tn) and split-K s of
//             waves × (tile_overhead + tile FLOPs / SM rate [+ tile operand elements / SM element rate])
//             waves = ceil(tiles / SMs), SM rate = peak × (run clock / datasheet clock) / SMs × efficiency ×
//             tile efficiency (small tiles feed the tensor cores worse: min(1, tm·tn/(tm+tn) /
//             tile_intensity_ref)); the bracketed load term only when A's and B's rows are not 16-byte
//             multiples: the fallback kernels then load operands element by element, at a rate per SM and
//             clock that is the same for every element size and does not overlap the MMAs
//   memory  = max(bytes / (bandwidth × bandwidth_efficiency), bytes / (active SMs × sm_bandwidth))
//
// The roofline bound (FLOPs / peak, bytes / bandwidth, and the GPU's fastest roof where the precision has
// none) is a floor under every prediction, so no predicted point sits above a roof.
#pragma once

#include "roofline/core/gemm.hpp"
#include "roofline/core/hardware.hpp"
#include "roofline/core/result.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roofline {

// The model's parameters for one GPU (family defaults, or a calibration's fitted values).
struct perf_params {
    double floor_s = 4e-6;                // launch, prologue and epilogue latency no GEMM avoids
    double bandwidth_efficiency = 0.85;   // share of the datasheet bandwidth a streaming kernel reaches
    double sm_bandwidth_bytes_per_s = 0;  // what one SM can pull (Little's law); 0 = no per-SM limit
    double tile_overhead_s = 1e-6;        // fixed cost per tile per wave (pipeline fill and drain)
    double split_k_overhead_s = 2e-6;     // split-K's reduction of the partial sums (a second phase)
    double tile_intensity_ref = 64.0;     // tm·tn/(tm+tn) from which a tile feeds the tensor cores fully
    double continuous_clock_ratio = 0.85; // sustained / boost clock under continuous load (compute only)
    // Operands whose rows are not 16-byte multiples (K, or both M and N, x element size) cannot use the TMA
    // kernels; cuBLASLt falls back to older ones (H200: 2049^3 FP16 at 112 TFLOP/s vs 2048^3 at 619).
    // The fallback kernels' MMAs (mma.sync rather than wgmma) as a share of the aligned rate.
    double misaligned_efficiency = 0.3;
    double misaligned_bandwidth_efficiency =
        0.7; // and stream memory slower (H200: 2x4096x4096 BF16 23 vs 18 us)
    // When K x the input size is not a 16-byte multiple, A and B cannot be copied in 16-byte vectors: the
    // fallback kernels move them in the widest vector the rows allow (one element at an odd K), so their cost
    // is in load instructions, not bytes, and TF32 at half FP16's tensor peak runs 0.78x (not 0.5x) FP16's
    // speed (H200: 4095x4097x4093 1012 vs 783 us). Loads per SM per SM clock cycle; 0 = no such term.
    double misaligned_loads_per_clock = 0.0;
    double compute_efficiency_default = 0.8;
    std::map<precision_id, double> compute_efficiency; // fraction of the peak at the run clock, per precision
    // log(measured / predicted) percentiles: the interval is [time·e^p10, time·e^p90].
    double interval_log_p10 = -0.10;
    double interval_log_p90 = 0.60;

    [[nodiscard]] double efficiency(precision_id p) const {
        const auto it = compute_efficiency.find(p);
        return it == compute_efficiency.end() ? compute_efficiency_default : it->second;
    }
};

// Pure evaluation of the model for one point. `clock_ratio` = run clock / datasheet roof clock.
[[nodiscard]] performance_prediction evaluate_model(const perf_params& params, const hardware_entry& hw,
                                                    const gemm_problem& p, const gemm_traffic& t,
                                                    double clock_ratio);

// True when cuBLASLt's fast (TMA) kernels cannot take the operands: K x input size, or M x output size (D's
// leading dimension) for M > 1, not a multiple of 16 bytes (cuBLASLt: "full speed wants m,k*size % 16 == 0").
[[nodiscard]] bool misaligned(const gemm_problem& p) noexcept;

// True when A's and B's rows (K x input size) are not 16-byte multiples: the operands themselves cannot be
// loaded in vectors (the misaligned-load term); a misaligned D alone (M x output size) costs only the
// efficiencies above.
[[nodiscard]] bool operands_misaligned(const gemm_problem& p) noexcept;

// Elements of A or B one load moves when the operands are misaligned: the widest power-of-two vector, up to
// 16 bytes, that divides a row (K x the input size): 1 at an odd K in FP16 or TF32, 8 for INT8 at K = 1000.
[[nodiscard]] double elements_per_misaligned_load(const gemm_problem& p) noexcept;

// The fastest compute roof of the GPU (FLOP/s), over every precision it has a figure for; 0 when none.
[[nodiscard]] double fastest_roof(const hardware_entry& hw);

// The SM clock a point of this pacing runs at on `hw` (paced: the maximum boost clock; continuous: that times
// the sustained ratio), or nullopt when the registry gives no clock.
[[nodiscard]] std::optional<double> run_clock_mhz(const hardware_entry& hw, const perf_params& params,
                                                  sample_pacing pacing);

struct residual_summary {
    std::size_t count = 0;
    double p10 = 0.0; // percentiles of log(measured / predicted)
    double p50 = 0.0;
    double p90 = 0.0;
    double median_abs = 0.0; // median |log(measured / predicted)|
    double p90_abs = 0.0;
    double share_predicted_faster = 0.0; // share with measured > predicted
};
[[nodiscard]] residual_summary summarize_residuals(std::vector<double> log_ratios);

// A calibration profile: parameters fitted on one GPU, with where and how (docs/THEORY.md, data/calibration).
struct calibration_profile {
    std::string hardware_key;
    device_identity device;
    std::string date; // ISO 8601
    sample_pacing pacing = sample_pacing::paced;
    timing_mode mode = timing_mode::cold;
    std::string provenance; // what was measured, by which command, where the raw data is
    perf_params params;
    residual_summary residuals; // over the fitted points
    std::map<precision_id, residual_summary> per_precision;
    std::vector<std::string> fitted_shapes; // "MxNxK" of the fitted points
    std::string file;                       // where it was loaded from
};

// The family defaults (data/perf_model/defaults.json) and the calibration profiles (data/calibration/*.json):
// which parameters a GPU gets and whether they are calibrated.
class perf_model {
  public:
    [[nodiscard]] static const perf_model& builtin();
    // Throws std::invalid_argument naming the file and the field.
    [[nodiscard]] static perf_model
    from_texts(const std::string& defaults_text,
               const std::vector<std::pair<std::string, std::string>>& profiles);

    [[nodiscard]] const calibration_profile* profile_for(std::string_view hardware_key) const;
    [[nodiscard]] const perf_params& family_defaults(std::string_view architecture) const;
    void add_profile(calibration_profile profile); // a profile replaces one for the same hardware key

    [[nodiscard]] performance_prediction predict(const hardware_entry& hw, const gemm_problem& p,
                                                 const gemm_traffic& t,
                                                 sample_pacing pacing = sample_pacing::paced) const;
    // The same prediction with the family defaults only (the uncalibrated model), whatever profiles exist.
    [[nodiscard]] performance_prediction
    predict_uncalibrated(const hardware_entry& hw, const gemm_problem& p, const gemm_traffic& t,
                         sample_pacing pacing = sample_pacing::paced) const;

  private:
    std::map<std::string, perf_params> m_families; // by architecture; "*" for any other
    std::vector<calibration_profile> m_profiles;
};

// A predicted point from the performance model (its time, interval and terms) with the roofline beside it.
[[nodiscard]] analysis_point predict(const hardware_entry& hw, const gemm_problem& p, sample_pacing pacing,
                                     const perf_model& model);

// The attainable roof at the clock a point ran at: the compute roof times run clock / datasheet clock (the
// memory roof does not scale with the SM clock). The JSON codec and the CLI table both show it.
struct clock_roof {
    std::optional<double> roof_clock_mhz;
    std::optional<double> run_clock_mhz;
    double attainable_flops_per_s = 0.0; // 0 when either clock is unknown or the precision has no roof
};
[[nodiscard]] clock_roof roof_at_clock(const roofline_estimate& e, const analysis_point& p);

// A point measured elsewhere gets its roofs on `hw` and the model's prediction for the pacing it ran with, so
// it can carry prediction_error = measured / predicted.
void complete_point(analysis_point& pt, const hardware_entry& hw,
                    const perf_model& model = perf_model::builtin());

[[nodiscard]] perf_params parse_perf_params(const nlohmann::json& j, const std::string& where,
                                            const perf_params& base = {});
[[nodiscard]] nlohmann::json to_json(const perf_params& p);
[[nodiscard]] nlohmann::json to_json(const residual_summary& r);
[[nodiscard]] nlohmann::json to_json(const calibration_profile& c);
[[nodiscard]] calibration_profile parse_calibration_profile(std::string_view text, const std::string& file);
[[nodiscard]] nlohmann::json to_json(const performance_prediction& p);
[[nodiscard]] performance_prediction prediction_from_json(const nlohmann::json& j);

// Text of the built-in data files, generated at build time from data/perf_model and data/calibration.
[[nodiscard]] const std::vector<std::pair<std::string, std::string>>& builtin_perf_model_files();
[[nodiscard]] const std::vector<std::pair<std::string, std::string>>& builtin_calibration_files();

} // namespace roofline
