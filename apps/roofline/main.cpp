// roofline: GEMM roofline analysis from the command line. Errors are caught here, at the edge:
// bad usage exits 2 with a message naming the field, failures of libraries exit 1.
#include "cli_common.hpp"
#include "commands.hpp"
#include "roofline/core/hardware.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"roofline — where a GEMM sits on your GPU's roofline, per precision"};
    app.set_version_flag("--version", std::string("roofline ") + ROOFLINE_VERSION);
    app.require_subcommand(1);
    roofline::cli::global_options global;
    app.add_option("--hardware-dir", global.data_dir,
                   "Load the hardware registry from this directory of *.json files instead of the built-in one "
                   "(also $ROOFLINE_HARDWARE_DIR)");
    roofline::cli::add_analyze_command(app, global);
    roofline::cli::add_hardware_command(app, global);
    roofline::cli::add_worker_command(app, global);
    roofline::cli::add_ceilings_command(app, global);
    roofline::cli::add_serve_command(app, global);
    roofline::cli::add_calibrate_command(app, global);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
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
