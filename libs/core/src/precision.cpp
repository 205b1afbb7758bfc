#include "roofline/core/precision.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace roofline {
namespace {

using namespace std::string_view_literals;

constexpr std::array fp64_aliases{"fp64"sv, "double"sv, "f64"sv};
constexpr std::array fp32_aliases{"fp32"sv, "float"sv, "single"sv, "f32"sv};
constexpr std::array tf32_aliases{"tf32"sv, "tensorfloat32"sv};
constexpr std::array bf16_aliases{"bf16"sv, "bfloat16"sv};
constexpr std::array fp16_aliases{"fp16"sv, "half"sv, "f16"sv, "float16"sv};
constexpr std::array e4m3_aliases{"fp8_e4m3"sv, "fp8"sv, "e4m3"sv, "fp8e4m3"sv, "fp8-e4m3"sv, "float8_e4m3fn"sv};
constexpr std::array e5m2_aliases{"fp8_e5m2"sv, "e5m2"sv, "fp8e5m2"sv, "fp8-e5m2"sv, "float8_e5m2"sv};
constexpr std::array mxfp8_aliases{"mxfp8"sv, "mx-fp8"sv, "mxfp8_e4m3"sv};
constexpr std::array nvfp4_aliases{"nvfp4"sv, "fp4"sv, "e2m1"sv, "fp4_e2m1"sv};
constexpr std::array int8_aliases{"int8"sv, "i8"sv, "s8"sv};
constexpr std::array int4_aliases{"int4"sv, "i4"sv, "s4"sv};
constexpr std::array w4a16_aliases{"w4a16"sv, "w4a16_g128"sv, "int4_fp16"sv, "int4xfp16"sv};
constexpr std::array int32_aliases{"int32"sv, "i32"sv, "s32"sv};

// The catalogue. Order is the order of every listing (widest float first, then integers).
// Colours for FP16..INT4 are the user's (seed); the others were chosen to stay distinct from them.
constexpr std::array<precision_info, 13> catalogue{{
    {precision_id::fp64, "FP64", "FP64", 64, 0, 0, "", number_kind::floating, precision_id::fp64, true,
     "#e11d48", "IEEE binary64 (1-11-52); tensor-core DMMA on sm_80 and newer data-centre GPUs.", fp64_aliases},
    {precision_id::fp32, "FP32", "FP32", 32, 0, 0, "", number_kind::floating, precision_id::fp32, true, "#eab308",
     "IEEE binary32 (1-8-23) on the CUDA cores (SIMT FMA); no tensor cores.", fp32_aliases},
    {precision_id::tf32, "TF32", "TF32", 32, 0, 0, "", number_kind::floating, precision_id::fp32, true, "#a16207",
     "FP32 in memory, 1-8-10 inside the tensor cores (sm_80+); reads and writes FP32's bytes.", tf32_aliases},
    {precision_id::bf16, "BF16", "BF16", 16, 0, 0, "", number_kind::floating, precision_id::bf16, true, "#fb923c",
     "bfloat16 (1-8-7): FP32's range with 8 bits of precision; tensor cores on sm_80+.", bf16_aliases},
    {precision_id::fp16, "FP16", "FP16", 16, 0, 0, "", number_kind::floating, precision_id::fp16, true, "#f97316",
     "IEEE binary16 (1-5-10); tensor cores on sm_70+.", fp16_aliases},
    {precision_id::fp8_e4m3, "FP8_E4M3", "FP8 E4M3", 8, 0, 0, "", number_kind::floating, precision_id::bf16, true,
     "#22c55e", "OCP FP8 1-4-3 (max 448) with a per-tensor scale; tensor cores on sm_89, sm_90, sm_100+.",
     e4m3_aliases},
    {precision_id::fp8_e5m2, "FP8_E5M2", "FP8 E5M2", 8, 0, 0, "", number_kind::floating, precision_id::bf16, true,
     "#16a34a", "OCP FP8 1-5-2 (max 57344), used for gradients; sm_89, sm_90, sm_100+.", e5m2_aliases},
    {precision_id::mxfp8, "MXFP8", "MXFP8", 8, 32, 8, "UE8M0", number_kind::floating, precision_id::bf16, true,
     "#84cc16", "OCP microscaling: FP8 E4M3 elements, one power-of-two (UE8M0) scale per 32 along K; sm_100+.",
     mxfp8_aliases},
    {precision_id::nvfp4, "NVFP4", "NVFP4", 4, 16, 8, "E4M3", number_kind::floating, precision_id::bf16, true,
     "#a855f7", "FP4 E2M1 elements, one FP8 E4M3 scale per 16 along K plus a per-tensor FP32 scale; sm_100+.",
     nvfp4_aliases},
    {precision_id::int8, "INT8", "INT8", 8, 0, 0, "", number_kind::integer, precision_id::int32, true, "#06b6d4",
     "Signed 8-bit integers accumulated in INT32; IMMA tensor cores on sm_72 and newer (B200: 4500 dense TOPS).",
     int8_aliases},
    {precision_id::int4, "INT4", "INT4", 4, 0, 0, "", number_kind::integer, precision_id::int32, true, "#3b82f6",
     "Signed 4-bit integers, two per byte; tensor cores on sm_75..sm_89 only (none on Hopper or Blackwell).",
     int4_aliases},
    {precision_id::w4a16, "W4A16", "W4A16 (INT4 weights, FP16 activations)", 4, 128, 16, "FP16",
     number_kind::floating, precision_id::fp16, true, "#0ea5e9",
     "Weight-only INT4: signed 4-bit weights with one FP16 scale per 128 along K, times FP16 activations, "
     "upcast in registers to FP16 tensor cores (our kernel); FP16 out.",
     w4a16_aliases, true},
    {precision_id::int32, "INT32", "INT32", 32, 0, 0, "", number_kind::integer, precision_id::int32, false,
     "#6366f1", "Signed 32-bit integers: the accumulator and output of integer GEMMs.", int32_aliases},
}};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

std::span<const precision_info> all_precisions() noexcept { return catalogue; }

const precision_info& info(precision_id id) noexcept { return catalogue[static_cast<std::size_t>(id)]; }

std::string_view to_string(precision_id id) noexcept { return info(id).name; }

std::string valid_precision_names(bool gemm_inputs_only) {
    std::string out;
    for (const auto& p : catalogue) {
        if (gemm_inputs_only && !p.gemm_input) {
            continue;
        }
        if (!out.empty()) {
            out += ", ";
        }
        out += p.name;
    }
    return out;
}

namespace {

const precision_info* find_precision(std::string_view wanted) {
    for (const auto& p : catalogue) {
        if (iequals(wanted, p.name) ||
            std::ranges::any_of(p.aliases, [&](auto a) { return iequals(wanted, a); })) {
            return &p;
        }
    }
    return nullptr;
}

std::string unknown_precision(std::string_view wanted, bool gemm_inputs_only) {
    return "unknown precision '" + std::string(wanted) +
           "'; valid: " + valid_precision_names(gemm_inputs_only) +
           " (case-insensitive; aliases such as fp8, e5m2, half, bfloat16 work too)";
}

} // namespace

precision_id parse_precision(std::string_view text) {
    const auto wanted = trim(text);
    if (const auto* p = find_precision(wanted)) {
        return p->id;
    }
    throw std::invalid_argument(unknown_precision(wanted, false));
}

std::vector<precision_id> parse_precision_list(std::string_view text) {
    std::vector<precision_id> out;
    if (iequals(trim(text), "all")) {
        for (const auto& p : catalogue) {
            if (p.gemm_input) {
                out.push_back(p.id);
            }
        }
        return out;
    }
    // A list names the inputs to analyze: it offers (and takes) GEMM inputs only, never an accumulator.
    while (true) {
        const auto comma = text.find(',');
        const auto piece = trim(text.substr(0, comma));
        if (piece.empty()) {
            throw std::invalid_argument("empty precision in list; valid: " + valid_precision_names(true) +
                                        " or all");
        }
        const auto* p = find_precision(piece);
        if (p == nullptr) {
            throw std::invalid_argument(unknown_precision(piece, true));
        }
        if (!p->gemm_input) {
            throw std::invalid_argument(std::string(p->name) +
                                        " is an accumulator and output format, not a GEMM input; valid: " +
                                        valid_precision_names(true));
        }
        if (std::ranges::find(out, p->id) == out.end()) {
            out.push_back(p->id);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    return out;
}

std::vector<precision_id> default_sweep() {
    return {precision_id::fp16, precision_id::fp8_e4m3, precision_id::nvfp4, precision_id::int8, precision_id::int4};
}

} // namespace roofline
