// "Did you mean": the nearest subcommand or option to a mistyped one (`roofline analyse`, `hardware shwo`,
// `--formt`), for the message CLI11 prints on a parse error.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace roofline::cli {

// Edit distance counting an adjacent transposition as one edit ("shwo" is one from "show").
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `typed`, or "" when none is close enough to be a typo of it.
[[nodiscard]] std::string nearest(std::string_view typed, const std::vector<std::string>& candidates);

// Walks the command line as CLI11 would and, at the first word that names no subcommand or option where one
// is expected, says which was probably meant: "unknown command 'analyse'; did you mean 'roofline analyze'?".
// Empty when every word is known.
[[nodiscard]] std::string typo_hint(const CLI::App& app, int argc, const char* const* argv);

} // namespace roofline::cli
