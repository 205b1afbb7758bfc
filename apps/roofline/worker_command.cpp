// Placeholder until the part that owns this subcommand lands; it says so instead of pretending.
#include "commands.hpp"

#include <stdexcept>

namespace roofline::cli {

void add_worker_command(CLI::App& app, const global_options& /*global*/) {
    auto* cmd = app.add_subcommand("worker", "(not available in this build yet)");
    cmd->group("");
    cmd->callback([] { throw std::runtime_error("'roofline worker' is not implemented in this build yet"); });
}

} // namespace roofline::cli
