#include "roofline/core/analysis.hpp"

#include "roofline/core/device_match.hpp"
#include "roofline/core/measured_profile.hpp"
#include "roofline/core/roofline_model.hpp"

namespace roofline {

std::string_view to_string(roof_source r) noexcept {
    return r == roof_source::datasheet ? "datasheet" : "measured";
}

default_hardware choose_default_hardware(const analysis_context& ctx) {
    const auto& registry = *ctx.registry;
    if (registry.entries().empty()) {
        throw analysis_error("hardware_key", "the hardware registry is empty");
    }
    const device_identity* device = ctx.device ? &*ctx.device : nullptr;
    // An unknown GPU falls back to h100-sxm, no GPU to b10; a --hardware-dir without those to its first
    // entry.
    std::string fallback = device != nullptr ? "h100-sxm" : "b10";
    if (registry.find(fallback) == nullptr) {
        fallback = registry.entries().front().key;
    }
    hardware_choice choice;
    try {
        choice = choose_hardware(registry, ctx.default_hardware_key, device, fallback, "hardware_key");
    } catch (const std::invalid_argument& e) {
        throw analysis_error("hardware_key", e.what());
    }
    return default_hardware{choice.entry, choice.warning, choice.matched_by};
}

namespace {

// roof=measured: the profile `roofline ceilings` wrote for this machine's GPU (the newest one without a GPU).
// Read per call: ceilings may run while a server is up.
std::shared_ptr<const hardware_entry> measured_entry(const analysis_context& ctx,
                                                     const hardware_entry* named) {
    const auto& dir = ctx.profile_dir;
    const auto profile =
        dir.empty() ? std::nullopt : find_profile(dir, ctx.device ? ctx.device->uuid : std::string());
    if (!profile) {
        throw analysis_error("roof",
                             "no measured roofs here: run `roofline ceilings` on the GPU machine first "
                             "(profiles are read from " +
                                 (dir.empty() ? std::string("$ROOFLINE_PROFILE_DIR") : dir.string()) +
                                 "), or ask for roof=datasheet");
    }
    const auto* datasheet = ctx.registry->find(profile->hardware_key);
    if (named != nullptr && datasheet != named) {
        throw analysis_error("hardware_key", "measured roofs exist only for the GPU that was measured (" +
                                                 profile->device.name +
                                                 "); leave hardware_key out or ask for roof=datasheet");
    }
    try {
        return std::make_shared<const hardware_entry>(measured_hardware_entry(*profile, datasheet));
    } catch (const std::invalid_argument& e) {
        throw analysis_error("roof", e.what());
    }
}

} // namespace

analysis_plan plan_analysis(const analysis_context& ctx, const analysis_request& request) {
    const hardware_entry* named = nullptr;
    if (!request.hardware_key.empty()) {
        named = ctx.registry->find(request.hardware_key);
        if (named == nullptr) {
            throw analysis_error("hardware_key", "unknown hardware '" + request.hardware_key.substr(0, 64) +
                                                     "'; valid: " + ctx.registry->valid_keys());
        }
    }
    analysis_plan plan;
    if (request.roof == roof_source::measured) {
        plan.hardware = measured_entry(ctx, named);
    } else {
        const hardware_entry* hw = named;
        if (hw != nullptr) {
            plan.matched_by = "requested: " + request.hardware_key;
        } else {
            auto chosen = choose_default_hardware(ctx);
            hw = chosen.entry;
            plan.matched_by = std::move(chosen.matched_by);
            plan.warning = std::move(chosen.note);
        }
        // The registry outlives every plan (the CLI's run, the server's lifetime): no copy, no ownership.
        plan.hardware = std::shared_ptr<const hardware_entry>(std::shared_ptr<void>(), hw);
    }
    if (plan.matched_by.empty()) {
        plan.matched_by = "measured profile: " + plan.hardware->key;
    }
    plan.problems = request.problems;
    plan.predicted.reserve(plan.problems.size());
    for (const auto& p : plan.problems) {
        plan.predicted.push_back(predict(*plan.hardware, p, request.pacing, ctx.perf()));
    }
    return plan;
}

void annotate(const hardware_entry& hw, analysis_point& measured, const perf_model* model) {
    complete_point(measured, hw, model != nullptr ? *model : perf_model::builtin());
}

void annotate_hardware_choice(nlohmann::json& document, const analysis_plan& plan) {
    annotate_hardware_choice(document, hardware_choice{plan.hardware.get(), plan.matched_by, plan.warning});
}

} // namespace roofline
