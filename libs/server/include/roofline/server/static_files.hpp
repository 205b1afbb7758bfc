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

// The web root when --web-root is not given: PREFIX/share/roofline/web for an installed PREFIX/bin/roofline,
// else web/dist of the source tree the binary was built from; each only when it is a real folder owned by
// this user and writable by no one else. No parent folder of the executable is searched (issue 18: a binary
// below a shared temporary folder would serve a page any local user planted there). Empty when neither holds.
[[nodiscard]] std::filesystem::path web_root_for(const std::filesystem::path& executable,
                                                 const std::filesystem::path& source_dir);
[[nodiscard]] std::filesystem::path default_web_root();

} // namespace roofline::server
