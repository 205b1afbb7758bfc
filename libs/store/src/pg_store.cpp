// The PostgreSQL engine of the run store (`--db postgresql://...`): the shared store of a fleet, through
// libpq.
//
// The same model as the SQLite engine: one writer thread with group commit (a run's future is ready only
// after its COMMIT returned), a pool of read connections, the same schema and versions (a roofline_schema row
// plays PRAGMA user_version), migrations under an advisory lock so that the tasks of a job array opening one
// database at once migrate it once. A lost connection (the server restarted, or was killed) fails only the
// writes in flight, with a message naming --db; the next write reconnects. A write that fails before its
// COMMIT was sent is retried once on a fresh connection, so a restart between two runs loses nothing and
// shows no error.
#include "roofline/store/run_store.hpp"
#include "store_common.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <libpq-fe.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <variant>

namespace roofline::store {
namespace {

using json = nlohmann::json;

// A failure that happened before anything of the transaction could have been committed.
struct not_committed {};

class connection {
  public:
    explicit connection(std::string url) : m_url(std::move(url)) { connect(); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() { PQfinish(m_conn); }

    [[nodiscard]] bool ok() const { return m_conn != nullptr && PQstatus(m_conn) == CONNECTION_OK; }
    // A fresh connection (after the server restarted); throws the unreachable error.
    void reconnect() {
        PQfinish(m_conn);
        m_conn = nullptr;
        connect();
    }
    [[nodiscard]] PGconn* get() const { return m_conn; }
    [[nodiscard]] const std::string& url() const { return m_url; }

  private:
    void connect() {
        // The URL's own settings win over these defaults (libpq processes later keywords last).
        const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
        const char* values[] = {"5", "roofline", m_url.c_str(), nullptr};
        m_conn = PQconnectdbParams(keys, values, 1);
        if (PQstatus(m_conn) != CONNECTION_OK) {
            std::string why = m_conn != nullptr ? PQerrorMessage(m_conn) : "out of memory";
            while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) {
                why.pop_back();
            }
            PQfinish(m_conn);
            m_conn = nullptr;
            throw store_error("connect(" + redact_url(m_url) + ")",
                              "cannot reach PostgreSQL at " + redact_url(m_url) + ": " + why +
                                  "; start the server or fix the URL given to --db (ROOFLINE_DB)");
        }
        PQsetNoticeProcessor(
            m_conn, [](void*, const char*) {}, nullptr); // "relation exists, skipping"
    }
    std::string m_url;
    PGconn* m_conn = nullptr;
};

class result {
  public:
    explicit result(PGresult* r) : m_r(r) {}
    result(const result&) = delete;
    result& operator=(const result&) = delete;
    result(result&& o) noexcept : m_r(o.m_r) { o.m_r = nullptr; }
    ~result() { PQclear(m_r); }
    [[nodiscard]] int rows() const { return PQntuples(m_r); }
    [[nodiscard]] bool null(int row, int col) const { return PQgetisnull(m_r, row, col) != 0; }
    [[nodiscard]] std::string text(int row, int col) const {
        return {PQgetvalue(m_r, row, col), static_cast<std::size_t>(PQgetlength(m_r, row, col))};
    }
    [[nodiscard]] std::int64_t integer(int row, int col) const { return std::stoll(text(row, col)); }
    [[nodiscard]] PGresult* get() const { return m_r; }

  private:
    PGresult* m_r;
};

// Parameters as text (libpq converts), NULL where absent.
struct params {
    std::vector<std::optional<std::string>> values;
    params& add(std::string v) {
        values.emplace_back(std::move(v));
        return *this;
    }
    params& add(std::int64_t v) { return add(std::to_string(v)); }
    params& add(const std::optional<double>& v) {
        if (!v) {
            values.emplace_back(std::nullopt);
            return *this;
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *v);
        return add(std::string(buf));
    }
    params& add(const std::optional<std::int64_t>& v) {
        if (!v) {
            values.emplace_back(std::nullopt);
            return *this;
        }
        return add(*v);
    }
};

std::string message_of(const connection& c, PGresult* r) {
    std::string msg = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c.get());
    if (msg.empty()) {
        msg = PQerrorMessage(c.get());
    }
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
        msg.pop_back();
    }
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (state != nullptr) {
        msg += std::string(" (SQLSTATE ") + state + ")";
    }
    if (!c.ok()) {
        msg += "; the connection to PostgreSQL at " + redact_url(c.url()) +
               " was lost: check the server given to --db (ROOFLINE_DB)";
    }
    return msg;
}

result exec(const connection& c, const std::string& sql, const params& p = {}, const char* what = nullptr) {
    std::vector<const char*> v;
    v.reserve(p.values.size());
    for (const auto& x : p.values) {
        v.push_back(x ? x->c_str() : nullptr);
    }
    result r(PQexecParams(c.get(), sql.c_str(), static_cast<int>(v.size()), nullptr, v.data(), nullptr,
                          nullptr, 0));
    const auto status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        throw store_error(std::string("PQexecParams(") + (what != nullptr ? what : sql.substr(0, 60)) + ")",
                          message_of(c, r.get()));
    }
    return r;
}

// Several statements at once (a migration): the simple query protocol, no parameters.
void exec_script(const connection& c, const char* sql, const char* what) {
    result r(PQexec(c.get(), sql));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        throw store_error(std::string("PQexec(") + what + ")", message_of(c, r.get()));
    }
}

void rollback(const connection& c) {
    if (c.ok()) {
        PQclear(PQexec(c.get(), "ROLLBACK"));
    }
}

// Migration N takes a database at version N−1 to version N: the same versions as the SQLite engine, in
// PostgreSQL's types. A version-1 PostgreSQL store never shipped, so version 2 needs no backfill here.
const char* const migrations[] = {
    R"sql(
        CREATE TABLE runs (
            id             BIGSERIAL PRIMARY KEY,      -- never reused
            created_at     TEXT    NOT NULL,           -- UTC ISO 8601, milliseconds (compares as text)
            m              BIGINT  NOT NULL,
            n              BIGINT  NOT NULL,
            k              BIGINT  NOT NULL,
            precisions     TEXT    NOT NULL,           -- JSON array of precision names
            hardware_key   TEXT    NOT NULL,
            backend        TEXT    NOT NULL,
            device_name    TEXT    NOT NULL DEFAULT '',
            device_uuid    TEXT    NOT NULL DEFAULT '',
            driver_version TEXT    NOT NULL DEFAULT '',
            sm_clock_mhz   DOUBLE PRECISION,
            tool_version   TEXT    NOT NULL,
            schema_version INTEGER NOT NULL,
            point_count    INTEGER NOT NULL,
            answer         TEXT    NOT NULL
        );
        CREATE INDEX runs_by_hardware ON runs (lower(hardware_key), id);
    )sql",
    R"sql(
        CREATE TABLE run_points (
            run_id      BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            idx         INTEGER NOT NULL,
            precision   TEXT    NOT NULL,
            source      TEXT    NOT NULL,
            disposition TEXT    NOT NULL,
            time_s      DOUBLE PRECISION,
            PRIMARY KEY (run_id, idx)
        );
        CREATE INDEX run_points_by_precision ON run_points (lower(precision), source, run_id);
        CREATE INDEX run_points_by_source ON run_points (source, run_id);
        -- Roofs text is several kB, above a b-tree entry's limit: unique on its digest.
        CREATE TABLE hardware_snapshots (
            id           BIGSERIAL PRIMARY KEY,
            hardware_key TEXT NOT NULL,
            roofs        TEXT NOT NULL
        );
        CREATE UNIQUE INDEX hardware_snapshots_by_roofs ON hardware_snapshots (md5(roofs));
        ALTER TABLE runs ADD COLUMN hardware_id BIGINT REFERENCES hardware_snapshots (id);
    )sql",
    R"sql(
        ALTER TABLE runs ADD COLUMN host       TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN gpu_index  BIGINT;
        ALTER TABLE runs ADD COLUMN pci_bus_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN gpu_serial TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN job        TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN job_task   BIGINT;
        CREATE INDEX runs_by_host ON runs (lower(host), id);
        CREATE INDEX runs_by_job ON runs (job, id);
    )sql",
};
static_assert(std::size(migrations) == current_schema_version);

constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(7340155)"; // any constant, ours alone

// The version found before migrating.
int migrate(const connection& c) {
    const auto where = redact_url(c.url());
    int found = -1;
    for (;;) {
        exec(c, "BEGIN");
        try {
            exec(c, migration_lock);
            exec(c, "CREATE TABLE IF NOT EXISTS roofline_schema (version INTEGER NOT NULL)");
            auto r = exec(c, "SELECT version FROM roofline_schema");
            long long v = 0;
            if (r.rows() == 0) {
                exec(c, "INSERT INTO roofline_schema (version) VALUES (0)");
            } else if (r.rows() > 1) {
                throw store_error("open(" + where + ")",
                                  where + " holds " + std::to_string(r.rows()) +
                                      " rows in roofline_schema (one expected): damaged; use another --db");
            } else {
                v = r.integer(0, 0);
            }
            if (found < 0) {
                found = static_cast<int>(std::clamp<long long>(v, -1, 1 << 20));
            }
            if (v < 0 || v > current_schema_version) {
                throw store_error("open(" + where + ")", detail::unknown_version_message(where, v));
            }
            if (v == current_schema_version) {
                exec(c, "COMMIT");
                return found;
            }
            exec_script(c, migrations[v], "migration");
            exec(c, "UPDATE roofline_schema SET version = $1",
                 params{}.add(static_cast<std::int64_t>(v + 1)));
            exec(c, "COMMIT");
        } catch (...) {
            rollback(c);
            throw;
        }
    }
}

void check_schema(const connection& c) {
    auto r = exec(c, "SELECT table_name, column_name FROM information_schema.columns "
                     "WHERE table_schema = current_schema() AND table_name IN ('runs', 'run_points', "
                     "'hardware_snapshots')");
    std::vector<std::pair<std::string, std::vector<std::string>>> found;
    for (int i = 0; i < r.rows(); ++i) {
        const auto t = r.text(i, 0);
        auto it = std::find_if(found.begin(), found.end(), [&](const auto& f) { return f.first == t; });
        if (it == found.end()) {
            found.emplace_back(t, std::vector<std::string>{});
            it = found.end() - 1;
        }
        it->second.push_back(r.text(i, 1));
    }
    if (const auto problem = detail::schema_problem(redact_url(c.url()), found); !problem.empty()) {
        throw store_error("open(" + redact_url(c.url()) + ")", problem);
    }
}

struct where_clause {
    std::string sql;
    params p;
};

where_clause make_where(const run_filter& f) {
    where_clause w;
    std::vector<std::string> terms;
    auto next = [&](const std::string& v) {
        w.p.add(v);
        return "$" + std::to_string(w.p.values.size());
    };
    if (f.hardware_key) {
        terms.push_back("lower(r.hardware_key) = lower(" + next(*f.hardware_key) + ")");
    }
    if (f.host) {
        terms.push_back("lower(r.host) = lower(" + next(*f.host) + ")");
    }
    if (f.job) {
        terms.push_back("r.job = " + next(*f.job));
    }
    if (f.gpu) {
        const auto g = next(*f.gpu);
        terms.push_back("(r.gpu_index::text = " + g + " OR lower(r.device_uuid) = lower(" + g +
                        ") OR lower(r.pci_bus_id) = lower(" + g + "))");
    }
    if (f.precision || f.source) {
        std::string sub = "r.id IN (SELECT run_id FROM run_points WHERE true";
        if (f.precision) {
            sub += " AND lower(precision) = lower(" + next(*f.precision) + ")";
        }
        if (f.source) {
            sub += " AND source = " + next(*f.source);
        }
        terms.push_back(sub + ")");
    }
    for (std::size_t i = 0; i < terms.size(); ++i) {
        w.sql += (i == 0 ? " WHERE " : " AND ") + terms[i];
    }
    return w;
}

constexpr const char* summary_columns =
    "SELECT r.id, r.created_at, r.m, r.n, r.k, r.precisions, r.hardware_key, r.backend, r.device_name, "
    "r.point_count, r.host, r.gpu_index, r.device_uuid, r.pci_bus_id, r.gpu_serial, r.job, r.job_task";

run_summary read_summary(const result& r, int row) {
    run_summary s;
    s.id = r.integer(row, 0);
    s.created_at = r.text(row, 1);
    s.m = r.integer(row, 2);
    s.n = r.integer(row, 3);
    s.k = r.integer(row, 4);
    s.precisions = detail::parse_list(r.text(row, 5));
    s.hardware_key = r.text(row, 6);
    s.backend = r.text(row, 7);
    s.device_name = r.text(row, 8);
    s.point_count = static_cast<std::size_t>(r.integer(row, 9));
    s.host = r.text(row, 10);
    if (!r.null(row, 11)) {
        s.gpu_index = r.integer(row, 11);
    }
    s.device_uuid = r.text(row, 12);
    s.pci_bus_id = r.text(row, 13);
    s.gpu_serial = r.text(row, 14);
    s.job = r.text(row, 15);
    if (!r.null(row, 16)) {
        s.job_task = r.integer(row, 16);
    }
    return s;
}

run_record read_record(const result& r, int row) {
    run_record rec{read_summary(r, row), detail::full_answer(r.text(row, 17), r.text(row, 18))};
    detail::check_answer(rec.summary.id, rec.answer_json);
    return rec;
}

std::string record_sql(const std::string& where) {
    return std::string(summary_columns) +
           ", r.answer, COALESCE(h.roofs, '') FROM runs r LEFT JOIN hardware_snapshots h ON h.id = "
           "r.hardware_id" +
           where;
}

class reader_pool {
  public:
    reader_pool(std::string url, std::size_t size)
        : m_url(std::move(url)), m_size(std::max<std::size_t>(1, size)) {}
    // Runs fn on a pooled connection; once again on a fresh one when the connection had been lost (the server
    // restarted since the last read).
    template <class Fn>
    auto with(Fn&& fn) {
        auto c = take();
        struct give_back {
            reader_pool& pool;
            std::unique_ptr<connection>& c;
            ~give_back() { pool.put(std::move(c)); }
        } guard{*this, c};
        try {
            return fn(*c);
        } catch (const store_error&) {
            if (c->ok()) {
                throw;
            }
        }
        c->reconnect();
        return fn(*c);
    }

  private:
    std::unique_ptr<connection> take() {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return !m_idle.empty() || m_open < m_size; });
        if (!m_idle.empty()) {
            auto c = std::move(m_idle.back());
            m_idle.pop_back();
            return c;
        }
        ++m_open;
        lock.unlock();
        try {
            return std::make_unique<connection>(m_url);
        } catch (...) {
            std::lock_guard again(m_mutex);
            --m_open;
            m_cv.notify_one();
            throw;
        }
    }
    void put(std::unique_ptr<connection> c) {
        {
            std::lock_guard lock(m_mutex);
            if (c && c->ok()) {
                m_idle.push_back(std::move(c));
            } else {
                --m_open;
            }
        }
        m_cv.notify_one();
    }
    std::string m_url;
    std::size_t m_size;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<std::unique_ptr<connection>> m_idle;
    std::size_t m_open = 0;
};

using detail::insert_op;
using detail::prune_op;
using detail::remove_op;
using detail::write_op;
using detail::write_result;

class pg_store final : public run_store {
  public:
    pg_store(const std::string& url, const store_options& options);
    ~pg_store() override;

    std::future<std::int64_t> submit(new_run run) override { return enqueue(insert_op{std::move(run), {}}); }
    void submit_then(new_run run, commit_callback done) override {
        (void)enqueue(insert_op{std::move(run), detail::insert_promise(std::move(done))});
    }
    bool remove(std::int64_t id) override { return enqueue(remove_op{id, {}}).get(); }
    std::size_t prune_before(const std::string& utc_iso) override {
        return enqueue(prune_op{utc_iso, {}}).get();
    }
    std::optional<run_record> get(std::int64_t id) const override;
    run_page list(const run_filter& filter) const override;
    void for_each_record(const run_filter& filter, const std::function<bool(run_record&)>& fn) const override;
    std::size_t count() const override;
    int schema_version() const override { return m_schema_version; }
    std::string engine() const override { return "postgresql"; }
    std::string location() const override { return redact_url(m_url); }

  private:
    template <class Op>
    auto enqueue(Op op) -> decltype(op.done.get_future()) {
        auto fut = op.done.get_future();
        {
            std::unique_lock lock(m_queue_mutex);
            m_space_cv.wait(lock, [&] { return m_queue.size() < m_options.max_pending; });
            m_queue.emplace_back(std::move(op));
        }
        m_queue_cv.notify_one();
        return fut;
    }
    void run_writer();
    void write_batch(std::vector<write_op>& batch);
    void transact(std::vector<write_op>& batch, std::vector<write_result>& results);
    void apply(write_op& op, write_result& result);
    std::optional<std::int64_t> hardware_id(const new_run& r);
    void refuse_when_full(std::vector<write_op>& batch);

    std::string m_url;
    store_options m_options;
    int m_schema_version = 0;
    std::string m_host = local_host_name();
    std::unique_ptr<connection> m_writer; // writer thread only, once started
    mutable reader_pool m_readers;
    std::unordered_map<std::string, std::int64_t> m_hardware_ids;

    std::mutex m_queue_mutex;
    std::condition_variable m_queue_cv;
    std::condition_variable m_space_cv;
    std::deque<write_op> m_queue;
    bool m_stopping = false;
    std::thread m_thread;
};

pg_store::pg_store(const std::string& url, const store_options& options)
    : m_url(url), m_options(options), m_readers(url, options.readers) {
    if (m_options.max_batch == 0) {
        m_options.max_batch = 1;
    }
    m_writer = std::make_unique<connection>(url);
    (void)migrate(*m_writer);
    check_schema(*m_writer);
    m_schema_version = current_schema_version;
    m_thread = std::thread([this] { run_writer(); });
}

pg_store::~pg_store() {
    {
        std::lock_guard lock(m_queue_mutex);
        m_stopping = true;
    }
    m_queue_cv.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

std::optional<std::int64_t> pg_store::hardware_id(const new_run& r) {
    if (r.hardware_json.empty()) {
        return std::nullopt;
    }
    if (const auto it = m_hardware_ids.find(r.hardware_json); it != m_hardware_ids.end()) {
        return it->second;
    }
    // Another node may insert the same roofs at once: the conflict waits for it, then the SELECT sees its
    // row.
    (void)exec(
        *m_writer,
        "INSERT INTO hardware_snapshots (hardware_key, roofs) VALUES ($1, $2) ON CONFLICT ((md5(roofs))) "
        "DO NOTHING",
        params{}.add(r.hardware_key).add(r.hardware_json), "insert hardware snapshot");
    auto sel = exec(*m_writer, "SELECT id FROM hardware_snapshots WHERE md5(roofs) = md5($1) AND roofs = $1",
                    params{}.add(r.hardware_json), "select hardware snapshot");
    if (sel.rows() != 1) {
        throw store_error("hardware snapshot", "inserted snapshot not found");
    }
    const auto id = sel.integer(0, 0);
    if (m_hardware_ids.size() < 1024) {
        m_hardware_ids.emplace(r.hardware_json, id);
    }
    return id;
}

void pg_store::apply(write_op& op, write_result& out) {
    if (auto* ins = std::get_if<insert_op>(&op)) {
        const auto& r = ins->run;
        const auto hw = hardware_id(r);
        params p;
        p.add(utc_timestamp()).add(r.m).add(r.n).add(r.k).add(json(r.precisions).dump()).add(r.hardware_key);
        p.add(r.backend).add(r.device_name).add(r.device_uuid).add(r.driver_version).add(r.sm_clock_mhz);
        p.add(r.tool_version).add(static_cast<std::int64_t>(r.schema_version));
        p.add(static_cast<std::int64_t>(r.points.size())).add(r.answer_json).add(hw);
        p.add(r.host.empty() ? m_host : r.host).add(r.gpu_index).add(r.pci_bus_id).add(r.gpu_serial);
        p.add(r.job).add(r.job_task);
        auto res = exec(
            *m_writer,
            "INSERT INTO runs (created_at, m, n, k, precisions, hardware_key, backend, device_name, "
            "device_uuid, driver_version, sm_clock_mhz, tool_version, schema_version, point_count, "
            "answer, hardware_id, host, gpu_index, pci_bus_id, gpu_serial, job, job_task) VALUES ($1, $2, "
            "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) "
            "RETURNING id",
            p, "insert run");
        const auto id = res.integer(0, 0);
        std::int64_t idx = 0;
        for (const auto& pt : r.points) {
            (void)exec(
                *m_writer,
                "INSERT INTO run_points (run_id, idx, precision, source, disposition, time_s) VALUES ($1, "
                "$2, $3, $4, $5, $6)",
                params{}
                    .add(id)
                    .add(idx++)
                    .add(pt.precision)
                    .add(pt.source)
                    .add(pt.disposition)
                    .add(pt.time_s),
                "insert point");
        }
        out = id;
    } else if (auto* rm = std::get_if<remove_op>(&op)) {
        auto res = exec(*m_writer, "DELETE FROM runs WHERE id = $1", params{}.add(rm->id), "delete run");
        out = std::string(PQcmdTuples(res.get())) != "0";
    } else {
        auto& pr = std::get<prune_op>(op);
        auto res =
            exec(*m_writer, "DELETE FROM runs WHERE created_at < $1", params{}.add(pr.before), "prune");
        out = static_cast<std::size_t>(std::stoull(PQcmdTuples(res.get())));
    }
}

void pg_store::refuse_when_full(std::vector<write_op>& batch) {
    if (m_options.max_db_bytes == 0 || std::none_of(batch.begin(), batch.end(), [](const auto& o) {
            return std::holds_alternative<insert_op>(o);
        })) {
        return;
    }
    auto r = exec(*m_writer, "SELECT pg_database_size(current_database())", {}, "database size");
    const auto used = static_cast<std::uint64_t>(r.integer(0, 0));
    if (used < m_options.max_db_bytes) {
        return;
    }
    const auto full = std::make_exception_ptr(
        store_error("insert (--max-db-bytes)", detail::full_message(used, m_options.max_db_bytes)));
    std::vector<write_op> rest;
    for (auto& op : batch) {
        if (auto* ins = std::get_if<insert_op>(&op)) {
            ins->done.set_exception(full);
        } else {
            rest.push_back(std::move(op));
        }
    }
    batch = std::move(rest);
}

// The batch in one transaction. Throws not_committed when it failed before COMMIT was sent (nothing of it
// can be in the database), store_error when COMMIT itself failed (the outcome is unknown).
void pg_store::transact(std::vector<write_op>& batch, std::vector<write_result>& results) {
    try {
        (void)exec(*m_writer, "BEGIN", {}, "begin batch");
        for (std::size_t i = 0; i < batch.size(); ++i) {
            apply(batch[i], results[i]);
        }
    } catch (const store_error&) {
        rollback(*m_writer);
        m_hardware_ids.clear();
        throw not_committed{};
    }
    try {
        (void)exec(*m_writer, "COMMIT", {}, "commit batch");
    } catch (const store_error&) {
        m_hardware_ids.clear();
        throw;
    }
}

void pg_store::write_batch(std::vector<write_op>& batch) {
    std::vector<write_result> results(batch.size(), std::int64_t{0});
    auto fail_all = [&](const std::exception_ptr& e) {
        for (auto& op : batch) {
            std::visit([&](auto& o) { o.done.set_exception(e); }, op);
        }
    };
    for (int attempt = 0;; ++attempt) {
        try {
            if (!m_writer || !m_writer->ok()) {
                if (!m_writer) {
                    m_writer = std::make_unique<connection>(m_url);
                } else {
                    m_writer->reconnect();
                }
            }
            refuse_when_full(batch);
            results.assign(batch.size(), std::int64_t{0});
            if (batch.empty()) {
                return;
            }
            transact(batch, results);
            break;
        } catch (const not_committed&) {
            if (!m_writer->ok() && attempt == 0) {
                continue; // the server went away between two batches: once more on a fresh connection
            }
            if (!m_writer->ok() || batch.size() == 1) {
                // Re-run to get the error itself for the futures.
                try {
                    if (m_writer->ok()) {
                        (void)exec(*m_writer, "BEGIN");
                        apply(batch[0], results[0]);
                    }
                    throw store_error("write",
                                      "PostgreSQL at " + redact_url(m_url) +
                                          " refused the write and the connection was lost; nothing of "
                                          "it was committed; check the server given to --db");
                } catch (...) {
                    rollback(*m_writer);
                    fail_all(std::current_exception());
                }
                return;
            }
            // One bad write must not fail its neighbours: each alone in its own transaction.
            for (std::size_t i = 0; i < batch.size(); ++i) {
                std::vector<write_op> one;
                one.push_back(std::move(batch[i]));
                write_batch(one);
            }
            return;
        } catch (...) {
            fail_all(std::current_exception());
            return;
        }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (auto* ins = std::get_if<insert_op>(&batch[i])) {
            ins->done.set_value(std::get<std::int64_t>(results[i]));
        } else if (auto* rm = std::get_if<remove_op>(&batch[i])) {
            rm->done.set_value(std::get<bool>(results[i]));
        } else {
            std::get<prune_op>(batch[i]).done.set_value(std::get<std::size_t>(results[i]));
        }
    }
}

void pg_store::run_writer() {
    std::vector<write_op> batch;
    for (;;) {
        {
            std::unique_lock lock(m_queue_mutex);
            m_queue_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty()) {
                return;
            }
            while (!m_queue.empty() && batch.size() < m_options.max_batch) {
                batch.push_back(std::move(m_queue.front()));
                m_queue.pop_front();
            }
        }
        m_space_cv.notify_all();
        write_batch(batch);
        batch.clear();
    }
}

std::optional<run_record> pg_store::get(std::int64_t id) const {
    return m_readers.with([&](connection& c) -> std::optional<run_record> {
        auto r = exec(c, record_sql(" WHERE r.id = $1"), params{}.add(id), "get run");
        if (r.rows() == 0) {
            return std::nullopt;
        }
        return read_record(r, 0);
    });
}

run_page pg_store::list(const run_filter& filter) const {
    return m_readers.with([&](connection& c) {
        auto w = make_where(filter);
        run_page page;
        // One snapshot so the page and the total agree while other nodes commit.
        (void)exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        try {
            auto total = exec(c, "SELECT count(*) FROM runs r" + w.sql, w.p, "count runs");
            page.total = static_cast<std::size_t>(total.integer(0, 0));
            const auto n = w.p.values.size();
            w.p.add(static_cast<std::int64_t>(filter.limit)).add(static_cast<std::int64_t>(filter.offset));
            auto rows =
                exec(c,
                     std::string(summary_columns) + " FROM runs r" + w.sql + " ORDER BY r.id DESC LIMIT $" +
                         std::to_string(n + 1) + " OFFSET $" + std::to_string(n + 2),
                     w.p, "list runs");
            for (int i = 0; i < rows.rows(); ++i) {
                page.runs.push_back(read_summary(rows, i));
            }
            (void)exec(c, "COMMIT");
        } catch (...) {
            rollback(c);
            throw;
        }
        return page;
    });
}

void pg_store::for_each_record(const run_filter& filter, const std::function<bool(run_record&)>& fn) const {
    m_readers.with([&](connection& c) {
        auto w = make_where(filter);
        const auto n = w.p.values.size();
        w.p.add(static_cast<std::int64_t>(filter.limit)).add(static_cast<std::int64_t>(filter.offset));
        const auto sql = record_sql(w.sql) + " ORDER BY r.id DESC LIMIT $" + std::to_string(n + 1) +
                         " OFFSET $" + std::to_string(n + 2);
        std::vector<const char*> v;
        for (const auto& x : w.p.values) {
            v.push_back(x ? x->c_str() : nullptr);
        }
        if (PQsendQueryParams(c.get(), sql.c_str(), static_cast<int>(v.size()), nullptr, v.data(), nullptr,
                              nullptr, 0) == 0) {
            throw store_error("PQsendQueryParams(records)", message_of(c, nullptr));
        }
        // Row by row: an export of thousands of runs holds one answer in memory at a time.
        (void)PQsetSingleRowMode(c.get());
        bool wanted = true;
        std::optional<store_error> failed;
        while (PGresult* raw = PQgetResult(c.get())) {
            result r(raw);
            const auto status = PQresultStatus(raw);
            if (status == PGRES_SINGLE_TUPLE && wanted && !failed) {
                try {
                    auto rec = read_record(r, 0);
                    wanted = fn(rec);
                } catch (const store_error& e) {
                    failed = e; // drain the rest so the connection stays usable
                }
            } else if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && !failed) {
                failed = store_error("records", message_of(c, raw));
            }
        }
        if (failed) {
            throw *failed;
        }
        return 0;
    });
}

std::size_t pg_store::count() const {
    return m_readers.with([&](connection& c) {
        return static_cast<std::size_t>(exec(c, "SELECT count(*) FROM runs").integer(0, 0));
    });
}

} // namespace

std::unique_ptr<run_store> open_postgresql_store(const std::string& url, const store_options& options) {
    return std::make_unique<pg_store>(url, options);
}

} // namespace roofline::store
