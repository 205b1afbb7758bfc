#include "roofline/core/int4_gemm.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace roofline::int4_gemm {
namespace {

std::uint32_t load_word(std::span<const std::uint8_t> bytes, std::int64_t offset) {
    std::uint32_t w = 0;
    for (int i = 0; i < 4; ++i) {
        w |= static_cast<std::uint32_t>(bytes[static_cast<std::size_t>(offset + i)]) << (8 * i);
    }
    return w;
}

// Element e (0..7) of a register: bits 4e..4e+3, sign-extended.
int s4(std::uint32_t word, int e) {
    const int v = static_cast<int>((word >> (4 * e)) & 0xFu);
    return v >= 8 ? v - 16 : v;
}

} // namespace

std::vector<std::uint8_t> pack(std::span<const std::int8_t> values, std::int64_t rows, std::int64_t k) {
    if (k <= 0 || k % 2 != 0 || rows <= 0 || static_cast<std::int64_t>(values.size()) != rows * k) {
        throw std::invalid_argument(
            "INT4 pack: k = " + std::to_string(k) + " must be even and values must hold rows·k = " +
            std::to_string(rows * k) + " (holds " + std::to_string(values.size()) + ")");
    }
    std::vector<std::uint8_t> out(static_cast<std::size_t>(rows * k / 2), 0);
    for (std::int64_t i = 0; i < rows * k; ++i) {
        const int v = values[static_cast<std::size_t>(i)];
        if (v < -8 || v > 7) {
            throw std::invalid_argument("INT4 pack: value " + std::to_string(v) + " at index " +
                                        std::to_string(i) + " is outside [-8, 7]");
        }
        out[static_cast<std::size_t>(i / 2)] |= static_cast<std::uint8_t>((v & 0xF) << (4 * (i % 2)));
    }
    return out;
}

std::int8_t unpack_one(std::span<const std::uint8_t> packed, std::int64_t index) {
    const int v = (packed[static_cast<std::size_t>(index / 2)] >> (4 * (index % 2))) & 0xF;
    return static_cast<std::int8_t>(v >= 8 ? v - 16 : v);
}

std::vector<std::int32_t> reference(std::span<const std::int8_t> a, std::span<const std::int8_t> b,
                                    std::int64_t m, std::int64_t n, std::int64_t k) {
    std::vector<std::int32_t> c(static_cast<std::size_t>(m * n), 0);
    for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
            std::int32_t s = 0;
            for (std::int64_t kk = 0; kk < k; ++kk) {
                s += a[static_cast<std::size_t>(i * k + kk)] * b[static_cast<std::size_t>(j * k + kk)];
            }
            c[static_cast<std::size_t>(i * n + j)] = s;
        }
    }
    return c;
}

std::vector<std::int32_t> emulate_kernel(std::span<const std::uint8_t> a_packed,
                                         std::span<const std::uint8_t> b_packed, std::int64_t m,
                                         std::int64_t n, std::int64_t k) {
    if (m <= 0 || n <= 0 || k <= 0 || m % tile_m != 0 || n % tile_n != 0 || k % tile_k != 0) {
        throw std::invalid_argument("INT4 kernel: m, n, k = " + std::to_string(m) + ", " + std::to_string(n) +
                                    ", " + std::to_string(k) + " must be positive multiples of 16, 8 and 64");
    }
    if (static_cast<std::int64_t>(a_packed.size()) != m * k / 2 ||
        static_cast<std::int64_t>(b_packed.size()) != n * k / 2) {
        throw std::invalid_argument("INT4 kernel: packed operands must hold m·k/2 and n·k/2 bytes");
    }
    std::vector<std::int32_t> c(static_cast<std::size_t>(m * n), 0);
    for (std::int64_t row0 = 0; row0 < m; row0 += tile_m) {
        for (std::int64_t col0 = 0; col0 < n; col0 += tile_n) {
            std::array<std::array<std::int32_t, 4>, 32> acc{};
            for (std::int64_t k0 = 0; k0 < k; k0 += tile_k) {
                std::array<std::array<std::uint32_t, 4>, 32> ra{};
                std::array<std::array<std::uint32_t, 2>, 32> rb{};
                for (int lane = 0; lane < 32; ++lane) {
                    for (int r = 0; r < 4; ++r) {
                        ra[lane][r] = load_word(a_packed, a_word(row0, k0, lane, r, k));
                    }
                    for (int r = 0; r < 2; ++r) {
                        rb[lane][r] = load_word(b_packed, b_word(col0, k0, lane, r, k));
                    }
                }
                // The mma: D(i, j) += Σ_kk A(i, kk)·B(kk, j) with A(i, kk) held by lane 4·(i%8) + (kk%32)/8
                // in register (i/8) + 2·(kk/32), element kk%8; B(kk, j) by lane 4·j + (kk%32)/8, register
                // kk/32.
                for (int lane = 0; lane < 32; ++lane) {
                    for (int r = 0; r < 4; ++r) {
                        const int i = c_row(lane, r);
                        const int j = c_col(lane, r);
                        std::int32_t s = 0;
                        for (int kk = 0; kk < tile_k; ++kk) {
                            const int a_lane = 4 * (i % 8) + (kk % 32) / 8;
                            const int a_reg = i / 8 + 2 * (kk / 32);
                            const int b_lane = 4 * j + (kk % 32) / 8;
                            const int b_reg = kk / 32;
                            s += s4(ra[a_lane][a_reg], kk % 8) * s4(rb[b_lane][b_reg], kk % 8);
                        }
                        acc[lane][r] += s;
                    }
                }
            }
            for (int lane = 0; lane < 32; ++lane) {
                for (int r = 0; r < 4; ++r) {
                    c[static_cast<std::size_t>((row0 + c_row(lane, r)) * n + col0 + c_col(lane, r))] =
                        acc[lane][r];
                }
            }
        }
    }
    return c;
}

} // namespace roofline::int4_gemm
