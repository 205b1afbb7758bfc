// The hardware registry: one JSON data file per GPU (data/hardware/*.json), every figure with its source.
//
// Files are validated as they load; a bad file is an error naming the file and the field, never a silently
// skipped GPU. An unknown figure stays unknown (no value), it is never filled with a guess.
#pragma once

#include "roofline/core/precision.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roofline {

class registry_error : public std::runtime_error {
  public:
    registry_error(std::string file, std::string field, const std::string& what)
        : std::runtime_error(file + ": field '" + field + "': " + what), m_file(std::move(file)),
          m_field(std::move(field)) {}
    [[nodiscard]] const std::string& file() const noexcept { return m_file; }
    [[nodiscard]] const std::string& field() const noexcept { return m_field; }

  private:
    std::string m_file;
    std::string m_field;
};

// A figure from a datasheet or paper. No value means unknown; source says where one looked.
struct sourced_value {
    std::optional<double> value;
    std::string source;
    std::string note;
};

struct precision_peak {
    precision_id precision{};
    bool supported = false;
    std::optional<double> flops_per_s; // dense; absent while supported means "not published"
    std::string source;
    std::string note;
    bool halved_from_sparse = false; // the datasheet quotes 2:4 sparsity; we store half of it
    std::string derivation;          // how the figure was derived when not read off directly
    std::string reason;              // why the hardware lacks it, when !supported
};

struct hardware_entry {
    std::string key;
    std::string name;
    std::vector<std::string> aliases;
    // Names CUDA gives the device when they hold no token of the key ("Orin" for every Jetson Orin): matched
    // exactly, with the SM count telling the modules apart.
    std::vector<std::string> cuda_device_names;
    std::string vendor;
    std::string architecture;
    std::string compute_capability; // "9.0"
    std::string memory_type;
    sourced_value sm_count;
    sourced_value boost_clock_hz;
    sourced_value memory_bytes;
    sourced_value memory_bandwidth_bytes_per_s;
    sourced_value l2_bytes;
    sourced_value tdp_w;
    std::vector<precision_peak> peaks; // one per GEMM-input precision, catalogue order
    std::string file;                  // where it came from, for messages

    [[nodiscard]] const precision_peak& peak(precision_id id) const;
    [[nodiscard]] bool matches(std::string_view key_or_alias) const;
};

// Parses one file's text; throws registry_error naming `file_name` and the field.
[[nodiscard]] hardware_entry parse_hardware_entry(std::string_view json_text, const std::string& file_name);

class hardware_registry {
  public:
    // The files compiled into the binary from data/hardware (so the program needs no install step).
    [[nodiscard]] static hardware_registry builtin();
    // Every *.json in `dir`, sorted by name. Throws registry_error for a bad file or duplicate key/alias.
    [[nodiscard]] static hardware_registry load_directory(const std::filesystem::path& dir);
    [[nodiscard]] static hardware_registry
    from_texts(const std::vector<std::pair<std::string, std::string>>& files);

    [[nodiscard]] const std::vector<hardware_entry>& entries() const noexcept { return m_entries; }
    // Case-insensitive key or alias; nullptr when absent.
    [[nodiscard]] const hardware_entry* find(std::string_view key_or_alias) const;
    // Like find, but throws std::invalid_argument naming `field` and listing the valid keys.
    [[nodiscard]] const hardware_entry& at(std::string_view key_or_alias,
                                           std::string_view field = "hardware") const;
    [[nodiscard]] std::string valid_keys() const;
    // The entry for a device as CUDA names it ("NVIDIA H100 80GB HBM3", "9.0"): same compute capability and
    // every token of its key or an alias found in the name; the most specific match wins. nullptr if none.
    [[nodiscard]] const hardware_entry*
    match_device(std::string_view device_name, std::string_view compute_capability, int sm_count = 0) const;

  private:
    std::vector<hardware_entry> m_entries;
};

// Text of the built-in files: {file name, contents}. Generated at build time from data/hardware.
[[nodiscard]] const std::vector<std::pair<std::string, std::string>>& builtin_hardware_files();

} // namespace roofline
