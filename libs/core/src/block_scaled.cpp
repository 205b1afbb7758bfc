#include "roofline/core/block_scaled.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

namespace roofline {
namespace {

constexpr float e2m1_max = 6.0f;
constexpr float e4m3_max = 448.0f;
constexpr std::array<float, 8> e2m1_values{0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

std::int64_t round_up(std::int64_t v, std::int64_t to) {
    return (v + to - 1) / to * to;
}

// The magnitudes of E4M3 codes 0..0x7E in order (they grow with the code).
const std::array<float, 127>& e4m3_values() {
    static const auto table = [] {
        std::array<float, 127> t{};
        for (int c = 0; c < 127; ++c) {
            t[static_cast<std::size_t>(c)] = decode_e4m3(static_cast<std::uint8_t>(c));
        }
        return t;
    }();
    return table;
}

// Nearest entry of an increasing table to a >= 0, ties to the even index, saturating at the last entry.
template <std::size_t N>
std::size_t nearest_even(const std::array<float, N>& t, float a) {
    if (a >= t[N - 1]) {
        return N - 1;
    }
    const auto hi =
        static_cast<std::size_t>(std::upper_bound(t.begin(), t.end(), a) - t.begin()); // t[hi] > a
    const std::size_t lo = hi - 1;
    const float dlo = a - t[lo];
    const float dhi = t[hi] - a;
    if (dlo < dhi) {
        return lo;
    }
    if (dhi < dlo) {
        return hi;
    }
    return lo % 2 == 0 ? lo : hi;
}

std::uint8_t with_sign(std::uint8_t magnitude, bool negative, std::uint8_t sign_bit) {
    return negative && magnitude != 0 ? static_cast<std::uint8_t>(magnitude | sign_bit) : magnitude;
}

// floor(log2(a)) for a > 0, exactly (frexp: a = m·2^e with m in [0.5, 1)).
int floor_log2(float a) {
    int e = 0;
    static_cast<void>(std::frexp(a, &e));
    return e - 1;
}

} // namespace

std::string_view to_string(block_format f) noexcept {
    return f == block_format::nvfp4 ? "NVFP4" : "MXFP8";
}

int block_size(block_format f) noexcept {
    return f == block_format::nvfp4 ? 16 : 32;
}

std::uint8_t encode_e2m1(float x) {
    if (std::isnan(x)) {
        return 0; // E2M1 has no NaN; quantize() never produces one
    }
    const auto mag = static_cast<std::uint8_t>(nearest_even(e2m1_values, std::min(std::abs(x), e2m1_max)));
    return with_sign(mag, std::signbit(x), 0x8);
}

float decode_e2m1(std::uint8_t code) {
    const float v = e2m1_values[code & 0x7u];
    return (code & 0x8u) != 0 ? -v : v;
}

std::uint8_t encode_e4m3(float x) {
    if (std::isnan(x)) {
        return 0x7F;
    }
    const auto mag = static_cast<std::uint8_t>(nearest_even(e4m3_values(), std::min(std::abs(x), e4m3_max)));
    return with_sign(mag, std::signbit(x), 0x80);
}

float decode_e4m3(std::uint8_t code) {
    const unsigned e = (code >> 3) & 0xFu;
    const unsigned m = code & 0x7u;
    if (e == 0xF && m == 0x7) {
        return std::numeric_limits<float>::quiet_NaN();
    }
    // Bias 7; exponent 0 is subnormal: m · 2^-9.
    const float v = e == 0 ? std::ldexp(static_cast<float>(m), -9)
                           : std::ldexp(1.0f + static_cast<float>(m) / 8.0f, static_cast<int>(e) - 7);
    return (code & 0x80u) != 0 ? -v : v;
}

float decode_ue8m0(std::uint8_t code) {
    return code == 0xFF ? std::numeric_limits<float>::quiet_NaN()
                        : std::ldexp(1.0f, static_cast<int>(code) - 127);
}

std::int64_t scale_layout::padded_rows() const noexcept {
    return round_up(rows, 128);
}

std::int64_t scale_layout::padded_blocks() const noexcept {
    return round_up(blocks, 4);
}

std::size_t scale_layout::bytes() const noexcept {
    return static_cast<std::size_t>(padded_rows() * padded_blocks());
}

std::size_t scale_layout::offset(std::int64_t row, std::int64_t block) const noexcept {
    if (order == kind::row_major) {
        return static_cast<std::size_t>(row * padded_blocks() + block);
    }
    const std::int64_t tile = (row / 128) * (padded_blocks() / 4) + block / 4;
    const std::int64_t inside = (row % 32) * 16 + ((row % 128) / 32) * 4 + block % 4;
    return static_cast<std::size_t>(tile * 512 + inside);
}

scale_layout block_scaled_matrix::layout(scale_layout::kind order) const noexcept {
    const std::int64_t b = block_size(format);
    return {rows, (cols + b - 1) / b, order};
}

std::uint8_t block_scaled_matrix::code(std::int64_t r, std::int64_t k) const {
    const auto i = static_cast<std::size_t>(r * cols + k);
    if (format == block_format::mxfp8) {
        return data.at(i);
    }
    const std::uint8_t byte = data.at(i / 2);
    return i % 2 == 0 ? static_cast<std::uint8_t>(byte & 0xF) : static_cast<std::uint8_t>(byte >> 4);
}

float block_scaled_matrix::scale(std::int64_t r, std::int64_t block, scale_layout::kind order) const {
    const std::uint8_t s = scales.at(layout(order).offset(r, block));
    return format == block_format::nvfp4 ? decode_e4m3(s) : decode_ue8m0(s);
}

double block_scaled_matrix::value(std::int64_t r, std::int64_t k, scale_layout::kind order) const {
    const std::uint8_t c = code(r, k);
    const double element = format == block_format::nvfp4 ? decode_e2m1(c) : decode_e4m3(c);
    return element * static_cast<double>(scale(r, k / block_size(format), order)) *
           static_cast<double>(tensor_scale);
}

namespace {

block_scaled_matrix empty_matrix(block_format f, std::int64_t rows, std::int64_t cols) {
    if (rows <= 0 || cols <= 0) {
        throw std::invalid_argument(std::string(to_string(f)) +
                                    " matrix: rows and cols must be positive (got " + std::to_string(rows) +
                                    " x " + std::to_string(cols) + ")");
    }
    if (f == block_format::nvfp4 && cols % 2 != 0) {
        throw std::invalid_argument("NVFP4 matrix: cols (K) must be even, two elements per byte (got " +
                                    std::to_string(cols) + ")");
    }
    block_scaled_matrix m;
    m.format = f;
    m.rows = rows;
    m.cols = cols;
    const auto elements = static_cast<std::size_t>(rows * cols);
    m.data.assign(f == block_format::nvfp4 ? elements / 2 : elements, 0);
    m.scales.assign(m.layout().bytes(), 0);
    return m;
}

void put_code(block_scaled_matrix& m, std::int64_t r, std::int64_t k, std::uint8_t c) {
    const auto i = static_cast<std::size_t>(r * m.cols + k);
    if (m.format == block_format::mxfp8) {
        m.data[i] = c;
        return;
    }
    auto& byte = m.data[i / 2];
    byte = i % 2 == 0 ? static_cast<std::uint8_t>((byte & 0xF0) | (c & 0xF))
                      : static_cast<std::uint8_t>((byte & 0x0F) | ((c & 0xF) << 4));
}

} // namespace

block_scaled_matrix quantize(block_format f, const std::vector<float>& x, std::int64_t rows,
                             std::int64_t cols) {
    auto m = empty_matrix(f, rows, cols);
    if (x.size() != static_cast<std::size_t>(rows * cols)) {
        throw std::invalid_argument(std::string(to_string(f)) + " quantize: " + std::to_string(x.size()) +
                                    " values for a " + std::to_string(rows) + " x " + std::to_string(cols) +
                                    " matrix");
    }
    const std::int64_t bs = block_size(f);
    const auto lay = m.layout();
    float encode_scale = 1.0f; // NVFP4: 1 / tensor_scale
    if (f == block_format::nvfp4) {
        float amax = 0.0f;
        for (const float v : x) {
            amax = std::max(amax, std::abs(v));
        }
        if (amax > 0.0f) {
            encode_scale = e2m1_max * e4m3_max / amax;
            m.tensor_scale = 1.0f / encode_scale;
        }
    }
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t b = 0; b < lay.blocks; ++b) {
            const std::int64_t k0 = b * bs;
            const std::int64_t k1 = std::min(cols, k0 + bs);
            float bmax = 0.0f;
            for (std::int64_t k = k0; k < k1; ++k) {
                bmax = std::max(bmax, std::abs(x[static_cast<std::size_t>(r * cols + k)]));
            }
            std::uint8_t scale_code = 0;
            float divisor = 0.0f; // element = x / divisor; 0: the block is zero
            if (f == block_format::nvfp4) {
                scale_code = encode_e4m3(bmax / e2m1_max * encode_scale);
                divisor = decode_e4m3(scale_code) / encode_scale;
            } else if (bmax > 0.0f) {
                const int e =
                    std::clamp(floor_log2(bmax) - 8, -127, 127); // E4M3's largest power of two is 2^8
                scale_code = static_cast<std::uint8_t>(e + 127);
                divisor = decode_ue8m0(scale_code);
            } else {
                scale_code = 127; // 1.0
            }
            m.scales[lay.offset(r, b)] = scale_code;
            for (std::int64_t k = k0; k < k1; ++k) {
                const float q = divisor > 0.0f ? x[static_cast<std::size_t>(r * cols + k)] / divisor : 0.0f;
                put_code(m, r, k, f == block_format::nvfp4 ? encode_e2m1(q) : encode_e4m3(q));
            }
        }
    }
    return m;
}

std::vector<std::uint8_t> scales_row_major(const block_scaled_matrix& m) {
    const auto lay = m.layout();
    std::vector<std::uint8_t> out(static_cast<std::size_t>(lay.rows * lay.blocks));
    for (std::int64_t r = 0; r < lay.rows; ++r) {
        for (std::int64_t b = 0; b < lay.blocks; ++b) {
            out[static_cast<std::size_t>(r * lay.blocks + b)] = m.scales.at(lay.offset(r, b));
        }
    }
    return out;
}

std::vector<float> dequantize(const block_scaled_matrix& m, scale_layout::kind order) {
    std::vector<float> out(static_cast<std::size_t>(m.rows * m.cols));
    for (std::int64_t r = 0; r < m.rows; ++r) {
        for (std::int64_t k = 0; k < m.cols; ++k) {
            out[static_cast<std::size_t>(r * m.cols + k)] = static_cast<float>(m.value(r, k, order));
        }
    }
    return out;
}

block_scaled_matrix random_block_scaled(block_format f, std::int64_t rows, std::int64_t cols,
                                        std::uint64_t seed) {
    auto m = empty_matrix(f, rows, cols);
    std::mt19937_64 rng(seed);
    const auto lay = m.layout();
    if (f == block_format::nvfp4) {
        // Every E2M1 code; E4M3 scales 0.25 to 4 with their mantissas (codes 0x28..0x48); a tensor scale that
        // is no power of two.
        for (auto& byte : m.data) {
            byte = static_cast<std::uint8_t>(rng());
        }
        std::uniform_int_distribution<int> scale(0x28, 0x48);
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t b = 0; b < lay.blocks; ++b) {
                m.scales[lay.offset(r, b)] = static_cast<std::uint8_t>(scale(rng));
            }
        }
        m.tensor_scale = 0.75f + 0.5f * std::uniform_real_distribution<float>(0.0f, 1.0f)(rng);
    } else {
        // E4M3 elements of magnitude up to 4 (codes 0x00..0x48, either sign); UE8M0 scales 2^-4 to 2^4.
        std::uniform_int_distribution<int> element(0, 0x48);
        for (auto& byte : m.data) {
            byte = static_cast<std::uint8_t>(element(rng) | ((rng() & 1) != 0 ? 0x80 : 0));
        }
        std::uniform_int_distribution<int> scale(127 - 4, 127 + 4);
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t b = 0; b < lay.blocks; ++b) {
                m.scales[lay.offset(r, b)] = static_cast<std::uint8_t>(scale(rng));
            }
        }
    }
    return m;
}

double dot(const block_scaled_matrix& a, std::int64_t i, const block_scaled_matrix& b, std::int64_t j,
           scale_layout::kind order) {
    if (a.cols != b.cols || a.format != b.format) {
        throw std::invalid_argument("block-scaled dot: operands differ in K or format");
    }
    double sum = 0.0;
    for (std::int64_t k = 0; k < a.cols; ++k) {
        sum += a.value(i, k, order) * b.value(j, k, order);
    }
    return sum;
}

} // namespace roofline
