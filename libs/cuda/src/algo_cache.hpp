// The on-disk choice of cuBLASLt algorithm per (device, driver, library version, shape, precisions, layout,
// mode), so that a repeat run skips the search. A small JSON file; a missing, unreadable or corrupt file is
// ignored (and rewritten on the next store), never an error: the cache only ever saves time.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace roofline::cuda {

struct algo_record {
    std::array<std::uint64_t, 8> algo{}; // cublasLtMatmulAlgo_t::data, opaque
    std::string layout;                  // the operand layout it was chosen in ("TN", "TT", ...)
    std::string description;             // the algorithm in words, as measured
    double median_s = 0.0;               // its time during the search
    std::size_t candidates = 0;          // how many candidates the search timed
};

class algo_cache {
  public:
    static constexpr int schema_version = 2;

    explicit algo_cache(std::filesystem::path file);

    [[nodiscard]] std::optional<algo_record> find(const std::string& key) const;
    // Stores and rewrites the file atomically (write to a temporary, rename). Returns false and sets `why`
    // when the file cannot be written; the measurement goes on regardless.
    bool store(const std::string& key, const algo_record& record, std::string& why);
    void erase(const std::string& key);

    [[nodiscard]] const std::filesystem::path& file() const noexcept { return m_file; }
    // Non-empty when the file existed but could not be used ("corrupt: ... ; ignored, rewritten on the next
    // store").
    [[nodiscard]] const std::string& load_warning() const noexcept { return m_warning; }
    [[nodiscard]] std::size_t size() const noexcept { return m_entries.size(); }

  private:
    std::filesystem::path m_file;
    std::map<std::string, algo_record> m_entries;
    std::string m_warning;
};

} // namespace roofline::cuda
