// A batch of GEMM cases (shape and precision per case) from CSV or JSON text.
//
// CSV: one case per line; '#' starts a comment; blank lines are skipped. An optional header names the
// columns (m,n,k,precision,a_precision,b_precision,out_precision,label or shape instead of m,n,k); without
// one the columns are m,n,k,precision or shape,precision. JSON: an array of objects with the same names, or
// {"cases": [...]}. A bad case is reported with its line (CSV) or case number (JSON) and field; the good
// cases still run. More cases than the limit refuse the whole batch with a message naming the limit.
#pragma once

#include "roofline/core/gemm.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace roofline::workload {

inline constexpr std::size_t max_batch_cases = 1000;

struct batch_case {
    std::size_t line = 0; // CSV line (1-based) or JSON case number (1-based)
    std::string label;
    gemm_problem problem;
};

struct batch_error {
    std::size_t line = 0;
    std::string field;
    std::string message; // "line 3, field 'k': ..."
};

struct batch_input {
    std::string format; // "csv" | "json"
    std::vector<batch_case> cases;
    std::vector<batch_error> errors;
};

// The whole batch cannot be read (not JSON, or over the limit). Names field and limit.
class batch_refused : public std::invalid_argument {
  public:
    batch_refused(std::string field, const std::string& what)
        : std::invalid_argument(what), m_field(std::move(field)) {}
    [[nodiscard]] const std::string& field() const noexcept { return m_field; }

  private:
    std::string m_field;
};

// JSON when the first non-blank character is '[' or '{', else CSV.
[[nodiscard]] batch_input parse_batch(std::string_view text, std::size_t limit = max_batch_cases);

} // namespace roofline::workload
