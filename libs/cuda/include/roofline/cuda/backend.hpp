// roofline::cuda — the measuring backend: GEMMs through cuBLASLt on the local NVIDIA GPU.
//
// Only this header is public; it names no CUDA type, so the CLI and the server include it without CUDA
// headers.
#pragma once

#include "roofline/core/backend.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace roofline::cuda {

// What the application read from the environment for the engine (apps/roofline/local_backend.cpp): the engine
// itself reads no environment variable, so a library user or a test sets these explicitly.
struct engine_settings {
    std::filesystem::path cache_dir; // the algorithm cache's folder; empty: choices are kept in memory only
    std::vector<std::string>
        only_layouts;               // search only these operand layouts ("TN", "NN~t", ...); empty: all
    std::optional<double> warmup_s; // the warm-up length instead of the pacing's default (seconds)
};

// The backend for CUDA device 0 (CUDA_VISIBLE_DEVICES picks which GPU that is). Returns nullptr and sets
// `why` when there is no usable device ("no CUDA device: ...") or the engine cannot start (the CUDA error in
// words). The backend keeps its cuBLASLt handle, stream, workspace and L2-flush buffer for its whole life, so
// repeated measure() calls pay no set-up; measure() is serialised internally (one GEMM on the GPU at a time).
// measure_options::cache_dir, when set, overrides settings.cache_dir for one measurement.
[[nodiscard]] std::unique_ptr<gemm_backend> make_backend(const engine_settings& settings, std::string& why);

// True once a sticky CUDA error (an illegal address, a launch failure, ...) has broken this process's CUDA
// context. Every later measure() then answers `failed` at once; the process has to exit to recover, which is
// why the server measures in a separate `roofline worker` process and starts a fresh one.
[[nodiscard]] bool context_lost() noexcept;

} // namespace roofline::cuda
