// Each subcommand registers itself on the CLI11 app and runs from its callback.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace roofline::cli {

struct global_options {
    std::string data_dir; // --hardware-dir: registry files instead of the built-in ones
};

void add_analyze_command(CLI::App& app, const global_options& global);
void add_hardware_command(CLI::App& app, const global_options& global);
void add_worker_command(CLI::App& app, const global_options& global);    // worker_command.cpp (GPU engine)
void add_ceilings_command(CLI::App& app, const global_options& global);  // ceilings_command.cpp (telemetry)
void add_serve_command(CLI::App& app, const global_options& global);     // serve_command.cpp (server)
void add_calibrate_command(CLI::App& app, const global_options& global); // calibrate_command.cpp
void add_model_command(CLI::App& app, const global_options& global);     // model_command.cpp
void add_batch_command(CLI::App& app, const global_options& global);     // batch_command.cpp
void add_spot_command(CLI::App& app, const global_options& global);      // spot_command.cpp
void add_doctor_command(CLI::App& app, const global_options& global);    // doctor_command.cpp
void add_runs_command(CLI::App& app, const global_options& global);      // runs_command.cpp (store)
void add_fleet_command(CLI::App& app, const global_options& global);     // fleet_command.cpp (Slurm + store)
void add_node_command(CLI::App& app, const global_options& global); // node_command.cpp (the GPUs of a node)

} // namespace roofline::cli
