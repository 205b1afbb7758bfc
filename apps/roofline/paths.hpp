// Where the tool keeps its files on this machine, read from the environment here and nowhere else: the
// libraries are given paths (server_config::db_path and ::profile_dir, analysis_context::profile_dir, ...).
#pragma once

#include <filesystem>

namespace roofline::cli {

// `roofline ceilings` profiles: $ROOFLINE_PROFILE_DIR, else $XDG_CACHE_HOME/roofline/profiles, else
// ~/.cache/roofline/profiles; empty when none of those is set.
[[nodiscard]] std::filesystem::path profile_dir();

// User calibration profiles (`roofline calibrate --save`): $ROOFLINE_CALIBRATION_DIR, else
// $XDG_DATA_HOME/roofline/calibration, else ~/.local/share/roofline/calibration; empty when none is set.
[[nodiscard]] std::filesystem::path calibration_dir();

// The engine's cuBLASLt algorithm cache: $XDG_CACHE_HOME/roofline, else ~/.cache/roofline; empty when neither
// is set (choices are then kept in memory for the process only).
[[nodiscard]] std::filesystem::path algorithm_cache_dir();

// The run database: $ROOFLINE_DB, else $XDG_DATA_HOME/roofline/runs.db, else ~/.local/share/roofline/runs.db,
// else roofline-runs.db in the working directory.
[[nodiscard]] std::filesystem::path runs_db_path();

} // namespace roofline::cli
