#include "workload_cli.hpp"

#include "cli_common.hpp"
#include "local_backend.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <unistd.h>

namespace roofline::cli {

gpu_context open_gpu_context(const hardware_registry& registry, const std::string& hardware_key,
                             bool predict_only, std::string_view fallback_key) {
    gpu_context g;
    g.why_no_gpu = "--predict-only";
    if (!predict_only) {
        g.backend = make_local_backend(g.why_no_gpu);
    }
    if (!hardware_key.empty()) {
        g.hw = &registry.at(hardware_key, "--hardware");
    } else if (g.backend) {
        const auto dev = g.backend->device();
        g.hw = registry.match_device(dev.name, dev.compute_capability);
        if (g.hw == nullptr) {
            std::cerr << "note: '" << dev.name << "' (sm " << dev.compute_capability
                      << ") is not in the registry; roofs from h100-sxm. Pass --hardware KEY to choose.\n";
            g.hw = &registry.at("h100-sxm");
        }
    }
    if (g.hw == nullptr) {
        g.hw = &registry.at(fallback_key);
    }
    return g;
}

double parse_duration(std::string_view text, std::string_view field) {
    std::string s(text);
    double scale = 1.0;
    auto strip = [&](std::string_view suffix, double f) {
        if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
            s.resize(s.size() - suffix.size());
            scale = f;
            return true;
        }
        return false;
    };
    (void)(strip("ns", 1e-9) || strip("us", 1e-6) || strip("µs", 1e-6) || strip("ms", 1e-3) ||
           strip("s", 1.0));
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v <= 0) {
        throw usage_error(std::string(field) +
                          " must be a positive time such as 12.5us, 1.2ms or 3e-5 (got '" +
                          std::string(text) + "')");
    }
    return v * scale;
}

progress_line::progress_line(std::size_t total) : m_total(total), m_tty(isatty(STDERR_FILENO) == 1) {}

progress_line::~progress_line() {
    if (m_tty) {
        std::cerr << "\r\033[K" << std::flush;
    }
}

void progress_line::step(std::size_t done, std::string_view label) {
    if (!m_tty || m_total == 0) {
        return;
    }
    constexpr std::size_t width = 30;
    const auto filled = done * width / m_total;
    std::cerr << "\r\033[K[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done
              << '/' << m_total << ' ' << label.substr(0, 60) << std::flush;
}

std::string read_input(const std::string& path, std::string_view field) {
    if (path == "-") {
        return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw usage_error(std::string(field) + ": cannot read '" + path + "'");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace roofline::cli
