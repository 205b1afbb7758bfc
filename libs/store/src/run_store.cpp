// The SQLite engine of the run store (the embedded default).
#include "roofline/store/run_store.hpp"

#include "sqlite.hpp"
#include "store_common.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
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

// Version 3: which node and which of its GPUs ran the analysis, so a fleet's history can be compared by host
// and GPU. Existing runs keep empty identities (their device_uuid stays).
void migrate_to_3(const sql::database& db) {
    db.exec(R"sql(
        ALTER TABLE runs ADD COLUMN host       TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN gpu_index  INTEGER;
        ALTER TABLE runs ADD COLUMN pci_bus_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN gpu_serial TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN job        TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN job_task   INTEGER;
        CREATE INDEX runs_by_host ON runs (host COLLATE NOCASE, id);
        CREATE INDEX runs_by_job ON runs (job, id);
    )sql",
            "migration 3");
}

using migration = void (*)(const sql::database&);
constexpr migration migrations[] = {migrate_to_1, migrate_to_2, migrate_to_3};
static_assert(std::size(migrations) == current_schema_version);

std::int64_t user_version(const sql::database& db) {
    sql::statement st(db, "PRAGMA user_version");
    return st.step() ? st.column_int(0) : 0;
}

void migrate(const sql::database& db, const std::string& path) {
    const auto found = user_version(db);
    // Negative included: indexing the migrations with it was a crash.
    if (found < 0 || found > current_schema_version) {
        throw store_error(SQLITE_ERROR, "open(" + path + ")", detail::unknown_version_message(path, found));
    }
    for (int v = static_cast<int>(found); v < current_schema_version; ++v) {
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

void check_schema(const sql::database& db, const std::string& path) {
    std::vector<std::pair<std::string, std::vector<std::string>>> found;
    for (const auto& t : detail::expected_schema()) {
        sql::statement st(db, std::string("SELECT name FROM pragma_table_info('") + t.table + "')");
        std::vector<std::string> cols;
        while (st.step()) {
            cols.push_back(st.column_text(0));
        }
        found.emplace_back(t.table, std::move(cols));
    }
    if (const auto problem = detail::schema_problem(path, found); !problem.empty()) {
        throw store_error(SQLITE_CORRUPT, "open(" + path + ")", problem);
    }
}

using detail::insert_op;
using detail::prune_op;
using detail::remove_op;
using detail::write_op;
using detail::write_result;

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
    if (f.host) {
        terms.emplace_back("r.host = ? COLLATE NOCASE");
        w.params.push_back(*f.host);
    }
    if (f.job) {
        terms.emplace_back("r.job = ?");
        w.params.push_back(*f.job);
    }
    if (f.gpu) {
        // The GPU as a user names it: its index on the node, its UUID or its PCI bus id.
        terms.emplace_back("(CAST(r.gpu_index AS TEXT) = ? OR r.device_uuid = ? COLLATE NOCASE OR "
                           "r.pci_bus_id = ? COLLATE NOCASE)");
        for (int i = 0; i < 3; ++i) {
            w.params.push_back(*f.gpu);
        }
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
    s.precisions = detail::parse_list(st.column_text(5));
    s.hardware_key = st.column_text(6);
    s.backend = st.column_text(7);
    s.device_name = st.column_text(8);
    s.point_count = static_cast<std::size_t>(st.column_int(9));
    s.host = st.column_text(10);
    if (!st.column_null(11)) {
        s.gpu_index = st.column_int(11);
    }
    s.device_uuid = st.column_text(12);
    s.pci_bus_id = st.column_text(13);
    s.gpu_serial = st.column_text(14);
    s.job = st.column_text(15);
    if (!st.column_null(16)) {
        s.job_task = st.column_int(16);
    }
    return s;
}

constexpr const char* summary_columns =
    "SELECT id, created_at, m, n, k, precisions, hardware_key, backend, device_name, point_count, host, "
    "gpu_index, device_uuid, pci_bus_id, gpu_serial, job, job_task";
constexpr const char* record_columns =
    "SELECT r.id, r.created_at, r.m, r.n, r.k, r.precisions, r.hardware_key, r.backend, r.device_name, "
    "r.point_count, r.host, r.gpu_index, r.device_uuid, r.pci_bus_id, r.gpu_serial, r.job, r.job_task, "
    "r.answer, "
    "h.roofs "
    "FROM runs r LEFT JOIN hardware_snapshots h ON h.id = r.hardware_id";

run_record read_record(const sql::statement& st) {
    run_record r{read_summary(st), detail::full_answer(st.column_text(17), st.column_text(18))};
    detail::check_answer(r.summary.id, r.answer_json);
    return r;
}

class sqlite_store;

// A pool of read connections: each read takes one for its duration, so reads run side by side (WAL lets
// them read while the writer writes) and none waits behind another's long export.
class reader_pool {
  public:
    reader_pool(std::string file, std::size_t size)
        : m_file(std::move(file)), m_size(std::max<std::size_t>(1, size)) {}
    class lease {
      public:
        lease(reader_pool& pool, std::unique_ptr<sql::database> db) : m_pool(pool), m_db(std::move(db)) {}
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        ~lease() { m_pool.give_back(std::move(m_db)); }
        [[nodiscard]] const sql::database& db() const { return *m_db; }

      private:
        reader_pool& m_pool;
        std::unique_ptr<sql::database> m_db;
    };
    [[nodiscard]] lease take() {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return !m_idle.empty() || m_open < m_size; });
        if (!m_idle.empty()) {
            auto db = std::move(m_idle.back());
            m_idle.pop_back();
            return {*this, std::move(db)};
        }
        ++m_open;
        lock.unlock();
        try {
            auto db = std::make_unique<sql::database>(m_file, false);
            db->exec("PRAGMA query_only = ON", "reader pragmas");
            return {*this, std::move(db)};
        } catch (...) {
            std::lock_guard again(m_mutex);
            --m_open;
            m_cv.notify_one();
            throw;
        }
    }

  private:
    void give_back(std::unique_ptr<sql::database> db) {
        {
            std::lock_guard lock(m_mutex);
            if (db) {
                m_idle.push_back(std::move(db));
            } else {
                --m_open;
            }
        }
        m_cv.notify_one();
    }
    std::string m_file;
    std::size_t m_size;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<std::unique_ptr<sql::database>> m_idle;
    std::size_t m_open = 0;
};

class sqlite_store final : public run_store {
  public:
    sqlite_store(const std::string& file, const store_options& options);
    ~sqlite_store() override;

    std::future<std::int64_t> submit(new_run run) override;
    void submit_then(new_run run, commit_callback done) override;
    bool remove(std::int64_t id) override;
    std::size_t prune_before(const std::string& utc_iso) override;
    std::optional<run_record> get(std::int64_t id) const override;
    run_page list(const run_filter& filter) const override;
    void for_each_record(const run_filter& filter, const std::function<bool(run_record&)>& fn) const override;
    std::size_t count() const override;
    int schema_version() const override { return m_schema_version; }
    std::string engine() const override { return "sqlite"; }
    std::string location() const override { return m_file; }

  private:
    struct statements;
    void run_writer();
    void run_checkpointer();
    void write_batch(std::unique_ptr<statements>& st, std::vector<write_op>& batch);
    std::optional<std::int64_t> hardware_id(statements& st, const new_run& r);
    void apply(statements& st, write_op& op, write_result& result);
    static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages);
    template <class Op>
    auto enqueue(Op op);

    std::string m_file;
    store_options options;
    int m_schema_version = 0;
    std::string m_host = local_host_name();
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
    mutable std::unique_ptr<reader_pool> readers;

    std::mutex queue_mutex;
    std::condition_variable queue_cv;
    std::condition_variable space_cv;
    std::deque<write_op> queue;
    bool stopping = false;
    std::thread writer;

    std::unordered_map<std::string, std::int64_t> hardware_ids; // roofs text -> snapshot id (writer thread)
};

struct sqlite_store::statements {
    sql::statement ins_run;
    sql::statement ins_point;
    sql::statement del_points;
    sql::statement del_run;
    sql::statement ins_hw;
    sql::statement sel_hw;
    sql::statement prune_points;
    sql::statement prune_runs;
    sql::statement used_pages;
    explicit statements(const sql::database& db)
        : ins_run(
              db,
              "INSERT INTO runs (created_at, m, n, k, precisions, hardware_key, backend, device_name, "
              "device_uuid, driver_version, sm_clock_mhz, tool_version, schema_version, point_count, "
              "answer, hardware_id, host, gpu_index, pci_bus_id, gpu_serial, job, job_task) VALUES (?1, ?2, "
              "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"),
          ins_point(db, "INSERT INTO run_points (run_id, idx, precision, source, disposition, time_s) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
          del_points(db, "DELETE FROM run_points WHERE run_id = ?1"),
          del_run(db, "DELETE FROM runs WHERE id = ?1"),
          ins_hw(db, "INSERT INTO hardware_snapshots (hardware_key, roofs) VALUES (?1, ?2) "
                     "ON CONFLICT (roofs) DO NOTHING"),
          sel_hw(db, "SELECT id FROM hardware_snapshots WHERE roofs = ?1"),
          prune_points(db,
                       "DELETE FROM run_points WHERE run_id IN (SELECT id FROM runs WHERE created_at < ?1)"),
          prune_runs(db, "DELETE FROM runs WHERE created_at < ?1"),
          // Pages in use: freed pages (after a prune) are reused before the file grows.
          used_pages(db, "SELECT (SELECT page_count FROM pragma_page_count()) - "
                         "(SELECT freelist_count FROM pragma_freelist_count()), "
                         "(SELECT page_size FROM pragma_page_size())") {}
};

std::optional<std::int64_t> sqlite_store::hardware_id(statements& st, const new_run& r) {
    if (r.hardware_json.empty()) {
        return std::nullopt;
    }
    if (const auto it = hardware_ids.find(r.hardware_json); it != hardware_ids.end()) {
        return it->second;
    }
    st.ins_hw.reset();
    st.ins_hw.bind(1, r.hardware_key);
    st.ins_hw.bind(2, r.hardware_json);
    (void)st.ins_hw.step();
    st.sel_hw.reset();
    st.sel_hw.bind(1, r.hardware_json);
    if (!st.sel_hw.step()) {
        throw store_error(SQLITE_ERROR, "hardware snapshot", "inserted snapshot not found");
    }
    const auto id = st.sel_hw.column_int(0);
    // A statement left on a row keeps its read snapshot open across COMMIT, which stops every checkpoint at
    // that frame: the WAL would grow without bound.
    st.sel_hw.reset();
    if (hardware_ids.size() < 1024) { // registry entries: a handful; the bound only guards memory
        hardware_ids.emplace(r.hardware_json, id);
    }
    return id;
}

void sqlite_store::apply(statements& st, write_op& op, write_result& result) {
    if (auto* ins = std::get_if<insert_op>(&op)) {
        const auto& r = ins->run;
        const auto hw_id = hardware_id(st, r);
        auto& q = st.ins_run;
        q.reset();
        q.bind(1, utc_timestamp());
        q.bind(2, r.m);
        q.bind(3, r.n);
        q.bind(4, r.k);
        q.bind(5, json(r.precisions).dump());
        q.bind(6, r.hardware_key);
        q.bind(7, r.backend);
        q.bind(8, r.device_name);
        q.bind(9, r.device_uuid);
        q.bind(10, r.driver_version);
        q.bind(11, r.sm_clock_mhz);
        q.bind(12, r.tool_version);
        q.bind(13, static_cast<std::int64_t>(r.schema_version));
        q.bind(14, static_cast<std::int64_t>(r.points.size()));
        q.bind(15, r.answer_json);
        if (hw_id) {
            q.bind(16, *hw_id);
        } else {
            q.bind_null(16);
        }
        q.bind(17, r.host.empty() ? std::string_view(m_host) : std::string_view(r.host));
        if (r.gpu_index) {
            q.bind(18, *r.gpu_index);
        } else {
            q.bind_null(18);
        }
        q.bind(19, r.pci_bus_id);
        q.bind(20, r.gpu_serial);
        q.bind(21, r.job);
        if (r.job_task) {
            q.bind(22, *r.job_task);
        } else {
            q.bind_null(22);
        }
        (void)q.step();
        const std::int64_t id = sqlite3_last_insert_rowid(writer_db.get());
        std::int64_t idx = 0;
        for (const auto& p : r.points) {
            st.ins_point.reset();
            st.ins_point.bind(1, id);
            st.ins_point.bind(2, idx++);
            st.ins_point.bind(3, p.precision);
            st.ins_point.bind(4, p.source);
            st.ins_point.bind(5, p.disposition);
            st.ins_point.bind(6, p.time_s);
            (void)st.ins_point.step();
        }
        result = id;
    } else if (auto* rm = std::get_if<remove_op>(&op)) {
        st.del_points.reset();
        st.del_points.bind(1, rm->id);
        (void)st.del_points.step();
        st.del_run.reset();
        st.del_run.bind(1, rm->id);
        (void)st.del_run.step();
        result = sqlite3_changes(writer_db.get()) > 0;
    } else {
        auto& pr = std::get<prune_op>(op);
        st.prune_points.reset();
        st.prune_points.bind(1, pr.before);
        (void)st.prune_points.step();
        st.prune_runs.reset();
        st.prune_runs.bind(1, pr.before);
        (void)st.prune_runs.step();
        result = static_cast<std::size_t>(sqlite3_changes(writer_db.get()));
    }
}

int sqlite_store::on_commit(void* self, sqlite3* db, const char* /*name*/, int wal_pages) {
    auto* s = static_cast<sqlite_store*>(self);
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

void sqlite_store::run_checkpointer() {
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

void fail_op(write_op& op, const std::exception_ptr& e) {
    std::visit([&](auto& o) { o.done.set_exception(e); }, op);
}

void fulfil(write_op& op, const write_result& r) {
    if (auto* ins = std::get_if<insert_op>(&op)) {
        ins->done.set_value(std::get<std::int64_t>(r));
    } else if (auto* rm = std::get_if<remove_op>(&op)) {
        rm->done.set_value(std::get<bool>(r));
    } else {
        std::get<prune_op>(op).done.set_value(std::get<std::size_t>(r));
    }
}

// One batch, in one transaction. Every failure (a damaged or altered database included) ends in the batch's
// futures, never out of the writer thread: the server answers 503 and stays up.
void sqlite_store::write_batch(std::unique_ptr<statements>& st, std::vector<write_op>& batch) {
    std::vector<write_result> results(batch.size(), std::int64_t{0});
    std::exception_ptr batch_error;
    try {
        if (!st) {
            st = std::make_unique<statements>(writer_db); // again after a failure: the schema may be back
        }
        if (options.max_db_bytes > 0) {
            st->used_pages.reset();
            (void)st->used_pages.step();
            const auto used = static_cast<std::uint64_t>(st->used_pages.column_int(0)) *
                              static_cast<std::uint64_t>(st->used_pages.column_int(1));
            st->used_pages.reset();
            if (used >= options.max_db_bytes) {
                // Only the inserts are refused: deletions and prunes are what make room.
                const auto full =
                    std::make_exception_ptr(store_error(SQLITE_FULL, "insert (--max-db-bytes)",
                                                        detail::full_message(used, options.max_db_bytes)));
                std::vector<write_op> rest;
                for (auto& op : batch) {
                    if (std::holds_alternative<insert_op>(op)) {
                        fail_op(op, full);
                    } else {
                        rest.push_back(std::move(op));
                    }
                }
                batch = std::move(rest);
                results.assign(batch.size(), std::int64_t{0});
                if (batch.empty()) {
                    return;
                }
            }
        }
        writer_db.exec("BEGIN IMMEDIATE", "begin batch");
        try {
            for (std::size_t i = 0; i < batch.size(); ++i) {
                apply(*st, batch[i], results[i]);
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
    if (batch_error && (!st || batch.size() == 1)) {
        st.reset();
        for (auto& op : batch) {
            fail_op(op, batch_error);
        }
        return;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch_error) {
            // One bad write must not fail its neighbours: retry each alone in its own transaction.
            try {
                writer_db.exec("BEGIN IMMEDIATE", "begin single");
                try {
                    apply(*st, batch[i], results[i]);
                    writer_db.exec("COMMIT", "commit single");
                } catch (...) {
                    sqlite3_exec(writer_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
                    hardware_ids.clear();
                    throw;
                }
            } catch (...) {
                fail_op(batch[i], std::current_exception());
                continue;
            }
        }
        fulfil(batch[i], results[i]);
    }
}

void sqlite_store::run_writer() {
    std::unique_ptr<statements> st;
    std::vector<write_op> batch;
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
        write_batch(st, batch);
        batch.clear();
    }
}

sqlite_store::sqlite_store(const std::string& file, const store_options& opts) : m_file(file), options(opts) {
    if (options.max_batch == 0) {
        options.max_batch = 1;
    }
    if (const auto parent = std::filesystem::path(file).parent_path(); !parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec); // a failure shows as the open's own error
    }
    writer_db = sql::database(file, true);
    {
        sql::statement mode(writer_db, "PRAGMA journal_mode = WAL");
        if (!mode.step() || mode.column_text(0) != "wal") {
            throw store_error(SQLITE_ERROR, "PRAGMA journal_mode = WAL",
                              "could not switch " + file + " to WAL mode (a network file system?)");
        }
    }
    writer_db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                   "PRAGMA journal_size_limit = 67108864",
                   "writer pragmas");
    migrate(writer_db, file);
    check_schema(writer_db, file);
    m_schema_version = static_cast<int>(user_version(writer_db));
    readers = std::make_unique<reader_pool>(file, options.readers);
    checkpoint_db = sql::database(file, false);
    checkpoint_db.exec("PRAGMA synchronous = NORMAL", "checkpointer pragmas");
    db_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    // Replaces SQLite's automatic checkpoint (which would run, fsyncs and all, inside the writer's COMMIT).
    sqlite3_wal_hook(writer_db.get(), &sqlite_store::on_commit, this);
    checkpointer = std::thread([this] { run_checkpointer(); });
    writer = std::thread([this] { run_writer(); });
}

sqlite_store::~sqlite_store() {
    {
        std::lock_guard lock(queue_mutex);
        stopping = true;
    }
    queue_cv.notify_all();
    if (writer.joinable()) {
        writer.join();
    }
    {
        std::lock_guard lock(checkpoint_mutex);
        checkpoint_stop = true;
    }
    checkpoint_cv.notify_all();
    if (checkpointer.joinable()) {
        checkpointer.join();
    }
    // Everything committed; fold the WAL into the database so the file stands alone.
    (void)sqlite3_wal_checkpoint_v2(writer_db.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (db_fd >= 0) {
        ::close(db_fd);
    }
}

template <class Op>
auto sqlite_store::enqueue(Op op) {
    auto fut = op.done.get_future();
    {
        std::unique_lock lock(queue_mutex);
        // Back-pressure rather than unbounded memory when writes arrive faster than the disk takes them.
        space_cv.wait(lock, [&] { return queue.size() < options.max_pending; });
        queue.emplace_back(std::move(op));
    }
    queue_cv.notify_one();
    return fut;
}

std::future<std::int64_t> sqlite_store::submit(new_run run) {
    return enqueue(insert_op{std::move(run), {}});
}

void sqlite_store::submit_then(new_run run, commit_callback done) {
    (void)enqueue(insert_op{std::move(run), detail::insert_promise(std::move(done))});
}

bool sqlite_store::remove(std::int64_t id) {
    return enqueue(remove_op{id, {}}).get();
}

std::size_t sqlite_store::prune_before(const std::string& utc_iso) {
    return enqueue(prune_op{utc_iso, {}}).get();
}

std::optional<run_record> sqlite_store::get(std::int64_t id) const {
    const auto lease = readers->take();
    sql::statement st(lease.db(), std::string(record_columns) + " WHERE r.id = ?1");
    st.bind(1, id);
    if (!st.step()) {
        return std::nullopt;
    }
    return read_record(st);
}

run_page sqlite_store::list(const run_filter& filter) const {
    const auto where = make_where(filter);
    const auto lease = readers->take();
    const auto& db = lease.db();
    run_page page;
    // One read transaction so the page and the total agree even while the writer commits.
    db.exec("BEGIN", "begin read");
    try {
        {
            sql::statement count(db, "SELECT count(*) FROM runs r" + where.sql);
            int i = 1;
            for (const auto& p : where.params) {
                count.bind(i++, p);
            }
            page.total = count.step() ? static_cast<std::size_t>(count.column_int(0)) : 0;
        }
        sql::statement st(db, std::string(summary_columns) + " FROM runs r" + where.sql +
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
        sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    db.exec("COMMIT", "end read");
    return page;
}

void sqlite_store::for_each_record(const run_filter& filter,
                                   const std::function<bool(run_record&)>& fn) const {
    const auto where = make_where(filter);
    const auto lease = readers->take();
    sql::statement st(lease.db(),
                      std::string(record_columns) + where.sql + " ORDER BY r.id DESC LIMIT ? OFFSET ?");
    int i = 1;
    for (const auto& p : where.params) {
        st.bind(i++, p);
    }
    st.bind(i++, static_cast<std::int64_t>(filter.limit));
    st.bind(i, static_cast<std::int64_t>(filter.offset));
    while (st.step()) {
        auto rec = read_record(st);
        if (!fn(rec)) {
            break;
        }
    }
}

std::size_t sqlite_store::count() const {
    const auto lease = readers->take();
    sql::statement st(lease.db(), "SELECT count(*) FROM runs");
    return st.step() ? static_cast<std::size_t>(st.column_int(0)) : 0;
}

} // namespace

std::unique_ptr<run_store> open_sqlite_store(const std::string& path, const store_options& options) {
    return std::make_unique<sqlite_store>(path, options);
}

} // namespace roofline::store
