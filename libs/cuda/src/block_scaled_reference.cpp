#include "block_scaled_reference.hpp"

#include <stdexcept>

namespace roofline::cuda {

std::int64_t spread_index(int s, int count, std::int64_t extent) {
    if (extent <= count) {
        return s;
    }
    return count == 1 ? 0 : static_cast<std::int64_t>(s) * (extent - 1) / (count - 1);
}

void block_scaled_reference(const block_scaled_matrix& first, const block_scaled_matrix& second,
                            int sample_rows, int sample_cols, std::vector<double>& pairs,
                            scale_layout::kind order) {
    if (pairs.size() != 2 * static_cast<std::size_t>(sample_rows) * static_cast<std::size_t>(sample_cols)) {
        throw std::invalid_argument("block_scaled_reference: pairs does not match the sample grid");
    }
    // Each sampled row of both operands decoded once: 2 · 64 rows of K values instead of 64 · 64 · 2 · K
    // decodes.
    const auto decode_rows = [order](const block_scaled_matrix& m, int count) {
        std::vector<std::vector<double>> rows(static_cast<std::size_t>(count));
        for (int s = 0; s < count; ++s) {
            const auto r = spread_index(s, count, m.rows);
            auto& out = rows[static_cast<std::size_t>(s)];
            out.resize(static_cast<std::size_t>(m.cols));
            for (std::int64_t k = 0; k < m.cols; ++k) {
                out[static_cast<std::size_t>(k)] = m.value(r, k, order);
            }
        }
        return rows;
    };
    const auto a = decode_rows(first, sample_rows);
    const auto b = decode_rows(second, sample_cols);
    for (int si = 0; si < sample_rows; ++si) {
        for (int sj = 0; sj < sample_cols; ++sj) {
            const auto& x = a[static_cast<std::size_t>(si)];
            const auto& y = b[static_cast<std::size_t>(sj)];
            double sum = 0.0;
            for (std::size_t k = 0; k < x.size(); ++k) {
                sum += x[k] * y[k];
            }
            pairs[2 * (static_cast<std::size_t>(si) * static_cast<std::size_t>(sample_cols) +
                       static_cast<std::size_t>(sj)) +
                  1] = sum;
        }
    }
}

} // namespace roofline::cuda
