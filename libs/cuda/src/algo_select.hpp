// Algorithm selection: the operand layouts to search, the cuBLASLt descriptors of each, the on-disk cache of
// earlier choices and the timed search over the heuristic's candidates.
#pragma once

#include "algo_cache.hpp"
#include "gemm_plan.hpp"
#include "phase.hpp"
#include "resources.hpp"
#include "roofline/core/backend.hpp"
#include "sampler.hpp"

#include <cublasLt.h>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace roofline::cuda {

// cuBLASLt's recommended workspace on sm_90/sm_10x/sm_12x: some of the fastest Hopper kernels need it.
inline constexpr std::size_t workspace_bytes = 32 * mib;
// Bytes between the device scalars (FP8 per-tensor scales, D scale), each 256-byte aligned.
inline constexpr std::size_t scalar_slot = 256;

// A searched layout: the plan's operand layout ("TN": op(A), op(B) in cuBLAS notation, D column-major) or the
// same with D stored row-major ("TN+Dt"): cuBLASLt then runs Dᵀ = Bᵀ·Aᵀ, the problem with M and N exchanged,
// which is how PyTorch calls it for row-major tensors. Hopper's wgmma is 64 rows tall and 8 to 256 columns
// wide, so a small M fits the exchanged problem's N side far better (see docs/THEORY.md, "FP8 at small M").
[[nodiscard]] bool d_transposed(const std::string& layout);
[[nodiscard]] std::string operand_layout(const std::string& layout); // "TN+Dt" -> "TN"

// The layouts to search for this problem: the plan's, and with M < N their D-transposed twins; narrowed by
// plan.only_layouts (engine_settings; the app reads $ROOFLINE_LAYOUTS, "TN,TT+Dt": tests force each layout
// through the verification; anything not offered is ignored, and an empty result falls back to the full
// list).
[[nodiscard]] std::vector<std::string> searched_layouts(const gemm_plan& plan, const gemm_problem& p);

// Device pointers a launch reads and writes; the scale tensors only for block-scaled plans.
struct operand_ptrs {
    const void* a = nullptr;
    const void* b = nullptr;
    const void* c = nullptr;
    void* d = nullptr;
    const void* a_scales = nullptr;
    const void* b_scales = nullptr;
    const void* scalars = nullptr; // scalar_slot-spaced: A scale, B scale, D scale (FP8)
};

// The cuBLASLt descriptors of one problem in one searched layout. Owns them; freed together.
struct problem_descs {
    std::string layout;
    bool swapped = false; // D-transposed: cuBLASLt's A is our B and its B our A
    desc_ptr desc;
    layout_ptr a, b, c, d;
};

[[nodiscard]] std::unique_ptr<problem_descs> make_descs(const gemm_plan& plan, const std::string& layout,
                                                        const gemm_problem& p, const operand_ptrs& ptrs);

[[nodiscard]] std::string describe_algo(const cublasLtMatmulAlgo_t& algo, std::size_t workspace);

struct algo_choice {
    cublasLtMatmulAlgo_t algo{};
    const problem_descs* setup = nullptr;
    std::size_t workspace = 0;
};

// Launches one GEMM with these descriptors and algorithm (the caller binds pointers and scalars).
using launch_with_fn = std::function<void(const problem_descs&, const cublasLtMatmulAlgo_t&, std::size_t)>;

struct selection_inputs {
    cublasLtHandle_t handle = nullptr;
    cudaStream_t stream = nullptr;
    const device_identity* device = nullptr;
    int cc_major = 0;
    int cc_minor = 0;
    const gemm_problem* problem = nullptr;
    const gemm_plan* plan = nullptr;
    const measure_options* options = nullptr;
    double idle_ratio = 0.0;
    const std::vector<std::unique_ptr<problem_descs>>* setups = nullptr;
    launch_with_fn launch_with;
};

// The on-disk caches, one per directory, kept for the backend's life.
class algo_selector {
  public:
    // The cached choice when it still validates and runs, else the timed search; not_supported when cuBLASLt
    // offers no kernel, failed when none of its candidates ran. Notes and candidates_timed go into `m`.
    phase_outcome select(const selection_inputs& in, sampler& timer, algo_choice& out, measurement& m);

  private:
    algo_cache& cache_for(const std::filesystem::path& dir);
    bool from_cache(const selection_inputs& in, algo_cache& cache, const std::string& key, algo_choice& out,
                    measurement& m);
    phase_outcome search(const selection_inputs& in, sampler& timer, algo_cache& cache,
                         const std::string& key, algo_choice& out, measurement& m);

    std::map<std::string, std::unique_ptr<algo_cache>> m_caches;
};

} // namespace roofline::cuda
