#include "paths.hpp"

#include <cstdlib>
#include <string>

namespace roofline::cli {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::string(v) : std::string();
}

// The XDG rule every path here follows: an explicit override, else $<xdg_var>/<under>, else
// ~/<home_dir>/<under>.
std::filesystem::path xdg_path(const char* override_var, const char* xdg_var, const char* home_dir,
                               const std::filesystem::path& under) {
    if (const auto o = env(override_var); !o.empty()) {
        return o;
    }
    if (const auto x = env(xdg_var); !x.empty()) {
        return std::filesystem::path(x) / under;
    }
    if (const auto h = env("HOME"); !h.empty()) {
        return std::filesystem::path(h) / home_dir / under;
    }
    return {};
}

} // namespace

std::filesystem::path profile_dir() {
    return xdg_path("ROOFLINE_PROFILE_DIR", "XDG_CACHE_HOME", ".cache",
                    std::filesystem::path("roofline") / "profiles");
}

std::filesystem::path calibration_dir() {
    return xdg_path("ROOFLINE_CALIBRATION_DIR", "XDG_DATA_HOME", ".local/share",
                    std::filesystem::path("roofline") / "calibration");
}

std::filesystem::path algorithm_cache_dir() {
    return xdg_path("ROOFLINE_ALGO_CACHE_DIR", "XDG_CACHE_HOME", ".cache", "roofline");
}

std::filesystem::path runs_db_path() {
    const auto p = xdg_path("ROOFLINE_DB", "XDG_DATA_HOME", ".local/share",
                            std::filesystem::path("roofline") / "runs.db");
    return p.empty() ? std::filesystem::path("roofline-runs.db") : p;
}

} // namespace roofline::cli
