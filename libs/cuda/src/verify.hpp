// Verification: poison D, run once, compare sampled elements of D with a reference computed from the same
// stored inputs, and scan all of D for poison left behind. A wrong result gets no speed (disposition
// `incorrect`).
#pragma once

#include "algo_select.hpp"
#include "gemm_plan.hpp"
#include "phase.hpp"
#include "resources.hpp"
#include "sampler.hpp"

namespace roofline::cuda {

// Up to 64 x 64 elements of D are checked, spread evenly (first and last rows and columns included).
inline constexpr int max_sample_side = 64;

struct verify_inputs {
    const gemm_problem* problem = nullptr;
    const gemm_plan* plan = nullptr;
    const problem_descs* setup = nullptr; // the chosen layout
    operand_ptrs ptrs;
    std::size_t d_bytes = 0;
    double d_scale = 1.0; // FP8 output: D = d_scale · (A·B + beta·C)
    double alpha = 1.0;   // as passed to cuBLASLt
    bool corrupt_for_test = false;
    cudaStream_t stream = nullptr;
    launch_fn launch;
    // Block-scaled plans: the sampled (result, reference) pairs come from this host reference instead of the
    // GPU's FP64 kernel (which does not know the block scales). Null otherwise.
    std::function<void(std::vector<double>& pairs, int rows, int cols)> host_reference;
};

class verifier {
  public:
    verifier();
    phase_outcome verify(const verify_inputs& in, measurement& m);

  private:
    device_buffer m_pairs;
    device_buffer m_counter;
};

} // namespace roofline::cuda
