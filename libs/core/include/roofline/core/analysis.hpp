// The analysis use case, written once: `roofline analyze` and the server's analyze handlers are adapters
// around it (parse their options, call plan_analysis, measure or not, annotate, write the answer).
//
//   plan:     which hardware entry gives the roofs (the named one, the local GPU's, or the measured
//   profile's),
//             the validated problems and their predictions;
//   annotate: a measured point gets the hardware key and its roof on that entry (the gap is computed when the
//             point is written: point_document in json.hpp).
//
// Nothing here reads the environment: where profiles live is passed in (apps/ resolves it).
#pragma once

#include "roofline/core/hardware.hpp"
#include "roofline/core/perf_model.hpp"
#include "roofline/core/result.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace roofline {

enum class roof_source : std::uint8_t { datasheet, measured };
[[nodiscard]] std::string_view to_string(roof_source r) noexcept;

// A request an analysis cannot serve, naming the request field at fault ("hardware_key", "roof"). The CLI
// shows it as a usage error, the server as 422 with that field.
class analysis_error : public std::invalid_argument {
  public:
    analysis_error(std::string field, const std::string& message)
        : std::invalid_argument(message), m_field(std::move(field)) {}
    [[nodiscard]] const std::string& field() const noexcept { return m_field; }

  private:
    std::string m_field;
};

// What the caller knows about its machine.
struct analysis_context {
    const hardware_registry* registry = nullptr;
    std::optional<device_identity> device; // the GPU that measures, when one does
    std::string default_hardware_key;      // the caller's default (server --hardware); empty: by device
    std::filesystem::path profile_dir;     // where `roofline ceilings` keeps profiles; empty: none known
    // The performance model with the caller's calibration profiles (model_with_profiles in calibration.hpp,
    // from the directory apps/ resolves); nullptr: perf_model::builtin(). Must outlive the calls.
    const perf_model* model = nullptr;

    [[nodiscard]] const perf_model& perf() const { return model != nullptr ? *model : perf_model::builtin(); }
};

// The registry entry an analysis uses when none is named: the caller's default, else the one matching the
// device (name, compute capability and SM count: choose_hardware in device_match.hpp; an unknown GPU gets a
// stand-in of its compute capability, else h100-sxm, with a warning saying so), else b10 (no GPU).
struct default_hardware {
    const hardware_entry* entry = nullptr;
    std::string note; // non-empty when the device is not in the registry (the warning)
    std::string
        matched_by; // how the entry was chosen ("device 'NVIDIA H200' (sm 9.0, 132 SMs) matched h200")
};
[[nodiscard]] default_hardware choose_default_hardware(const analysis_context& ctx);

struct analysis_request {
    std::string hardware_key; // empty: choose_default_hardware
    roof_source roof = roof_source::datasheet;
    std::vector<gemm_problem> problems; // validated (validate() in gemm.hpp)
    // The pacing the predictions assume (paced: boost clock; continuous: the sustained clock).
    sample_pacing pacing = sample_pacing::paced;
};

struct analysis_plan {
    // The roofs: a registry entry, or for roof=measured the entry built from the profile ("<key>-measured").
    std::shared_ptr<const hardware_entry> hardware;
    std::vector<gemm_problem> problems;
    std::vector<analysis_point> predicted; // one per problem, from the performance model
    // How the roofs were chosen, and a warning when they are a stand-in (unknown GPU): the answers carry both
    // (hardware.matched_by, warnings).
    std::string matched_by;
    std::string warning;
};

// Throws analysis_error for an unknown hardware key or a missing/unusable measured profile.
[[nodiscard]] analysis_plan plan_analysis(const analysis_context& ctx, const analysis_request& request);

// A measured point placed against the plan's roofs, with the model's prediction for the pacing it ran with
// (so it carries prediction_error). `model` nullptr: perf_model::builtin().
void annotate(const hardware_entry& hw, analysis_point& measured, const perf_model* model = nullptr);

// Adds the plan's hardware.matched_by and warnings to an analysis document (annotate_hardware_choice).
void annotate_hardware_choice(nlohmann::json& document, const analysis_plan& plan);

} // namespace roofline
