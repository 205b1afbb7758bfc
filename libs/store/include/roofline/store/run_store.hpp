// The run store: every analysis the server answers, kept in an embedded SQLite database (the default) or a
// shared PostgreSQL server (`--db postgresql://...`, pg_store.cpp), behind one interface (run_store).
//
// Durability model. The database runs in WAL mode with synchronous=NORMAL: a transaction is durable against a
// crash of the process (kill -9) as soon as COMMIT returns, because the WAL frames are already in the
// operating system's page cache; only a power cut can lose the last transactions (SQLite's documented
// trade-off for WAL+NORMAL). A run counts as committed when the future returned by submit() is ready: the
// server only answers with a run id after that point, so an id a client has seen is never lost by killing the
// server.
//
// Throughput model. One writer thread owns the only writing connection and commits whatever is queued in one
// transaction (group commit; under load it waits up to commit_gather for more), so storing a prediction costs
// an INSERT, not a transaction. Checkpoints never run inside a commit: a checkpointer thread copies the WAL
// into the database and fsyncs it on its own connection, and the writer only finishes the last few frames
// once per 64 MiB of WAL so that the WAL restarts. Readers use their own connection (WAL lets them read while
// the writer writes). The answer's hardware roofs, the same for every run on one registry entry, are stored
// once.
//
// Schema. PRAGMA user_version (PostgreSQL: the roofline_schema table) holds the schema version; open()
// applies the migrations from the database's version up to current_schema_version in one transaction each,
// refuses a version it does not know (newer, or negative), and checks that every table and column of the
// current schema is there before it serves anything.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace roofline::store {

inline constexpr int current_schema_version = 3;

// A failure of the database: the native result code (SQLite's result code; for PostgreSQL 0, its SQLSTATE in
// the message) and the call that failed.
class store_error : public std::runtime_error {
  public:
    store_error(int code, std::string call, const std::string& message)
        : std::runtime_error(call + ": " + message + " (sqlite code " + std::to_string(code) + ")"),
          m_code(code), m_call(std::move(call)) {}
    // Any other engine: the message says everything (engine, native code, the setting to fix).
    store_error(std::string call, const std::string& message)
        : std::runtime_error(call + ": " + message), m_code(0), m_call(std::move(call)) {}
    [[nodiscard]] int code() const noexcept { return m_code; }
    [[nodiscard]] const std::string& call() const noexcept { return m_call; }

  private:
    int m_code;
    std::string m_call;
};

// One point of a run, as indexed columns (the full point lives in the answer JSON).
struct point_row {
    std::string precision;   // the point's precision label ("FP16", "FP8_E4M3×FP8_E5M2→FP32")
    std::string source;      // "measured" | "predicted"
    std::string disposition; // "passed", "failed", ...
    std::optional<double> time_s;
};

// What the server stores for one answered analysis.
struct new_run {
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::vector<std::string> precisions;
    std::string hardware_key;
    std::string backend; // "gpu" | "prediction-only"
    std::string device_name;
    std::string device_uuid; // the GPU's identity: UUID, index on its node, PCI bus id, serial
    std::optional<std::int64_t> gpu_index;
    std::string pci_bus_id;
    std::string gpu_serial;
    std::string host; // the node that ran it; empty: this process's host name
    std::string job;  // the scheduler's job (Slurm: the array's job id) when one ran it, else empty
    std::optional<std::int64_t> job_task; // the array task
    std::string driver_version;
    std::optional<double> sm_clock_mhz; // mean SM clock over the measurement, when telemetry ran
    std::string tool_version;
    int schema_version = 0; // of the answer document
    std::vector<point_row> points;
    // The analyze answer without run_id. When hardware_json is given, answer_json lacks the "hardware" member
    // and hardware_json is it: stored once per distinct text and put back (as the first member) on reading.
    std::string answer_json;
    std::string hardware_json;
};

struct run_summary {
    std::int64_t id = 0;
    std::string created_at; // UTC, ISO 8601 with milliseconds
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::vector<std::string> precisions;
    std::string hardware_key;
    std::string backend;
    std::string device_name;
    std::size_t point_count = 0;
    std::string host;
    std::optional<std::int64_t> gpu_index;
    std::string device_uuid;
    std::string pci_bus_id;
    std::string gpu_serial;
    std::string job;
    std::optional<std::int64_t> job_task;
};

struct run_record {
    run_summary summary;
    std::string answer_json; // whole: "hardware" included
};

struct run_filter {
    std::optional<std::string> hardware_key;
    std::optional<std::string> precision; // a point of the run has this precision label
    std::optional<std::string> source;    // a point of the run has this source
    std::optional<std::string> host;      // the node's host name (case-insensitive)
    std::optional<std::string> gpu;       // the GPU: its index on the node, UUID or PCI bus id
    std::optional<std::string> job;       // the scheduler's job id
    std::size_t limit = 50;
    std::size_t offset = 0;
};

struct run_page {
    std::vector<run_summary> runs; // newest first
    std::size_t total = 0;         // matching runs, ignoring limit/offset
};

// Called once, on the store's writer thread, when a run submitted by submit_then() has committed (its id,
// error null) or failed (error set). It must not block: the next commit waits for it.
using commit_callback = std::function<void(std::int64_t id, std::exception_ptr error)>;

struct store_options {
    std::size_t max_batch = 512;     // runs per group-commit transaction
    std::size_t max_pending = 65536; // submit() blocks (back-pressure) above this many queued writes
    // Under load, how long the writer waits for more runs before a commit (adds at most this to a request's
    // latency; an idle server commits at once). 0: commit whatever is queued immediately.
    std::chrono::microseconds commit_gather{1000};
    // 0: no limit. Otherwise a write that would find the database at or above this size fails with a
    // store_error naming --max-db-bytes and `roofline runs prune`; reads and deletions go on.
    std::uint64_t max_db_bytes = 0;
    std::size_t readers = 4; // read connections: reads run concurrently, none waits behind another
};

// One interface, two engines: SQLite (a file path; the embedded default) and PostgreSQL (a postgresql:// or
// postgres:// URL, libpq's connection string). Every method may throw store_error.
class run_store {
  public:
    // Opens or creates the database, migrates it, checks its schema, starts the writer thread.
    [[nodiscard]] static std::unique_ptr<run_store> open(const std::string& location,
                                                         const store_options& options = {});
    [[nodiscard]] static std::unique_ptr<run_store> open(const std::filesystem::path& path,
                                                         const store_options& options = {}) {
        return open(path.string(), options);
    }
    run_store() = default;
    run_store(const run_store&) = delete;
    run_store& operator=(const run_store&) = delete;
    virtual ~run_store() =
        default; // drains the queue (every submitted run is committed) and joins the writer

    // Queues a run; the future yields its id once its transaction has committed, or throws store_error.
    [[nodiscard]] virtual std::future<std::int64_t> submit(new_run run) = 0;
    // The same, answered through `done` instead of a future: the caller holds no thread while its run waits
    // for the group commit (the HTTP layer's event loop answers once `done` is called).
    virtual void submit_then(new_run run, commit_callback done) = 0;
    [[nodiscard]] std::int64_t insert(new_run run) { return submit(std::move(run)).get(); }
    // Deletes through the writer; false when no such run.
    [[nodiscard]] virtual bool remove(std::int64_t id) = 0;
    // Deletes every run created before `utc_iso` ("2026-02-14T10:11:12.000Z"); returns how many.
    [[nodiscard]] virtual std::size_t prune_before(const std::string& utc_iso) = 0;

    // Throws store_error when the stored answer is not valid JSON (a damaged row is never served as one).
    [[nodiscard]] virtual std::optional<run_record> get(std::int64_t id) const = 0;
    [[nodiscard]] virtual run_page list(const run_filter& filter) const = 0;
    // The answers of matching runs (newest first), one at a time, for exports that stream: `fn` returning
    // false stops. Only one record is in memory at a time.
    virtual void for_each_record(const run_filter& filter,
                                 const std::function<bool(run_record&)>& fn) const = 0;
    [[nodiscard]] std::vector<run_record> records(const run_filter& filter) const {
        std::vector<run_record> out;
        for_each_record(filter, [&](run_record& r) {
            out.push_back(std::move(r));
            return true;
        });
        return out;
    }
    [[nodiscard]] virtual std::size_t count() const = 0;
    // The schema version found (and migrated to) at open: no database access, so a health check never waits.
    [[nodiscard]] virtual int schema_version() const = 0;
    // "sqlite" | "postgresql"
    [[nodiscard]] virtual std::string engine() const = 0;
    // The file path, or the URL without its password: safe to print.
    [[nodiscard]] virtual std::string location() const = 0;
    // The location as a path (for callers written before PostgreSQL: a URL comes back as its text).
    [[nodiscard]] std::filesystem::path path() const { return location(); }
};

// True for a postgresql:// or postgres:// URL (libpq's connection URI).
[[nodiscard]] bool is_postgresql_url(const std::string& location);
// The URL with any password replaced by "***".
[[nodiscard]] std::string redact_url(const std::string& url);

[[nodiscard]] std::unique_ptr<run_store> open_sqlite_store(const std::string& path,
                                                           const store_options& options);
// Throws store_error when the build has no libpq.
[[nodiscard]] std::unique_ptr<run_store> open_postgresql_store(const std::string& url,
                                                               const store_options& options);

// This machine's host name (the default of new_run::host).
[[nodiscard]] std::string local_host_name();

// "2026-02-14T10:11:12.345Z" for now (UTC).
[[nodiscard]] std::string utc_timestamp();

} // namespace roofline::store
