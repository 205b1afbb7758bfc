// roofline: GEMM roofline analysis from the command line. Errors are caught here, at the edge:
// bad usage exits 2 with a message naming the field, failures of libraries exit 1.
#include "cli_common.hpp"
#include "commands.hpp"
#include "local_backend.hpp"
#include "roofline/core/hardware.hpp"
#include "suggest.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"roofline — where a GEMM sits on your GPU's roofline, per precision"};
    app.set_version_flag("--version", std::string("roofline ") + ROOFLINE_VERSION + " (" +
                                          roofline::cli::gpu_code_summary() + ")");
    app.require_subcommand(1);
    roofline::cli::global_options global;
    app.add_option(
        "--hardware-dir", global.data_dir,
        "Load the hardware registry from this directory of *.json files instead of the built-in one "
        "(also $ROOFLINE_HARDWARE_DIR)");
    roofline::cli::add_analyze_command(app, global);
    roofline::cli::add_hardware_command(app, global);
    roofline::cli::add_worker_command(app, global);
    roofline::cli::add_ceilings_command(app, global);
    roofline::cli::add_serve_command(app, global);
    roofline::cli::add_calibrate_command(app, global);
    roofline::cli::add_model_command(app, global);
    roofline::cli::add_batch_command(app, global);
    roofline::cli::add_spot_command(app, global);
    roofline::cli::add_doctor_command(app, global);
    roofline::cli::add_runs_command(app, global);
    roofline::cli::add_fleet_command(app, global);
    roofline::cli::add_node_command(app, global);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // A typo reads as "A subcommand is required" or "arguments were not expected": name what was meant.
        const auto hint = e.get_exit_code() == 0 ? std::string() : roofline::cli::typo_hint(app, argc, argv);
        const int rc = app.exit(e);
        if (!hint.empty()) {
            std::cerr << "error: " << hint << '\n';
        }
        return rc == 0 ? 0 : 2;
    } catch (const roofline::cli::usage_error& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 2;
    } catch (const std::invalid_argument& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 2;
    } catch (const roofline::registry_error& e) {
        std::cerr << "error: hardware registry: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
