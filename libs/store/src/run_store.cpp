#include "roofline/store/run_store.hpp"

#include "sqlite.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <variant>

namespace roofline::store {
namespace {

using json = nlohmann::json;

// Migration N takes a database at version N−1 to version N. Each runs in its own transaction together with
// the user_version bump, so a crash mid-migration leaves the previous version intact.
void migrate_to_1(const sql::database& db) {
    db.exec(R"sql(
        CREATE TABLE runs (
            id             INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: a deleted id is never reused
            created_at     TEXT    NOT NULL,                  -- UTC ISO 8601, milliseconds
            m              INTEGER NOT NULL,
            n              INTEGER NOT NULL,
            k              INTEGER NOT NULL,
            precisions     TEXT    NOT NULL,                  -- JSON array of precision names
            hardware_key   TEXT    NOT NULL,
            backend        TEXT    NOT NULL,                  -- gpu | prediction-only
            device_name    TEXT    NOT NULL DEFAULT '',
            device_uuid    TEXT    NOT NULL DEFAULT '',
            driver_version TEXT    NOT NULL DEFAULT '',
            sm_clock_mhz   REAL,
            tool_version   TEXT    NOT NULL,
            schema_version INTEGER NOT NULL,                  -- of the answer document
            point_count    INTEGER NOT NULL,
            answer         TEXT    NOT NULL                   -- the analyze answer (JSON), without run_id
        );
        CREATE INDEX runs_by_hardware ON runs (hardware_key, id);
    )sql",
            "migration 1");
}

// Version 2 indexes every point of a run so history can be filtered by precision and source without parsing
// answers; existing runs are backfilled from their stored answers.
void migrate_to_2(const sql::database& db) {
    db.exec(R"sql(
        CREATE TABLE run_points (
            run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            idx         INTEGER NOT NULL,
            precision   TEXT    NOT NULL,
            source      TEXT    NOT NULL,
            disposition TEXT    NOT NULL,
            time_s      REAL,
            PRIMARY KEY (run_id, idx)
        ) WITHOUT ROWID;
        CREATE INDEX run_points_by_precision ON run_points (precision COLLATE NOCASE, source, run_id);
        CREATE INDEX run_points_by_source ON run_points (source, run_id);
        -- The answer's "hardware" member (the roofs: about 70% of an answer) is the same for every run on one
        -- registry entry: stored once here and spliced back when a run is read. Runs of version 1 keep theirs
        -- inline (hardware_id NULL).
        CREATE TABLE hardware_snapshots (
            id           INTEGER PRIMARY KEY,
            hardware_key TEXT NOT NULL,
            roofs        TEXT NOT NULL UNIQUE
        );
        ALTER TABLE runs ADD COLUMN hardware_id INTEGER REFERENCES hardware_snapshots (id);
    )sql",
            "migration 2");
    sql::statement select(db, "SELECT id, answer FROM runs");
    sql::statement insert(db, "INSERT INTO run_points (run_id, idx, precision, source, disposition, time_s) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    while (select.step()) {
        const auto id = select.column_int(0);
        const auto answer = json::parse(select.column_text(1), nullptr, false);
        std::int64_t idx = 0;
        for (const char* list : {"measured", "predicted"}) {
            if (!answer.is_object() || !answer.contains(list) || !answer[list].is_array()) {
                continue;
            }
            for (const auto& p : answer[list]) {
                if (!p.is_object()) {
                    continue;
                }
                insert.reset();
                insert.bind(1, id);
                insert.bind(2, idx++);
                insert.bind(3, p.value("precision", std::string()));
                insert.bind(4, p.value("source", std::string(list)));
                insert.bind(5, p.value("disposition", std::string()));
                const auto t = p.find("time_s");
                insert.bind(6, t != p.end() && t->is_number() ? std::optional<double>(t->get<double>())
                                                              : std::nullopt);
                (void)insert.step();
            }
        }
    }
}

using migration = void (*)(const sql::database&);
constexpr migration migrations[] = {migrate_to_1, migrate_to_2};
static_assert(std::size(migrations) == current_schema_version);

int user_version(const sql::database& db) {
    sql::statement st(db, "PRAGMA user_version");
    return st.step() ? static_cast<int>(st.column_int(0)) : 0;
}

void migrate(const sql::database& db, const std::string& path) {
    const int found = user_version(db);
    if (found > current_schema_version) {
        throw store_error(SQLITE_ERROR, "open(" + path + ")",
                          "the database has schema version " + std::to_string(found) +
                              ", newer than this tool's " + std::to_string(current_schema_version) +
                              "; use a newer roofline or another --db file");
    }
    for (int v = found; v < current_schema_version; ++v) {
        db.exec("BEGIN IMMEDIATE", "begin migration");
        try {
            migrations[v](db);
            db.exec("PRAGMA user_version = " + std::to_string(v + 1), "set user_version");
            db.exec("COMMIT", "commit migration");
        } catch (...) {
            sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }
}

std::vector<std::string> parse_list(const std::string& text) {
    const auto j = json::parse(text, nullptr, false);
    std::vector<std::string> out;
    if (j.is_array()) {
        for (const auto& e : j) {
            if (e.is_string()) {
                out.push_back(e.get<std::string>());
            }
        }
    }
    return out;
}

struct insert_op {
    new_run run;
    std::promise<std::int64_t> done;
};
struct remove_op {
    std::int64_t id = 0;
    std::promise<bool> done;
};
using write_op = std::variant<insert_op, remove_op>;

// WHERE clause and its parameters for a filter (parameters bound in order from index 1).
struct where_clause {
    std::string sql;
    std::vector<std::string> params;
};

where_clause make_where(const run_filter& f) {
    where_clause w;
    std::vector<std::string> terms;
    if (f.hardware_key) {
        terms.emplace_back("r.hardware_key = ? COLLATE NOCASE");
        w.params.push_back(*f.hardware_key);
    }
    if (f.precision || f.source) {
        std::string sub = "r.id IN (SELECT run_id FROM run_points WHERE 1";
        if (f.precision) {
            sub += " AND precision = ? COLLATE NOCASE";
            w.params.push_back(*f.precision);
        }
        if (f.source) {
            sub += " AND source = ?";
            w.params.push_back(*f.source);
        }
        terms.push_back(sub + ")");
    }
    for (std::size_t i = 0; i < terms.size(); ++i) {
        w.sql += (i == 0 ? " WHERE " : " AND ") + terms[i];
    }
    return w;
}

run_summary read_summary(const sql::statement& st) {
    run_summary s;
    s.id = st.column_int(0);
    s.created_at = st.column_text(1);
    s.m = st.column_int(2);
    s.n = st.column_int(3);
    s.k = st.column_int(4);
    s.precisions = parse_list(st.column_text(5));
    s.hardware_key = st.column_text(6);
    s.backend = st.column_text(7);
    s.device_name = st.column_text(8);
    s.point_count = static_cast<std::size_t>(st.column_int(9));
    return s;
}

constexpr const char* summary_columns =
    "SELECT id, created_at, m, n, k, precisions, hardware_key, backend, device_name, point_count";
constexpr const char* record_columns =
    "SELECT r.id, r.created_at, r.m, r.n, r.k, r.precisions, r.hardware_key, r.backend, r.device_name, "
    "r.point_count, r.answer, h.roofs FROM runs r LEFT JOIN hardware_snapshots h ON h.id = r.hardware_id";

// The stored answer with its "hardware" member put back (when it was stored apart).
std::string full_answer(std::string answer, const std::string& roofs) {
    if (roofs.empty()) {
        return answer; // version 1 runs keep theirs inline
    }
    auto doc = json::parse(answer, nullptr, false);
    auto hardware = json::parse(roofs, nullptr, false);
    if (!doc.is_object() || hardware.is_discarded()) {
        return answer; // not ours to mend: the reader reports a corrupt run
    }
    doc["hardware"] = std::move(hardware);
    return doc.dump();
}

run_record read_record(const sql::statement& st) {
    return run_record{read_summary(st), full_answer(st.column_text(10), st.column_text(11))};
}

} // namespace

std::string utc_timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    return buf;
}

struct run_store::impl {
    store_options options;
    sql::database writer_db;
    // Checkpoints in two phases, so the writer (and every request waiting on a commit) never waits for the
    // bulk of a checkpoint's fsyncs: the checkpointer thread copies the WAL into the database on its own
    // connection (PASSIVE: the writer keeps appending meanwhile), then asks the writer to finish the few
    // frames appended since, which lets the WAL restart from its beginning instead of growing while writes
    // never pause.
    sql::database checkpoint_db;
    std::thread checkpointer;
    std::mutex checkpoint_mutex;
    std::condition_variable checkpoint_cv;
    bool checkpoint_wanted = false;
    bool checkpoint_running = false;
    bool checkpoint_stop = false;
    std::atomic<bool> finish_checkpoint{false};
    int checkpoint_pages = 1000; // WAL pages (4 KiB each) between background passes
    int restart_pages = 16384;   // WAL size (64 MiB) at which the writer finishes a pass so the WAL restarts
    int last_pass_pages = 0;     // WAL size when the last background pass was asked for (writer thread only)
    int db_fd = -1;              // the database file, for the checkpointer's fdatasync
    std::chrono::steady_clock::time_point last_commit{};
    mutable std::mutex reader_mutex;
    sql::database reader_db;

    std::mutex queue_mutex;
    std::condition_variable queue_cv;
    std::condition_variable space_cv;
    std::deque<write_op> queue;
    bool stopping = false;
    std::thread writer;

    std::unordered_map<std::string, std::int64_t> hardware_ids; // roofs text -> snapshot id (writer thread)

    void run_writer();
    void run_checkpointer();
    std::optional<std::int64_t> hardware_id(sql::statement& ins_hw, sql::statement& sel_hw, const new_run& r);
    static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages);
    struct statements;
    void apply(statements& st, write_op& op, std::variant<std::int64_t, bool>& result);
};

struct run_store::impl::statements {
    sql::statement ins_run;
    sql::statement ins_point;
    sql::statement del_points;
    sql::statement del_run;
    sql::statement ins_hw;
    sql::statement sel_hw;
    explicit statements(const sql::database& db)
        : ins_run(db,
                  "INSERT INTO runs (created_at, m, n, k, precisions, hardware_key, backend, device_name, "
                  "device_uuid, driver_version, sm_clock_mhz, tool_version, schema_version, point_count, "
                  "answer, hardware_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                  "?15, ?16)"),
          ins_point(db, "INSERT INTO run_points (run_id, idx, precision, source, disposition, time_s) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
          del_points(db, "DELETE FROM run_points WHERE run_id = ?1"),
          del_run(db, "DELETE FROM runs WHERE id = ?1"),
          ins_hw(db, "INSERT INTO hardware_snapshots (hardware_key, roofs) VALUES (?1, ?2) "
                     "ON CONFLICT (roofs) DO NOTHING"),
          sel_hw(db, "SELECT id FROM hardware_snapshots WHERE roofs = ?1") {}
};

std::optional<std::int64_t> run_store::impl::hardware_id(sql::statement& ins_hw, sql::statement& sel_hw,
                                                         const new_run& r) {
    if (r.hardware_json.empty()) {
        return std::nullopt;
    }
    if (const auto it = hardware_ids.find(r.hardware_json); it != hardware_ids.end()) {
        return it->second;
    }
    ins_hw.reset();
    ins_hw.bind(1, r.hardware_key);
    ins_hw.bind(2, r.hardware_json);
    (void)ins_hw.step();
    sel_hw.reset();
    sel_hw.bind(1, r.hardware_json);
    if (!sel_hw.step()) {
        throw store_error(SQLITE_ERROR, "hardware snapshot", "inserted snapshot not found");
    }
    const auto id = sel_hw.column_int(0);
    // A statement left on a row keeps its read snapshot open across COMMIT, which stops every checkpoint at
    // that frame: the WAL would grow without bound.
    sel_hw.reset();
    if (hardware_ids.size() < 1024) { // registry entries: a handful; the bound only guards memory
        hardware_ids.emplace(r.hardware_json, id);
    }
    return id;
}

void run_store::impl::apply(statements& st, write_op& op, std::variant<std::int64_t, bool>& result) {
    auto& ins_run = st.ins_run;
    auto& ins_point = st.ins_point;
    auto& del_points = st.del_points;
    auto& del_run = st.del_run;
    if (auto* ins = std::get_if<insert_op>(&op)) {
        const auto& r = ins->run;
        const auto hw_id = hardware_id(st.ins_hw, st.sel_hw, r);
        ins_run.reset();
        ins_run.bind(1, utc_timestamp());
        ins_run.bind(2, r.m);
        ins_run.bind(3, r.n);
        ins_run.bind(4, r.k);
        ins_run.bind(5, json(r.precisions).dump());
        ins_run.bind(6, r.hardware_key);
        ins_run.bind(7, r.backend);
        ins_run.bind(8, r.device_name);
        ins_run.bind(9, r.device_uuid);
        ins_run.bind(10, r.driver_version);
        ins_run.bind(11, r.sm_clock_mhz);
        ins_run.bind(12, r.tool_version);
        ins_run.bind(13, static_cast<std::int64_t>(r.schema_version));
        ins_run.bind(14, static_cast<std::int64_t>(r.points.size()));
        ins_run.bind(15, r.answer_json);
        if (hw_id) {
            ins_run.bind(16, *hw_id);
        } else {
            ins_run.bind_null(16);
        }
        (void)ins_run.step();
        const std::int64_t id = sqlite3_last_insert_rowid(writer_db.get());
        std::int64_t idx = 0;
        for (const auto& p : r.points) {
            ins_point.reset();
            ins_point.bind(1, id);
            ins_point.bind(2, idx++);
            ins_point.bind(3, p.precision);
            ins_point.bind(4, p.source);
            ins_point.bind(5, p.disposition);
            ins_point.bind(6, p.time_s);
            (void)ins_point.step();
        }
        result = id;
    } else {
        auto& rm = std::get<remove_op>(op);
        del_points.reset();
        del_points.bind(1, rm.id);
        (void)del_points.step();
        del_run.reset();
        del_run.bind(1, rm.id);
        (void)del_run.step();
        result = sqlite3_changes(writer_db.get()) > 0;
    }
}

int run_store::impl::on_commit(void* self, sqlite3* db, const char* /*name*/, int wal_pages) {
    auto* s = static_cast<impl*>(self);
    if (wal_pages < s->last_pass_pages) {
        s->last_pass_pages = 0; // the WAL restarted
    }
    if (wal_pages >= s->restart_pages && s->finish_checkpoint.exchange(false)) {
        // Called on the writer thread right after a COMMIT, outside any transaction: what is left is only
        // what was appended since the last background pass, so this costs one small fsync, once per 64 MiB of
        // WAL. SQLITE_BUSY (a reader on an old snapshot) is harmless: a later pass picks it up.
        int log = 0;
        int done = 0;
        (void)sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        s->last_pass_pages = 0;
        return SQLITE_OK;
    }
    if (wal_pages - s->last_pass_pages >= s->checkpoint_pages) {
        s->last_pass_pages = wal_pages;
        std::lock_guard lock(s->checkpoint_mutex);
        if (!s->checkpoint_running && !s->checkpoint_wanted) {
            s->checkpoint_wanted = true;
            s->checkpoint_cv.notify_one();
        }
    }
    return SQLITE_OK;
}

void run_store::impl::run_checkpointer() {
    std::unique_lock lock(checkpoint_mutex);
    for (;;) {
        checkpoint_cv.wait(lock, [&] { return checkpoint_wanted || checkpoint_stop; });
        if (checkpoint_stop) {
            return;
        }
        checkpoint_wanted = false;
        checkpoint_running = true;
        lock.unlock();
        int log = 0;
        int done = 0;
        (void)sqlite3_wal_checkpoint_v2(checkpoint_db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        // SQLite syncs the database file only when a checkpoint reaches the end of the WAL, which a pass
        // racing the writer never does: without this, the writer's finishing step would fsync every page
        // copied since the last restart (20-120 ms measured here) while requests wait on its commit.
        if (db_fd >= 0) {
            (void)fdatasync(db_fd);
        }
        finish_checkpoint = true;
        lock.lock();
        checkpoint_running = false;
    }
}

void run_store::impl::run_writer() {
    statements st(writer_db);
    std::vector<write_op> batch;
    std::vector<std::variant<std::int64_t, bool>> results;
    for (;;) {
        {
            std::unique_lock lock(queue_mutex);
            queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
            if (queue.empty()) {
                return; // stopping and drained
            }
            // Under load, commits are paced at most one per commit_gather: a run arriving right after a
            // commit waits for the runs behind it instead of starting a transaction of its own. Every
            // transaction rewrites whole pages (table and index leaves, the header), so 8 runs per commit
            // write about a third of the WAL that 8 single-run commits do. An idle server commits at once.
            if (options.commit_gather.count() > 0) {
                queue_cv.wait_until(lock, last_commit + options.commit_gather,
                                    [&] { return stopping || queue.size() >= options.max_batch; });
            }
            while (!queue.empty() && batch.size() < options.max_batch) {
                batch.push_back(std::move(queue.front()));
                queue.pop_front();
            }
        }
        space_cv.notify_all();
        results.assign(batch.size(), std::int64_t{0});
        // Group commit: the whole batch in one transaction; the futures are fulfilled only after COMMIT.
        std::exception_ptr batch_error;
        try {
            writer_db.exec("BEGIN IMMEDIATE", "begin batch");
            try {
                for (std::size_t i = 0; i < batch.size(); ++i) {
                    apply(st, batch[i], results[i]);
                }
                writer_db.exec("COMMIT", "commit batch");
                last_commit = std::chrono::steady_clock::now();
            } catch (...) {
                sqlite3_exec(writer_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
                hardware_ids.clear(); // snapshot ids learnt in the rolled-back transaction are void
                throw;
            }
        } catch (...) {
            batch_error = std::current_exception();
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (batch_error && batch.size() > 1) {
                // One bad write must not fail its neighbours: retry each alone in its own transaction.
                try {
                    writer_db.exec("BEGIN IMMEDIATE", "begin single");
                    try {
                        apply(st, batch[i], results[i]);
                        writer_db.exec("COMMIT", "commit single");
                    } catch (...) {
                        sqlite3_exec(writer_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
                        hardware_ids.clear();
                        throw;
                    }
                } catch (...) {
                    std::visit([](auto& o) { o.done.set_exception(std::current_exception()); }, batch[i]);
                    continue;
                }
            } else if (batch_error) {
                std::visit([&](auto& o) { o.done.set_exception(batch_error); }, batch[i]);
                continue;
            }
            if (auto* ins = std::get_if<insert_op>(&batch[i])) {
                ins->done.set_value(std::get<std::int64_t>(results[i]));
            } else {
                std::get<remove_op>(batch[i]).done.set_value(std::get<bool>(results[i]));
            }
        }
        batch.clear();
    }
}

run_store::run_store(std::unique_ptr<impl> p, std::filesystem::path path)
    : m_impl(std::move(p)), m_path(std::move(path)) {}

std::unique_ptr<run_store> run_store::open(const std::filesystem::path& path, const store_options& options) {
    auto p = std::make_unique<impl>();
    p->options = options;
    if (p->options.max_batch == 0) {
        p->options.max_batch = 1;
    }
    const auto file = path.string();
    p->writer_db = sql::database(file, true);
    {
        sql::statement mode(p->writer_db, "PRAGMA journal_mode = WAL");
        if (!mode.step() || mode.column_text(0) != "wal") {
            throw store_error(SQLITE_ERROR, "PRAGMA journal_mode = WAL",
                              "could not switch " + file + " to WAL mode (a network file system?)");
        }
    }
    p->writer_db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                      "PRAGMA journal_size_limit = 67108864",
                      "writer pragmas");
    migrate(p->writer_db, file);
    p->reader_db = sql::database(file, false);
    p->reader_db.exec("PRAGMA query_only = ON", "reader pragmas");
    p->checkpoint_db = sql::database(file, false);
    p->checkpoint_db.exec("PRAGMA synchronous = NORMAL", "checkpointer pragmas");
    p->db_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    auto* raw = p.get();
    // Replaces SQLite's automatic checkpoint (which would run, fsyncs and all, inside the writer's COMMIT).
    sqlite3_wal_hook(p->writer_db.get(), &impl::on_commit, raw);
    p->checkpointer = std::thread([raw] { raw->run_checkpointer(); });
    p->writer = std::thread([raw] { raw->run_writer(); });
    return std::unique_ptr<run_store>(new run_store(std::move(p), path));
}

run_store::~run_store() {
    {
        std::lock_guard lock(m_impl->queue_mutex);
        m_impl->stopping = true;
    }
    m_impl->queue_cv.notify_all();
    if (m_impl->writer.joinable()) {
        m_impl->writer.join();
    }
    {
        std::lock_guard lock(m_impl->checkpoint_mutex);
        m_impl->checkpoint_stop = true;
    }
    m_impl->checkpoint_cv.notify_all();
    if (m_impl->checkpointer.joinable()) {
        m_impl->checkpointer.join();
    }
    // Everything committed; fold the WAL into the database so the file stands alone.
    (void)sqlite3_wal_checkpoint_v2(m_impl->writer_db.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                    nullptr);
    if (m_impl->db_fd >= 0) {
        ::close(m_impl->db_fd);
    }
}

std::future<std::int64_t> run_store::submit(new_run run) {
    insert_op op{std::move(run), {}};
    auto fut = op.done.get_future();
    {
        std::unique_lock lock(m_impl->queue_mutex);
        // Back-pressure rather than unbounded memory when writes arrive faster than the disk takes them.
        m_impl->space_cv.wait(lock, [&] { return m_impl->queue.size() < m_impl->options.max_pending; });
        m_impl->queue.emplace_back(std::move(op));
    }
    m_impl->queue_cv.notify_one();
    return fut;
}

bool run_store::remove(std::int64_t id) {
    remove_op op{id, {}};
    auto fut = op.done.get_future();
    {
        std::lock_guard lock(m_impl->queue_mutex);
        m_impl->queue.emplace_back(std::move(op));
    }
    m_impl->queue_cv.notify_one();
    return fut.get();
}

std::optional<run_record> run_store::get(std::int64_t id) const {
    std::lock_guard lock(m_impl->reader_mutex);
    sql::statement st(m_impl->reader_db, std::string(record_columns) + " WHERE r.id = ?1");
    st.bind(1, id);
    if (!st.step()) {
        return std::nullopt;
    }
    return read_record(st);
}

run_page run_store::list(const run_filter& filter) const {
    const auto where = make_where(filter);
    std::lock_guard lock(m_impl->reader_mutex);
    run_page page;
    // One read transaction so the page and the total agree even while the writer commits.
    m_impl->reader_db.exec("BEGIN", "begin read");
    try {
        {
            sql::statement count(m_impl->reader_db, "SELECT count(*) FROM runs r" + where.sql);
            int i = 1;
            for (const auto& p : where.params) {
                count.bind(i++, p);
            }
            page.total = count.step() ? static_cast<std::size_t>(count.column_int(0)) : 0;
        }
        sql::statement st(m_impl->reader_db, std::string(summary_columns) + " FROM runs r" + where.sql +
                                                 " ORDER BY r.id DESC LIMIT ? OFFSET ?");
        int i = 1;
        for (const auto& p : where.params) {
            st.bind(i++, p);
        }
        st.bind(i++, static_cast<std::int64_t>(filter.limit));
        st.bind(i, static_cast<std::int64_t>(filter.offset));
        while (st.step()) {
            page.runs.push_back(read_summary(st));
        }
    } catch (...) {
        sqlite3_exec(m_impl->reader_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    m_impl->reader_db.exec("COMMIT", "end read");
    return page;
}

std::vector<run_record> run_store::records(const run_filter& filter) const {
    const auto where = make_where(filter);
    std::lock_guard lock(m_impl->reader_mutex);
    sql::statement st(m_impl->reader_db,
                      std::string(record_columns) + where.sql + " ORDER BY r.id DESC LIMIT ? OFFSET ?");
    int i = 1;
    for (const auto& p : where.params) {
        st.bind(i++, p);
    }
    st.bind(i++, static_cast<std::int64_t>(filter.limit));
    st.bind(i, static_cast<std::int64_t>(filter.offset));
    std::vector<run_record> out;
    while (st.step()) {
        out.push_back(read_record(st));
    }
    return out;
}

std::size_t run_store::count() const {
    std::lock_guard lock(m_impl->reader_mutex);
    sql::statement st(m_impl->reader_db, "SELECT count(*) FROM runs");
    return st.step() ? static_cast<std::size_t>(st.column_int(0)) : 0;
}

int run_store::schema_version() const {
    std::lock_guard lock(m_impl->reader_mutex);
    return user_version(m_impl->reader_db);
}

} // namespace roofline::store
