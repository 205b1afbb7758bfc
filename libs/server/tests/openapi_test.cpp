// The OpenAPI document and the router agree: every served route is documented and every documented API
// route is served (the HTTP-level half of the check is in api_test.cpp).
#include "roofline/server/server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

using roofline::server::api_routes;
using roofline::server::openapi_document;

TEST(openapi, parses_and_names_a_version) {
    const auto doc = nlohmann::json::parse(openapi_document());
    EXPECT_EQ(doc["openapi"], "3.1.0"); // 3.1: components.schemas are JSON Schema 2020-12, generated from schemas/
    EXPECT_TRUE(doc["paths"].is_object());
}

TEST(openapi, every_route_is_documented_and_every_documented_route_is_served) {
    const auto doc = nlohmann::json::parse(openapi_document());
    for (const auto& r : api_routes()) {
        std::string method = r.method;
        std::transform(method.begin(), method.end(), method.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        EXPECT_TRUE(doc["paths"].contains(r.path) && doc["paths"][r.path].contains(method))
            << r.method << " " << r.path << " is served but not documented";
    }
    for (const auto& [path, item] : doc["paths"].items()) {
        if (path.rfind("/api/", 0) != 0) {
            continue; // "/" is the static web app
        }
        for (const auto& [method, op] : item.items()) {
            std::string upper = method;
            std::transform(upper.begin(), upper.end(), upper.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            const bool served = std::any_of(api_routes().begin(), api_routes().end(),
                                            [&](const auto& r) { return r.path == path && r.method == upper; });
            EXPECT_TRUE(served) << upper << " " << path << " is documented but not served";
        }
    }
}

TEST(openapi, every_reference_resolves) {
    const auto doc = nlohmann::json::parse(openapi_document());
    std::vector<std::string> refs;
    const std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& j) {
        if (j.is_object()) {
            for (const auto& [k, v] : j.items()) {
                if (k == "$ref" && v.is_string()) {
                    refs.push_back(v.get<std::string>());
                } else {
                    walk(v);
                }
            }
        } else if (j.is_array()) {
            for (const auto& v : j) {
                walk(v);
            }
        }
    };
    walk(doc);
    ASSERT_FALSE(refs.empty());
    for (const auto& ref : refs) {
        ASSERT_EQ(ref.rfind("#/", 0), 0U) << ref;
        EXPECT_TRUE(doc.contains(nlohmann::json::json_pointer(ref.substr(1)))) << ref << " does not resolve";
    }
}
