// What both engines share: the schema's expected shape (checked on open), the answer splice, the summary's
// list parsing. Internal to roofline::store.
#pragma once

#include "roofline/store/run_store.hpp"

#include <cstdint>
#include <future>
#include <string>
#include <variant>
#include <vector>

namespace roofline::store::detail {

// An insert's answer: a future (submit) or a callback (submit_then) behind the three calls of a promise, so
// the writer code of both engines serves either without knowing which.
class insert_promise {
  public:
    insert_promise() = default;
    explicit insert_promise(commit_callback then) : m_then(std::move(then)) {}
    [[nodiscard]] std::future<std::int64_t> get_future() { return m_promise.get_future(); }
    void set_value(std::int64_t id) {
        if (m_then) {
            call(id, nullptr);
        } else {
            m_promise.set_value(id);
        }
    }
    void set_exception(const std::exception_ptr& e) {
        if (m_then) {
            call(0, e);
        } else {
            m_promise.set_exception(e);
        }
    }

  private:
    // Runs on the writer thread: an exception out of it would end that thread and with it every write.
    void call(std::int64_t id, const std::exception_ptr& e) noexcept {
        try {
            m_then(id, e);
        } catch (...) { // NOLINT(bugprone-empty-catch): nothing to tell; the caller's answer is its own
        }
    }
    std::promise<std::int64_t> m_promise;
    commit_callback m_then;
};

// The writer thread's queue items, the same for both engines: each carries the promise its caller waits on.
struct insert_op {
    new_run run;
    insert_promise done;
};
struct remove_op {
    std::int64_t id = 0;
    std::promise<bool> done;
};
struct prune_op {
    std::string before;
    std::promise<std::size_t> done;
};
using write_op = std::variant<insert_op, remove_op, prune_op>;
using write_result = std::variant<std::int64_t, bool, std::size_t>;

struct table_shape {
    const char* table;
    std::vector<const char*> columns;
};

// Every table and column of schema current_schema_version (both engines create the same names). A database
// lacking one was damaged or written by something else: open() refuses it instead of failing mid-request.
[[nodiscard]] const std::vector<table_shape>& expected_schema();

// The columns found, compared with expected_schema(): empty when complete, else a sentence naming the first
// missing table or column and what to do.
[[nodiscard]] std::string
schema_problem(const std::string& location,
               const std::vector<std::pair<std::string, std::vector<std::string>>>& found);

// "a schema version the tool does not know" (negative, or newer than current_schema_version): the sentence.
[[nodiscard]] std::string unknown_version_message(const std::string& location, long long version);

// The stored answer with its "hardware" member put back (when it was stored apart).
[[nodiscard]] std::string full_answer(std::string answer, const std::string& roofs);

// The full answer, checked: a row whose text is not a JSON object is never served as one.
void check_answer(std::int64_t id, const std::string& answer);

[[nodiscard]] std::vector<std::string> parse_list(const std::string& text);

// The message for a write refused by --max-db-bytes.
[[nodiscard]] std::string full_message(std::uint64_t used, std::uint64_t limit);

} // namespace roofline::store::detail
