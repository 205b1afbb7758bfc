// Thin RAII over the SQLite C API: every failure becomes a store_error with the native code and the call.
#pragma once

#include "roofline/store/run_store.hpp"

#include <cstdint>
#include <optional>
#include <sqlite3.h>
#include <string>
#include <string_view>

namespace roofline::store::sql {

class database {
  public:
    database() = default;
    // Opens (creating when asked) with a busy timeout so a reader never fails on the writer's lock.
    database(const std::string& path, bool create);
    database(const database&) = delete;
    database& operator=(const database&) = delete;
    database(database&& o) noexcept : m_db(o.m_db) { o.m_db = nullptr; }
    database& operator=(database&& o) noexcept;
    ~database();

    [[nodiscard]] sqlite3* get() const noexcept { return m_db; }
    void exec(const std::string& sql, const char* what) const;
    [[noreturn]] void fail(int rc, const std::string& call) const;

  private:
    sqlite3* m_db = nullptr;
};

class statement {
  public:
    statement(const database& db, std::string_view sql);
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement();

    void bind(int index, std::int64_t v);
    void bind(int index, double v);
    void bind(int index, std::string_view v);
    void bind(int index, const std::optional<double>& v);
    void bind_null(int index);
    // true: a row is ready; false: done. Throws on error.
    [[nodiscard]] bool step();
    void reset();

    [[nodiscard]] std::int64_t column_int(int i) const;
    [[nodiscard]] double column_double(int i) const;
    [[nodiscard]] std::string column_text(int i) const;
    [[nodiscard]] bool column_null(int i) const;

  private:
    const database& m_db;
    sqlite3_stmt* m_stmt = nullptr;
    std::string m_sql;
};

} // namespace roofline::store::sql
