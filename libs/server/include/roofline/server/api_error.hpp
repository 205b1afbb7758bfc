// The one error type handlers throw for bad input or unavailable services; the error boundary turns it into
// {"error": {"code", "message", "field"}} with its HTTP status. Anything else that escapes a handler is a bug
// (500), never the client's fault.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace roofline::server {

class api_error : public std::runtime_error {
  public:
    api_error(int status, std::string code, const std::string& message, std::string field = {})
        : std::runtime_error(message), m_status(status), m_code(std::move(code)), m_field(std::move(field)) {}

    [[nodiscard]] int status() const noexcept { return m_status; }
    [[nodiscard]] const std::string& code() const noexcept { return m_code; }
    [[nodiscard]] const std::string& field() const noexcept { return m_field; }
    [[nodiscard]] std::optional<int> retry_after_s() const noexcept { return m_retry_after_s; }
    api_error& with_retry_after(int seconds) {
        m_retry_after_s = seconds;
        return *this;
    }
    // The field at fault is named by the empty string (a body such as {"": 1}): `field` is "" rather than null.
    [[nodiscard]] bool names_empty_field() const noexcept { return m_empty_field; }
    api_error& with_empty_field_name() {
        m_empty_field = true;
        return *this;
    }

  private:
    int m_status;
    std::string m_code;
    std::string m_field;
    std::optional<int> m_retry_after_s;
    bool m_empty_field = false;
};

// 400: the request is malformed (not JSON, bad percent-encoding, ...).
[[nodiscard]] inline api_error bad_request(const std::string& message, std::string field = {}) {
    return {400, "bad_request", message, std::move(field)};
}
// 422: well-formed, but a value is invalid; `field` names it.
[[nodiscard]] inline api_error invalid_value(std::string field, const std::string& message) {
    return {422, "invalid_value", message, std::move(field)};
}
[[nodiscard]] inline api_error not_found(const std::string& message, std::string field = {}) {
    return {404, "not_found", message, std::move(field)};
}

} // namespace roofline::server
