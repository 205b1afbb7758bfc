// Pieces the model, batch, spot and doctor commands share: the hardware to put points against, the local GPU,
// a progress line on a terminal.
#pragma once

#include "roofline/core/backend.hpp"
#include "roofline/core/hardware.hpp"

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace roofline::cli {

struct gpu_context {
    std::unique_ptr<gemm_backend> backend; // null: predictions only
    std::string why_no_gpu;
    const hardware_entry* hw = nullptr;
};

// The backend (unless predict_only) and the registry entry: --hardware, else the local GPU's entry, else
// `fallback_key` (with a note on stderr when the GPU is not in the registry).
[[nodiscard]] gpu_context open_gpu_context(const hardware_registry& registry, const std::string& hardware_key,
                                           bool predict_only, std::string_view fallback_key);

// "12.5us", "1.2ms", "3e-5", "0.5s", "800ns" -> seconds. Throws usage_error naming `field`.
[[nodiscard]] double parse_duration(std::string_view text, std::string_view field);

// A one-line progress bar on stderr when it is a terminal; silent otherwise.
class progress_line {
  public:
    explicit progress_line(std::size_t total);
    progress_line(const progress_line&) = delete;
    progress_line& operator=(const progress_line&) = delete;
    ~progress_line();
    void step(std::size_t done, std::string_view label);

  private:
    std::size_t m_total;
    bool m_tty;
};

// Some lines of a batch were skipped (the good ones ran and were printed): exit code 1 with this message.
class partial_batch : public std::runtime_error {
  public:
    explicit partial_batch(std::size_t skipped)
        : std::runtime_error(std::to_string(skipped) +
                             " case(s) of the batch were skipped (named above); the "
                             "others ran") {}
};

// The text of FILE, or of stdin for "-". Throws usage_error naming `field` when unreadable.
[[nodiscard]] std::string read_input(const std::string& path, std::string_view field);

} // namespace roofline::cli
