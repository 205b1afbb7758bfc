#include "format.hpp"

#include <cstdio>

namespace roofline::cuda {

std::string format_bytes(double b) {
    char buf[64];
    if (b >= 1024.0 * 1024 * 1024 * 1024) {
        std::snprintf(buf, sizeof buf, "%.2f TiB", b / (1024.0 * 1024 * 1024 * 1024));
    } else if (b >= 1024.0 * 1024 * 1024) {
        std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
    }
    return buf;
}

std::string format_number(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
}

std::string join(const std::vector<std::string>& parts) {
    std::string s;
    for (const auto& x : parts) {
        s += (s.empty() ? "" : ",") + x;
    }
    return s;
}

} // namespace roofline::cuda
