#include "roofline/server/server.hpp"

#include <string>
#include <utility>
#include <vector>

namespace roofline {
// Generated from libs/server/openapi.json by cmake/embed_files.cmake.
const std::vector<std::pair<std::string, std::string>>& openapi_files();
} // namespace roofline

namespace roofline::server {

const std::string& openapi_document() {
    static const std::string text = [] {
        for (const auto& [name, body] : openapi_files()) {
            if (name == "openapi.json") {
                return body;
            }
        }
        return std::string("{}");
    }();
    return text;
}

} // namespace roofline::server
