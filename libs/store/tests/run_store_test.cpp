// The run store: round trips, filters, the migration path, group commit under concurrency and kill -9.
#include "roofline/store/run_store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using roofline::store::new_run;
using roofline::store::run_filter;
using roofline::store::run_store;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        char tmpl[] = "/tmp/roofline_store_XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~temp_dir() { fs::remove_all(path); }
};

new_run sample_run(const std::string& precision, const std::string& source, const std::string& hw = "b10") {
    new_run r;
    r.m = 4096;
    r.n = 4096;
    r.k = 4096;
    r.precisions = {precision};
    r.hardware_key = hw;
    r.backend = source == "measured" ? "gpu" : "prediction-only";
    r.tool_version = "test";
    r.schema_version = 1;
    r.points = {{precision, "predicted", "passed", 1e-3}};
    if (source == "measured") {
        r.points.push_back({precision, "measured", "passed", 2e-3});
    }
    r.answer_json = nlohmann::json{{"predicted", {{{"precision", precision}, {"source", "predicted"}}}}}.dump();
    return r;
}

} // namespace

TEST(run_store, insert_get_list_remove) {
    temp_dir dir;
    auto store = run_store::open(dir.path / "runs.db");
    EXPECT_EQ(store->schema_version(), roofline::store::current_schema_version);
    const auto a = store->insert(sample_run("FP16", "predicted"));
    const auto b = store->insert(sample_run("INT8", "measured", "h100-sxm"));
    const auto c = store->insert(sample_run("FP16", "measured", "h100-sxm"));
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_EQ(store->count(), 3U);

    const auto rec = store->get(b);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->summary.hardware_key, "h100-sxm");
    EXPECT_EQ(rec->summary.precisions, std::vector<std::string>{"INT8"});
    EXPECT_EQ(rec->summary.point_count, 2U);
    EXPECT_EQ(rec->summary.created_at.size(), 24U) << rec->summary.created_at; // 2026-02-14T10:11:12.345Z
    EXPECT_EQ(nlohmann::json::parse(rec->answer_json)["predicted"][0]["precision"], "INT8");

    run_filter f;
    auto page = store->list(f);
    ASSERT_EQ(page.runs.size(), 3U);
    EXPECT_EQ(page.runs[0].id, c); // newest first
    f.hardware_key = "H100-SXM";   // case-insensitive
    EXPECT_EQ(store->list(f).total, 2U);
    f.precision = "fp16";
    page = store->list(f);
    ASSERT_EQ(page.total, 1U);
    EXPECT_EQ(page.runs[0].id, c);
    f = {};
    f.source = "measured";
    EXPECT_EQ(store->list(f).total, 2U);
    f = {};
    f.limit = 1;
    f.offset = 1;
    page = store->list(f);
    EXPECT_EQ(page.total, 3U);
    ASSERT_EQ(page.runs.size(), 1U);
    EXPECT_EQ(page.runs[0].id, b);

    EXPECT_TRUE(store->remove(b));
    EXPECT_FALSE(store->remove(b));
    EXPECT_FALSE(store->get(b));
    EXPECT_EQ(store->count(), 2U);
    f = {};
    f.precision = "INT8";
    EXPECT_EQ(store->list(f).total, 0U) << "points of a deleted run must go with it";
    // AUTOINCREMENT: an id is never handed out twice, even after a delete.
    EXPECT_GT(store->insert(sample_run("FP16", "predicted")), c);
}

TEST(run_store, hardware_is_stored_once_and_put_back) {
    temp_dir dir;
    auto store = run_store::open(dir.path / "runs.db");
    const std::string roofs = R"({"key":"b10","roofs":[{"precision":"FP16"}]})";
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 3; ++i) {
        auto r = sample_run("FP16", "predicted");
        r.answer_json = R"({"run":)" + std::to_string(i) + "}";
        r.hardware_json = roofs;
        ids.push_back(store->insert(std::move(r)));
    }
    auto empty = sample_run("FP16", "predicted");
    empty.answer_json = "{}";
    empty.hardware_json = roofs;
    ids.push_back(store->insert(std::move(empty)));
    for (int i = 0; i < 3; ++i) {
        const auto a = nlohmann::json::parse(store->get(ids[static_cast<std::size_t>(i)])->answer_json);
        EXPECT_EQ(a["run"], i);
        EXPECT_EQ(a["hardware"], nlohmann::json::parse(roofs));
    }
    EXPECT_EQ(nlohmann::json::parse(store->get(ids[3])->answer_json),
              nlohmann::json::parse(R"({"hardware":)" + roofs + "}"));
    EXPECT_EQ(store->records({}).size(), 4U);
    EXPECT_EQ(nlohmann::json::parse(store->records({}).back().answer_json)["hardware"]["key"], "b10");
    store.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path / "runs.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM hardware_snapshots", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), 1) << "one snapshot for four runs";
    sqlite3_finalize(st);
    sqlite3_close(db);
}

// Under steady writes the WAL must be folded into the database and restart, not grow for ever (a statement
// left open on the writer, or a checkpoint that never completes, would let it).
TEST(run_store, wal_stays_bounded_under_steady_writes) {
    temp_dir dir;
    const auto file = dir.path / "runs.db";
    auto store = run_store::open(file);
    std::vector<std::future<std::int64_t>> inflight;
    const std::string roofs = "{\"roofs\":\"" + std::string(3000, 'r') + "\"}";
    for (int i = 0; i < 40000; ++i) { // about 100 MiB of answers
        auto r = sample_run("FP16", "predicted");
        r.answer_json = "{\"pad\":\"" + std::string(2500, 'a') + "\"}";
        r.hardware_json = roofs;
        inflight.push_back(store->submit(std::move(r)));
        if (inflight.size() == 64) {
            for (auto& f : inflight) {
                (void)f.get();
            }
            inflight.clear();
        }
    }
    for (auto& f : inflight) {
        (void)f.get();
    }
    EXPECT_GT(fs::file_size(file), 50U * 1024 * 1024) << "checkpoints must copy the WAL into the database";
    EXPECT_LE(fs::file_size(fs::path(file.string() + "-wal")), 80U * 1024 * 1024) << "the WAL must restart";
}

TEST(run_store, survives_reopen) {
    temp_dir dir;
    std::int64_t id = 0;
    {
        auto store = run_store::open(dir.path / "runs.db");
        id = store->insert(sample_run("BF16", "predicted"));
    }
    auto store = run_store::open(dir.path / "runs.db");
    ASSERT_TRUE(store->get(id));
    EXPECT_EQ(store->get(id)->summary.precisions[0], "BF16");
}

TEST(run_store, group_commit_under_concurrency) {
    temp_dir dir;
    auto store = run_store::open(dir.path / "runs.db");
    constexpr int threads = 8;
    constexpr int per_thread = 250;
    std::vector<std::vector<std::int64_t>> ids(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                ids[static_cast<std::size_t>(t)].push_back(store->insert(sample_run("FP16", "predicted")));
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    std::set<std::int64_t> all;
    for (const auto& v : ids) {
        all.insert(v.begin(), v.end());
    }
    EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
    EXPECT_EQ(store->count(), static_cast<std::size_t>(threads * per_thread));
}

TEST(run_store, migrates_a_version_1_database) {
    temp_dir dir;
    const auto file = (dir.path / "v1.db").string();
    {
        // A database as version 1 of the tool wrote it: runs only, no per-point index.
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
        const char* v1 = R"sql(
            PRAGMA journal_mode = WAL;
            CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, m INTEGER NOT NULL,
                n INTEGER NOT NULL, k INTEGER NOT NULL, precisions TEXT NOT NULL, hardware_key TEXT NOT NULL,
                backend TEXT NOT NULL, device_name TEXT NOT NULL DEFAULT '', device_uuid TEXT NOT NULL DEFAULT '',
                driver_version TEXT NOT NULL DEFAULT '', sm_clock_mhz REAL, tool_version TEXT NOT NULL,
                schema_version INTEGER NOT NULL, point_count INTEGER NOT NULL, answer TEXT NOT NULL);
            CREATE INDEX runs_by_hardware ON runs (hardware_key, id);
            INSERT INTO runs (created_at, m, n, k, precisions, hardware_key, backend, tool_version, schema_version,
                point_count, answer) VALUES ('2026-01-01T00:00:00.000Z', 1, 4096, 4096, '["INT4"]', 'b10',
                'gpu', '0.0.9', 1, 2,
                '{"measured":[{"precision":"INT4","source":"measured","disposition":"failed","time_s":null}],
                  "predicted":[{"precision":"INT4","source":"predicted","disposition":"passed","time_s":0.5}]}');
            PRAGMA user_version = 1;
        )sql";
        ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        sqlite3_close(db);
    }
    auto store = run_store::open(file);
    EXPECT_EQ(store->schema_version(), roofline::store::current_schema_version);
    ASSERT_EQ(store->count(), 1U) << "a migration must keep every stored run";
    EXPECT_EQ(nlohmann::json::parse(store->get(1)->answer_json)["predicted"][0]["time_s"], 0.5)
        << "a version-1 answer reads back as it was written";
    run_filter f;
    f.precision = "INT4";
    f.source = "measured";
    EXPECT_EQ(store->list(f).total, 1U) << "version 2 backfills the point index from stored answers";
    f.source = "predicted";
    EXPECT_EQ(store->list(f).total, 1U);
    EXPECT_EQ(store->insert(sample_run("FP16", "predicted")), 2);
}

TEST(run_store, refuses_a_newer_schema) {
    temp_dir dir;
    const auto file = (dir.path / "future.db").string();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    try {
        (void)run_store::open(file);
        FAIL() << "opened a database of schema 99";
    } catch (const roofline::store::store_error& e) {
        EXPECT_NE(std::string(e.what()).find("newer than this tool"), std::string::npos) << e.what();
    }
}

TEST(run_store, not_a_database_is_an_error_not_a_crash) {
    temp_dir dir;
    const auto file = dir.path / "junk.db";
    {
        std::FILE* f = std::fopen(file.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        const std::string junk(8192, 'x');
        std::fwrite(junk.data(), 1, junk.size(), f);
        std::fclose(f);
    }
    EXPECT_THROW((void)run_store::open(file), roofline::store::store_error);
}

// A child process writes runs as fast as it can and reports each id after its commit; the parent kills it with
// SIGKILL mid-stream. Every reported id must be readable afterwards and the file must pass integrity_check.
TEST(run_store, kill_9_loses_no_committed_run) {
    temp_dir dir;
    const auto file = dir.path / "kill.db";
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(fds[0]);
        auto store = run_store::open(file);
        std::vector<std::future<std::int64_t>> inflight;
        for (;;) {
            for (int i = 0; i < 64; ++i) {
                inflight.push_back(store->submit(sample_run("FP16", "predicted")));
            }
            for (auto& f : inflight) {
                const std::int64_t id = f.get();
                if (write(fds[1], &id, sizeof id) != sizeof id) {
                    _exit(3);
                }
            }
            inflight.clear();
        }
    }
    close(fds[1]);
    std::vector<std::int64_t> committed;
    std::int64_t id = 0;
    while (committed.size() < 3000 && read(fds[0], &id, sizeof id) == sizeof id) {
        committed.push_back(id);
    }
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    while (read(fds[0], &id, sizeof id) == sizeof id) {
        committed.push_back(id);
    }
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer should have been killed mid-stream";
    ASSERT_GE(committed.size(), 3000U);

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);

    auto store = run_store::open(file);
    for (const auto committed_id : committed) {
        ASSERT_TRUE(store->get(committed_id)) << "committed run " << committed_id << " was lost";
    }
    EXPECT_GE(store->count(), committed.size());
}
