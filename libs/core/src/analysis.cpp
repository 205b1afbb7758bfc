#include "roofline/core/analysis.hpp"

#include "roofline/core/measured_profile.hpp"
#include "roofline/core/roofline_model.hpp"

namespace roofline {

std::string_view to_string(roof_source r) noexcept {
    return r == roof_source::datasheet ? "datasheet" : "measured";
}

default_hardware choose_default_hardware(const analysis_context& ctx) {
    const auto& registry = *ctx.registry;
    default_hardware out;
    if (!ctx.default_hardware_key.empty()) {
        out.entry = registry.find(ctx.default_hardware_key);
        if (out.entry == nullptr) {
            throw analysis_error("hardware_key", "unknown hardware '" +
                                                     ctx.default_hardware_key.substr(0, 64) +
                                                     "'; valid: " + registry.valid_keys());
        }
        return out;
    }
    if (ctx.device) {
        out.entry = registry.match_device(ctx.device->name, ctx.device->compute_capability);
        if (out.entry == nullptr) {
            out.note = "'" + ctx.device->name + "' (sm " + ctx.device->compute_capability +
                       ") is not in the hardware registry; roofs from h100-sxm";
            out.entry = registry.find("h100-sxm");
        }
    } else {
        out.entry = registry.find("b10");
    }
    if (out.entry == nullptr && !registry.entries().empty()) {
        out.entry = &registry.entries().front(); // a --hardware-dir without the usual entries
    }
    if (out.entry == nullptr) {
        throw analysis_error("hardware_key", "the hardware registry is empty");
    }
    return out;
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
        const auto* hw = named != nullptr ? named : choose_default_hardware(ctx).entry;
        // The registry outlives every plan (the CLI's run, the server's lifetime): no copy, no ownership.
        plan.hardware = std::shared_ptr<const hardware_entry>(std::shared_ptr<void>(), hw);
    }
    plan.problems = request.problems;
    plan.predicted.reserve(plan.problems.size());
    for (const auto& p : plan.problems) {
        plan.predicted.push_back(predict(*plan.hardware, p));
    }
    return plan;
}

void annotate(const hardware_entry& hw, analysis_point& measured) {
    measured.hardware_key = hw.key;
    measured.roof = estimate(hw, measured.problem, measured.traffic);
}

} // namespace roofline
