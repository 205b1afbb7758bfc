// Placeholder until the part that owns this subcommand lands; it says so instead of pretending.
#include "commands.hpp"

#include <stdexcept>

namespace roofline::cli {

void add_ceilings_command(CLI::App& app, const global_options& /*global*/) {
    auto* cmd = app.add_subcommand("ceilings", "(not available in this build yet)");
    cmd->group("");
    cmd->callback([] { throw std::runtime_error("'roofline ceilings' is not implemented in this build yet"); });
}

} // namespace roofline::cli
