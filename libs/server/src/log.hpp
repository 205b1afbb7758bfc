// One line per event on stderr with a UTC timestamp; lines from different threads never interleave.
#pragma once

#include <string_view>

namespace roofline::server {

void log_line(std::string_view text);

} // namespace roofline::server
