#include "roofline/store/run_store.hpp"

#include "sqlite.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
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
        terms.emplace_back("hardware_key = ? COLLATE NOCASE");
        w.params.push_back(*f.hardware_key);
    }
    if (f.precision || f.source) {
        std::string sub = "id IN (SELECT run_id FROM run_points WHERE 1";
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

} // namespace

std::string utc_timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
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
    mutable std::mutex reader_mutex;
    sql::database reader_db;

    std::mutex queue_mutex;
    std::condition_variable queue_cv;
    std::condition_variable space_cv;
    std::deque<write_op> queue;
    bool stopping = false;
    std::thread writer;

    void run_writer();
    void apply(sql::statement& ins_run, sql::statement& ins_point, sql::statement& del_points,
               sql::statement& del_run, write_op& op, std::variant<std::int64_t, bool>& result);
};

void run_store::impl::apply(sql::statement& ins_run, sql::statement& ins_point, sql::statement& del_points,
                            sql::statement& del_run, write_op& op, std::variant<std::int64_t, bool>& result) {
    if (auto* ins = std::get_if<insert_op>(&op)) {
        const auto& r = ins->run;
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

void run_store::impl::run_writer() {
    sql::statement ins_run(writer_db,
                           "INSERT INTO runs (created_at, m, n, k, precisions, hardware_key, backend, device_name, "
                           "device_uuid, driver_version, sm_clock_mhz, tool_version, schema_version, point_count, "
                           "answer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    sql::statement ins_point(writer_db, "INSERT INTO run_points (run_id, idx, precision, source, disposition, "
                                        "time_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    sql::statement del_points(writer_db, "DELETE FROM run_points WHERE run_id = ?1");
    sql::statement del_run(writer_db, "DELETE FROM runs WHERE id = ?1");
    std::vector<write_op> batch;
    std::vector<std::variant<std::int64_t, bool>> results;
    for (;;) {
        {
            std::unique_lock lock(queue_mutex);
            queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
            if (queue.empty()) {
                return; // stopping and drained
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
                    apply(ins_run, ins_point, del_points, del_run, batch[i], results[i]);
                }
                writer_db.exec("COMMIT", "commit batch");
            } catch (...) {
                sqlite3_exec(writer_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
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
                        apply(ins_run, ins_point, del_points, del_run, batch[i], results[i]);
                        writer_db.exec("COMMIT", "commit single");
                    } catch (...) {
                        sqlite3_exec(writer_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
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
    auto* raw = p.get();
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
    sql::statement st(m_impl->reader_db, std::string(summary_columns) + ", answer FROM runs WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) {
        return std::nullopt;
    }
    return run_record{read_summary(st), st.column_text(10)};
}

run_page run_store::list(const run_filter& filter) const {
    const auto where = make_where(filter);
    std::lock_guard lock(m_impl->reader_mutex);
    run_page page;
    // One read transaction so the page and the total agree even while the writer commits.
    m_impl->reader_db.exec("BEGIN", "begin read");
    try {
        {
            sql::statement count(m_impl->reader_db, "SELECT count(*) FROM runs" + where.sql);
            int i = 1;
            for (const auto& p : where.params) {
                count.bind(i++, p);
            }
            page.total = count.step() ? static_cast<std::size_t>(count.column_int(0)) : 0;
        }
        sql::statement st(m_impl->reader_db,
                          std::string(summary_columns) + " FROM runs" + where.sql + " ORDER BY id DESC LIMIT ? OFFSET ?");
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
    sql::statement st(m_impl->reader_db, std::string(summary_columns) + ", answer FROM runs" + where.sql +
                                             " ORDER BY id DESC LIMIT ? OFFSET ?");
    int i = 1;
    for (const auto& p : where.params) {
        st.bind(i++, p);
    }
    st.bind(i++, static_cast<std::int64_t>(filter.limit));
    st.bind(i, static_cast<std::int64_t>(filter.offset));
    std::vector<run_record> out;
    while (st.step()) {
        out.push_back(run_record{read_summary(st), st.column_text(10)});
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
