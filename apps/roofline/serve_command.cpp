// Placeholder until the part that owns this subcommand lands; it says so instead of pretending.
#include "commands.hpp"

#include <stdexcept>

namespace roofline::cli {

void add_serve_command(CLI::App& app, const global_options& /*global*/) {
    auto* cmd = app.add_subcommand("serve", "(not available in this build yet)");
    cmd->group("");
    cmd->callback([] { throw std::runtime_error("'roofline serve' is not implemented in this build yet"); });
}

} // namespace roofline::cli
