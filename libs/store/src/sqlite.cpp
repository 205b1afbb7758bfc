#include "sqlite.hpp"

namespace roofline::store::sql {

database::database(const std::string& path, bool create) {
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string msg = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close(m_db);
        m_db = nullptr;
        throw store_error(rc, "sqlite3_open_v2(" + path + ")", msg);
    }
    sqlite3_extended_result_codes(m_db, 1);
    // Readers wait for a checkpoint or a migration instead of failing with SQLITE_BUSY.
    sqlite3_busy_timeout(m_db, 10000);
}

database& database::operator=(database&& o) noexcept {
    if (this != &o) {
        sqlite3_close(m_db);
        m_db = o.m_db;
        o.m_db = nullptr;
    }
    return *this;
}

database::~database() {
    sqlite3_close(m_db);
}

void database::fail(int rc, const std::string& call) const {
    throw store_error(rc, call, m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc));
}

void database::exec(const std::string& sql, const char* what) const {
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        const std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw store_error(rc, std::string("sqlite3_exec(") + what + ")", msg);
    }
}

statement::statement(const database& db, std::string_view sql) : m_db(db), m_sql(sql) {
    const int rc =
        sqlite3_prepare_v2(db.get(), m_sql.c_str(), static_cast<int>(m_sql.size()), &m_stmt, nullptr);
    if (rc != SQLITE_OK) {
        db.fail(rc, "sqlite3_prepare_v2(" + m_sql + ")");
    }
}

statement::~statement() {
    sqlite3_finalize(m_stmt);
}

void statement::bind(int index, std::int64_t v) {
    if (const int rc = sqlite3_bind_int64(m_stmt, index, v); rc != SQLITE_OK) {
        m_db.fail(rc, "sqlite3_bind_int64");
    }
}

void statement::bind(int index, double v) {
    if (const int rc = sqlite3_bind_double(m_stmt, index, v); rc != SQLITE_OK) {
        m_db.fail(rc, "sqlite3_bind_double");
    }
}

void statement::bind(int index, std::string_view v) {
    if (const int rc = sqlite3_bind_text64(m_stmt, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        rc != SQLITE_OK) {
        m_db.fail(rc, "sqlite3_bind_text64");
    }
}

void statement::bind(int index, const std::optional<double>& v) {
    if (v) {
        bind(index, *v);
    } else {
        bind_null(index);
    }
}

void statement::bind_null(int index) {
    if (const int rc = sqlite3_bind_null(m_stmt, index); rc != SQLITE_OK) {
        m_db.fail(rc, "sqlite3_bind_null");
    }
}

bool statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    m_db.fail(rc, "sqlite3_step(" + m_sql + ")");
}

void statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

std::int64_t statement::column_int(int i) const {
    return sqlite3_column_int64(m_stmt, i);
}
double statement::column_double(int i) const {
    return sqlite3_column_double(m_stmt, i);
}
bool statement::column_null(int i) const {
    return sqlite3_column_type(m_stmt, i) == SQLITE_NULL;
}

std::string statement::column_text(int i) const {
    const auto* p = sqlite3_column_text(m_stmt, i);
    if (p == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, i))};
}

} // namespace roofline::store::sql
