// The precision catalogue: one table row per number format a GEMM can read or write.
//
// Every other part (traffic model, registry, GPU engine, server, web app) asks this table instead of
// switching on names. The rows are data/precisions.json (embedded into the binary, read by the web app too);
// row i is precision_id i, so adding a format means a row there and its enumerator here (CONTRIBUTING.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roofline {

enum class precision_id : std::uint8_t {
    fp64,
    fp32,
    tf32,
    bf16,
    fp16,
    fp8_e4m3,
    fp8_e5m2,
    mxfp8,
    nvfp4,
    int8,
    int4,
    w4a16,
    int32,
};

inline constexpr std::size_t precision_count = static_cast<std::size_t>(precision_id::int32) + 1;

enum class number_kind : std::uint8_t { floating, integer };

struct precision_info {
    precision_id id;
    std::string_view name;         // canonical, as the seed spells it: "FP8_E4M3"
    std::string_view display_name; // for people: "FP8 E4M3"
    // Bits one element occupies in memory, before any block scale. TF32 is stored as FP32 (32 bits):
    // the tensor cores drop mantissa bits on the fly, the bytes moved are FP32's.
    unsigned storage_bits;
    // Block scaling: one scale of scale_bits per scale_block consecutive elements along K. 0 = none.
    unsigned scale_block;
    unsigned scale_bits;
    std::string_view scale_format; // "E4M3", "UE8M0" or ""
    number_kind kind;
    precision_id default_output; // what a GEMM with this input writes by default
    bool gemm_input;             // false for accumulator-only formats (INT32)
    std::string_view colour;     // plot colour, #rrggbb
    std::string_view summary;    // one sentence: layout of the bits and where it runs
    std::span<const std::string_view> aliases;
    // Weight-only quantisation (W4A16): this format is B's (the weights, with their group scales counted by
    // scale_block/scale_bits); A, the activations, is default_output's format. Chosen alone it means that
    // pair.
    bool weight_only = false;

    // Effective bits per element including the block-scale overhead (NVFP4: 4 + 8/16 = 4.5).
    [[nodiscard]] double bits_per_element() const noexcept {
        return scale_block == 0 ? static_cast<double>(storage_bits)
                                : storage_bits + static_cast<double>(scale_bits) / scale_block;
    }
};

[[nodiscard]] std::span<const precision_info> all_precisions() noexcept;
[[nodiscard]] const precision_info& info(precision_id id) noexcept;
[[nodiscard]] std::string_view to_string(precision_id id) noexcept;

// Case-insensitive; accepts canonical names and aliases ("fp8" -> FP8_E4M3, "e5m2", "half", ...).
// Throws std::invalid_argument whose message lists the valid names.
[[nodiscard]] precision_id parse_precision(std::string_view text);

// "FP16", "fp16,int8" or "all" (every GEMM input precision). Duplicates are dropped, order kept.
[[nodiscard]] std::vector<precision_id> parse_precision_list(std::string_view text);

// The seed's "Run all precisions" sweep: FP16, FP8_E4M3, NVFP4, INT8, INT4.
[[nodiscard]] std::vector<precision_id> default_sweep();

// "FP64, FP32, ..." for error messages and help texts.
[[nodiscard]] std::string valid_precision_names(bool gemm_inputs_only = false);

} // namespace roofline
