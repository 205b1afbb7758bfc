// The web app's built files (web/dist) served at "/", confined to their folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace roofline::server {

class static_files {
  public:
    // `root` empty or missing: nothing is served (resolve() answers nullopt).
    explicit static_files(const std::filesystem::path& root);

    [[nodiscard]] bool enabled() const noexcept { return !m_root.empty(); }
    [[nodiscard]] const std::filesystem::path& root() const noexcept { return m_root; }

    // The file a decoded URL path names, never outside the root: a "." or ".." segment, a backslash, a NUL
    // byte or a hidden (dot) segment is refused, and the resolved file (symlinks followed) must still lie under
    // the root. A directory serves its index.html; a path with no extension that names nothing serves the
    // root's index.html (client-side routes of the single-page app).
    [[nodiscard]] std::optional<std::filesystem::path> resolve(std::string_view url_path) const;

    [[nodiscard]] static std::string mime_type(const std::filesystem::path& file);

  private:
    std::filesystem::path m_root; // canonical
};

// The default web root: web/dist found by walking up from the executable's folder (build/<preset>/apps/roofline
// sits inside the repository), else the source tree this library was compiled from. Empty when neither has one.
[[nodiscard]] std::filesystem::path default_web_root();

} // namespace roofline::server
