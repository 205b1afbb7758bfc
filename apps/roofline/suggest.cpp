#include "suggest.hpp"

#include <algorithm>
#include <numeric>

namespace roofline::cli {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment: Levenshtein plus adjacent transpositions, over three rows.
    std::vector<std::size_t> prev2(b.size() + 1);
    std::vector<std::size_t> prev(b.size() + 1);
    std::vector<std::size_t> cur(b.size() + 1);
    std::iota(prev.begin(), prev.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
            }
        }
        prev2 = prev;
        prev = cur;
    }
    return prev[b.size()];
}

std::string nearest(std::string_view typed, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = 0;
    for (const auto& c : candidates) {
        const auto d = edit_distance(typed, c);
        if (best.empty() || d < best_d) {
            best = c;
            best_d = d;
        }
    }
    // A typo is a few edits, fewer than a third of the word: "analyse" -> "analyze", not "x" -> "serve".
    const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, typed.size() / 3));
    return !best.empty() && best_d <= limit ? best : std::string();
}

namespace {

std::string command_path(const CLI::App& app) {
    std::string path;
    for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
        path = a->get_parent() == nullptr ? "roofline" + path : " " + a->get_name() + path;
    }
    return path;
}

const CLI::Option* long_option(const CLI::App& app, std::string_view name) {
    for (const auto* o : app.get_options()) {
        const auto& names = o->get_lnames();
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            return o;
        }
    }
    return nullptr;
}

} // namespace

std::string typo_hint(const CLI::App& app, int argc, const char* const* argv) {
    const CLI::App* cur = &app;
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (word == "--") {
            return {};
        }
        if (word.starts_with("--")) {
            const auto name =
                word.substr(2, word.find('=') == std::string_view::npos ? word.npos : word.find('=') - 2);
            const auto* opt = long_option(*cur, name);
            if (opt == nullptr) {
                std::vector<std::string> names{"help"};
                for (const auto* o : cur->get_options()) {
                    names.insert(names.end(), o->get_lnames().begin(), o->get_lnames().end());
                }
                const auto near = nearest(name, names);
                return "unknown option '--" + std::string(name) + "' for '" + command_path(*cur) + "'" +
                       (near.empty() ? "" : "; did you mean '--" + near + "'?");
            }
            if (opt->get_items_expected_min() > 0 && word.find('=') == std::string_view::npos) {
                ++i; // its value
            }
            continue;
        }
        if (word.starts_with("-")) {
            continue; // short options and negative numbers: CLI11 judges those
        }
        std::vector<std::string> subs;
        for (const auto* s : cur->get_subcommands([](const CLI::App*) { return true; })) {
            subs.push_back(s->get_name());
        }
        if (std::find(subs.begin(), subs.end(), word) != subs.end()) {
            cur = cur->get_subcommand(std::string(word));
            continue;
        }
        const bool takes_positionals =
            !cur->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
        if (!subs.empty() && !takes_positionals) {
            const auto near = nearest(word, subs);
            return "unknown command '" + std::string(word) + "' for '" + command_path(*cur) + "'" +
                   (near.empty() ? "; " + command_path(*cur) + " --help lists them"
                                 : "; did you mean '" + command_path(*cur) + " " + near + "'?");
        }
    }
    return {};
}

} // namespace roofline::cli
