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
