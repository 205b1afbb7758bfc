#include "roofline/core/w4a16.hpp"

#include <stdexcept>
#include <string>

namespace roofline::w4a16 {

void validate(std::int64_t n, std::int64_t k, std::int64_t group) {
    if (n <= 0 || n % tile_n != 0) {
        throw std::invalid_argument("W4A16: n = " + std::to_string(n) + " must be a positive multiple of 16");
    }
    if (k <= 0 || k % chunk_k != 0) {
        throw std::invalid_argument("W4A16: k = " + std::to_string(k) + " must be a positive multiple of 64");
    }
    if (group <= 0 || group % chunk_k != 0 || k % group != 0) {
        throw std::invalid_argument("W4A16: group = " + std::to_string(group) +
                                    " must be a multiple of 64 that divides k = " + std::to_string(k) +
                                    " (64, 128, ... or k itself for one scale per channel)");
    }
}

std::vector<std::uint8_t> pack(std::span<const std::uint8_t> codes, std::int64_t n, std::int64_t k) {
    validate(n, k, k);
    if (static_cast<std::int64_t>(codes.size()) != n * k) {
        throw std::invalid_argument("W4A16 pack: codes holds " + std::to_string(codes.size()) +
                                    " values, n·k = " + std::to_string(n * k));
    }
    std::vector<std::uint8_t> out(static_cast<std::size_t>(n * k / 2), 0);
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t c = 0; c < k; ++c) {
            const auto code = codes[static_cast<std::size_t>(r * k + c)];
            if (code > 15) {
                throw std::invalid_argument("W4A16 pack: code " + std::to_string(code) + " at (" +
                                            std::to_string(r) + ", " + std::to_string(c) + ") exceeds 15");
            }
            const auto p = position(r, c, k);
            out[static_cast<std::size_t>(p.byte)] |= static_cast<std::uint8_t>(code << p.shift);
        }
    }
    return out;
}

std::vector<std::uint8_t> unpack(std::span<const std::uint8_t> packed, std::int64_t n, std::int64_t k) {
    validate(n, k, k);
    if (static_cast<std::int64_t>(packed.size()) != n * k / 2) {
        throw std::invalid_argument("W4A16 unpack: packed holds " + std::to_string(packed.size()) +
                                    " bytes, n·k/2 = " + std::to_string(n * k / 2));
    }
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(n * k));
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t c = 0; c < k; ++c) {
            const auto p = position(r, c, k);
            codes[static_cast<std::size_t>(r * k + c)] =
                static_cast<std::uint8_t>((packed[static_cast<std::size_t>(p.byte)] >> p.shift) & 0xFu);
        }
    }
    return codes;
}

std::vector<float> dequantize(std::span<const std::uint8_t> packed, std::span<const float> scales,
                              std::int64_t n, std::int64_t k, std::int64_t group) {
    validate(n, k, group);
    if (static_cast<std::int64_t>(scales.size()) != n * (k / group)) {
        throw std::invalid_argument("W4A16 dequantize: scales holds " + std::to_string(scales.size()) +
                                    " values, n·(k/group) = " + std::to_string(n * (k / group)));
    }
    const auto codes = unpack(packed, n, k);
    std::vector<float> w(codes.size());
    for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t c = 0; c < k; ++c) {
            const float s = scales[static_cast<std::size_t>((c / group) * n + r)];
            w[static_cast<std::size_t>(r * k + c)] =
                static_cast<float>(static_cast<int>(codes[static_cast<std::size_t>(r * k + c)]) - zero_code) *
                s;
        }
    }
    return w;
}

std::vector<double> reference_gemm(std::span<const float> x, std::span<const float> w_dequantized,
                                   std::int64_t m, std::int64_t n, std::int64_t k) {
    if (static_cast<std::int64_t>(x.size()) != m * k ||
        static_cast<std::int64_t>(w_dequantized.size()) != n * k) {
        throw std::invalid_argument("W4A16 reference: x must hold m·k and w n·k values");
    }
    std::vector<double> out(static_cast<std::size_t>(m * n), 0.0);
    for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
            double sum = 0.0;
            for (std::int64_t c = 0; c < k; ++c) {
                sum += static_cast<double>(x[static_cast<std::size_t>(i * k + c)]) *
                       static_cast<double>(w_dequantized[static_cast<std::size_t>(j * k + c)]);
            }
            out[static_cast<std::size_t>(i * n + j)] = sum;
        }
    }
    return out;
}

} // namespace roofline::w4a16
