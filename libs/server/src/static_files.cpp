#include "roofline/server/static_files.hpp"

#include <algorithm>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace roofline::server {

namespace fs = std::filesystem;

namespace {

// True when `p` is `root` or lies under it (both canonical), compared component by component so that
// "/srv/dist-evil" is not taken for a child of "/srv/dist".
bool within(const fs::path& root, const fs::path& p) {
    auto r = root.begin();
    auto q = p.begin();
    for (; r != root.end(); ++r, ++q) {
        if (q == p.end() || *r != *q) {
            return false;
        }
    }
    return true;
}

std::optional<fs::path> regular_under(const fs::path& root, const fs::path& candidate) {
    std::error_code ec;
    auto real = fs::canonical(candidate, ec);
    if (ec) {
        return std::nullopt;
    }
    if (fs::is_directory(real, ec)) {
        real = fs::canonical(real / "index.html", ec);
        if (ec) {
            return std::nullopt;
        }
    }
    if (!within(root, real) || !fs::is_regular_file(real, ec)) {
        return std::nullopt;
    }
    return real;
}

} // namespace

static_files::static_files(const fs::path& root) {
    std::error_code ec;
    if (!root.empty() && fs::is_directory(root, ec)) {
        m_root = fs::canonical(root, ec);
        if (ec) {
            m_root.clear();
        }
    }
}

std::optional<fs::path> static_files::resolve(std::string_view url_path) const {
    if (m_root.empty() || url_path.find('\0') != std::string_view::npos ||
        url_path.find('\\') != std::string_view::npos) {
        return std::nullopt;
    }
    fs::path rel;
    std::size_t start = 0;
    std::string_view last;
    while (start <= url_path.size()) {
        auto end = url_path.find('/', start);
        if (end == std::string_view::npos) {
            end = url_path.size();
        }
        const auto seg = url_path.substr(start, end - start);
        start = end + 1;
        if (seg.empty()) {
            continue;
        }
        if (seg.front() == '.') { // ".", "..", and hidden files such as .env
            return std::nullopt;
        }
        rel /= std::string(seg);
        last = seg;
    }
    if (auto hit = regular_under(m_root, m_root / rel)) {
        return hit;
    }
    if (last.find('.') == std::string_view::npos) {
        return regular_under(m_root, m_root / "index.html");
    }
    return std::nullopt;
}

std::string static_files::mime_type(const fs::path& file) {
    static const std::pair<const char*, const char*> types[] = {{".html", "text/html; charset=utf-8"},
                                                                {".js", "text/javascript; charset=utf-8"},
                                                                {".mjs", "text/javascript; charset=utf-8"},
                                                                {".css", "text/css; charset=utf-8"},
                                                                {".json", "application/json"},
                                                                {".svg", "image/svg+xml"},
                                                                {".png", "image/png"},
                                                                {".jpg", "image/jpeg"},
                                                                {".ico", "image/x-icon"},
                                                                {".woff2", "font/woff2"},
                                                                {".woff", "font/woff"},
                                                                {".txt", "text/plain; charset=utf-8"},
                                                                {".map", "application/json"},
                                                                {".wasm", "application/wasm"},
                                                                {".webp", "image/webp"}};
    const auto ext = file.extension().string();
    for (const auto& [e, t] : types) {
        if (ext == e) {
            return t;
        }
    }
    return "application/octet-stream";
}

namespace {

// A folder a web root may be taken from without being named: a real directory (not a link) holding
// index.html, both owned by this user and writable by nobody else. A folder other users can write to could
// hold a planted page whose same-origin script drives the API.
bool trusted_web_root(const fs::path& dir) {
    struct stat d {};
    struct stat f {};
    if (lstat(dir.c_str(), &d) != 0 || !S_ISDIR(d.st_mode) || lstat((dir / "index.html").c_str(), &f) != 0 ||
        !S_ISREG(f.st_mode)) {
        return false;
    }
    const auto uid = geteuid();
    const auto others_write = static_cast<mode_t>(S_IWGRP | S_IWOTH);
    return d.st_uid == uid && f.st_uid == uid && (d.st_mode & others_write) == 0 &&
           (f.st_mode & others_write) == 0;
}

} // namespace

fs::path web_root_for(const fs::path& executable, const fs::path& source_dir) {
    // The install layout: PREFIX/bin/roofline serves PREFIX/share/roofline/web (cmake --install puts it
    // there). One fixed place next to the binary, never a search upwards.
    if (executable.parent_path().filename() == "bin") {
        const auto installed = executable.parent_path().parent_path() / "share" / "roofline" / "web";
        if (trusted_web_root(installed)) {
            return installed;
        }
    }
    // A build in a checkout: the web/dist of the source tree it was configured from (fixed at build time).
    if (!source_dir.empty() && trusted_web_root(source_dir / "web" / "dist")) {
        return source_dir / "web" / "dist";
    }
    return {};
}

fs::path default_web_root() {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    return web_root_for(ec ? fs::path() : exe, ROOFLINE_SERVER_SOURCE_DIR);
}

} // namespace roofline::server
