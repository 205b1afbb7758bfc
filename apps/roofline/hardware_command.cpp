#include "cli_common.hpp"
#include "commands.hpp"
#include "roofline/core/report.hpp"

#include <iostream>
#include <memory>

namespace roofline::cli {

void add_hardware_command(CLI::App& app, const global_options& global) {
    auto* hw = app.add_subcommand("hardware", "The GPU registry: datasheet figures with their sources");
    hw->require_subcommand(1);
    auto format = std::make_shared<std::string>("table");

    auto* list = hw->add_subcommand("list", "List every GPU in the registry");
    list->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    list->callback([&global, format] {
        const auto reg = load_registry(global.data_dir);
        if (parse_format(*format) == output_format::json) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& e : reg.entries()) {
                arr.push_back(to_json(e));
            }
            std::cout << nlohmann::json{{"schema_version", report_schema_version}, {"hardware", arr}}.dump(2)
                      << '\n';
        } else {
            std::cout << hardware_table(reg.entries());
        }
    });

    auto key = std::make_shared<std::string>();
    auto* show = hw->add_subcommand("show", "Every figure of one GPU, with sources and ridge points");
    show->add_option("key", *key, "Registry key or alias (e.g. h100-sxm, b10, gb10)")->required();
    show->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    show->callback([&global, format, key] {
        const auto reg = load_registry(global.data_dir);
        const auto& e = reg.at(*key, "KEY");
        if (parse_format(*format) == output_format::json) {
            std::cout << to_json(e).dump(2) << '\n';
        } else {
            std::cout << hardware_detail(e);
        }
    });
}

} // namespace roofline::cli
