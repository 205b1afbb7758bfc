// The run store: every analysis the server answers, kept in an embedded SQLite database.
//
// Durability model. The database runs in WAL mode with synchronous=NORMAL: a transaction is durable against a
// crash of the process (kill -9) as soon as COMMIT returns, because the WAL frames are already in the operating
// system's page cache; only a power cut can lose the last transactions (SQLite's documented trade-off for
// WAL+NORMAL). A run counts as committed when the future returned by submit() is ready: the server only
// answers with a run id after that point, so an id a client has seen is never lost by killing the server.
//
// Throughput model. One writer thread owns the only writing connection and commits whatever is queued in one
// transaction (group commit; under load it waits up to commit_gather for more), so storing a prediction costs an
// INSERT, not a transaction. Checkpoints never run inside a commit: a checkpointer thread copies the WAL into the
// database and fsyncs it on its own connection, and the writer only finishes the last few frames once per 64 MiB
// of WAL so that the WAL restarts. Readers use their own connection (WAL lets them read while the writer writes).
// The answer's hardware roofs, the same for every run on one registry entry, are stored once.
//
// Schema. PRAGMA user_version holds the schema version; open() applies the migrations from the file's version
// up to current_schema_version in one transaction each, and refuses a file written by a newer tool.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace roofline::store {

inline constexpr int current_schema_version = 2;

// A failure of SQLite: the native result code and the call that failed.
class store_error : public std::runtime_error {
  public:
    store_error(int code, std::string call, const std::string& message)
        : std::runtime_error(call + ": " + message + " (sqlite code " + std::to_string(code) + ")"), m_code(code),
          m_call(std::move(call)) {}
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
    std::string device_uuid;
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
};

struct run_record {
    run_summary summary;
    std::string answer_json; // whole: "hardware" included
};

struct run_filter {
    std::optional<std::string> hardware_key;
    std::optional<std::string> precision; // a point of the run has this precision label
    std::optional<std::string> source;    // a point of the run has this source
    std::size_t limit = 50;
    std::size_t offset = 0;
};

struct run_page {
    std::vector<run_summary> runs; // newest first
    std::size_t total = 0;         // matching runs, ignoring limit/offset
};

struct store_options {
    std::size_t max_batch = 512;     // runs per group-commit transaction
    std::size_t max_pending = 65536; // submit() blocks (back-pressure) above this many queued writes
    // Under load, how long the writer waits for more runs before a commit (adds at most this to a request's
    // latency; an idle server commits at once). 0: commit whatever is queued immediately.
    std::chrono::microseconds commit_gather{1000};
};

class run_store {
  public:
    // Opens or creates the database, migrates it, starts the writer thread. Throws store_error.
    [[nodiscard]] static std::unique_ptr<run_store> open(const std::filesystem::path& path,
                                                         const store_options& options = {});
    run_store(const run_store&) = delete;
    run_store& operator=(const run_store&) = delete;
    ~run_store(); // drains the queue (every submitted run is committed) and joins the writer

    // Queues a run; the future yields its id once its transaction has committed, or throws store_error.
    [[nodiscard]] std::future<std::int64_t> submit(new_run run);
    [[nodiscard]] std::int64_t insert(new_run run) { return submit(std::move(run)).get(); }
    // Deletes through the writer; false when no such run.
    [[nodiscard]] bool remove(std::int64_t id);

    [[nodiscard]] std::optional<run_record> get(std::int64_t id) const;
    [[nodiscard]] run_page list(const run_filter& filter) const;
    // The answers of matching runs (newest first), for exports.
    [[nodiscard]] std::vector<run_record> records(const run_filter& filter) const;
    [[nodiscard]] std::size_t count() const;
    [[nodiscard]] int schema_version() const;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

  private:
    struct impl;
    explicit run_store(std::unique_ptr<impl> p, std::filesystem::path path);
    std::unique_ptr<impl> m_impl;
    std::filesystem::path m_path;
};

// "2026-02-14T10:11:12.345Z" for now (UTC).
[[nodiscard]] std::string utc_timestamp();

} // namespace roofline::store
