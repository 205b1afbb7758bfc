// The static route never leaves the web root, whatever the path looks like.
#include "roofline/server/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using roofline::server::static_files;

namespace {

struct web_tree {
    fs::path base;
    web_tree() {
        char tmpl[] = "/tmp/roofline_web_XXXXXX";
        base = mkdtemp(tmpl);
        fs::create_directories(base / "dist" / "assets");
        std::ofstream(base / "dist" / "index.html") << "<html>app</html>";
        std::ofstream(base / "dist" / "assets" / "app.js") << "console.log(1)";
        std::ofstream(base / "dist" / ".env") << "SECRET=1";
        std::ofstream(base / "secret.txt") << "top secret";
        fs::create_directories(base / "dist-evil");
        std::ofstream(base / "dist-evil" / "x.txt") << "evil";
        fs::create_symlink(base / "secret.txt", base / "dist" / "link.txt");
    }
    ~web_tree() { fs::remove_all(base); }
};

} // namespace

TEST(static_files, serves_files_under_the_root) {
    web_tree t;
    static_files s(t.base / "dist");
    ASSERT_TRUE(s.enabled());
    EXPECT_EQ(s.resolve("/")->filename(), "index.html");
    EXPECT_EQ(s.resolve("/assets/app.js")->filename(), "app.js");
    EXPECT_EQ(s.resolve("//assets//app.js")->filename(), "app.js");
    EXPECT_EQ(s.resolve("/runs/12")->filename(), "index.html") << "client-side routes get the app";
    EXPECT_FALSE(s.resolve("/assets/missing.js"));
    EXPECT_EQ(static_files::mime_type("a.js"), "text/javascript; charset=utf-8");
}

TEST(static_files, never_escapes) {
    web_tree t;
    static_files s(t.base / "dist");
    for (const char* p : {"/../secret.txt", "/assets/../../secret.txt", "/..", "/../dist-evil/x.txt", "/./index.html",
                          "/..\\secret.txt", "/.env", "/assets/..", "/link.txt"}) {
        const auto r = s.resolve(p);
        EXPECT_FALSE(r && r->filename() != "index.html") << p << " -> " << (r ? r->string() : "");
        if (r) {
            EXPECT_EQ(r->parent_path(), fs::canonical(t.base / "dist")) << p;
        }
    }
    EXPECT_FALSE(s.resolve(std::string("/index.html\0/../../secret.txt", 30)));
}

TEST(static_files, disabled_without_root) {
    static_files s("/nonexistent/roofline/web");
    EXPECT_FALSE(s.enabled());
    EXPECT_FALSE(s.resolve("/"));
}

// Issue 18: a binary two folders below a shared temporary folder served a web/dist/index.html that any local
// user could create there (six parent folders were searched).
TEST(default_web_root, never_searches_parent_folders) {
    web_tree t;
    fs::create_directories(t.base / "a" / "b");
    fs::create_directories(t.base / "web" / "dist");
    std::ofstream(t.base / "web" / "dist" / "index.html") << "<html>planted</html>";
    EXPECT_EQ(roofline::server::web_root_for(t.base / "a" / "b" / "roofline", {}), fs::path());
    EXPECT_EQ(roofline::server::web_root_for(t.base / "a" / "roofline", {}), fs::path());
    EXPECT_EQ(roofline::server::web_root_for(t.base / "roofline", {}), fs::path());
}

TEST(default_web_root, the_install_prefix_and_the_build_tree_when_only_this_user_can_write_them) {
    web_tree t;
    fs::create_directories(t.base / "bin");
    const auto installed = t.base / "share" / "roofline" / "web";
    fs::create_directories(installed);
    std::ofstream(installed / "index.html") << "<html>installed</html>";
    fs::permissions(installed, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    EXPECT_EQ(roofline::server::web_root_for(t.base / "bin" / "roofline", {}), installed);
    // The same folder writable by others is not trusted.
    fs::permissions(installed, fs::perms::others_write, fs::perm_options::add);
    EXPECT_EQ(roofline::server::web_root_for(t.base / "bin" / "roofline", {}), fs::path());
    // The source tree the binary was built from (fixed at build time).
    fs::create_directories(t.base / "src" / "web" / "dist");
    std::ofstream(t.base / "src" / "web" / "dist" / "index.html") << "<html>built</html>";
    fs::permissions(t.base / "src" / "web" / "dist", fs::perms::owner_all);
    EXPECT_EQ(roofline::server::web_root_for(t.base / "x" / "roofline", t.base / "src"), t.base / "src" / "web" / "dist");
}
