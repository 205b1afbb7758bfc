// The verdict of the verification phase from what it read back: sampled (result, reference) pairs and the
// count of outputs that still hold the poison. CUDA-free (roofline_cuda_host), so the rule that says
// "incorrect" is unit-tested in every build, against any reference (the GPU's FP64 kernel, or the CPU
// block-scaled reference).
#pragma once

#include "roofline/core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace roofline::cuda {

struct sample_verdict {
    accuracy error; // relative L2 error, max abs error, tolerance, elements checked
    bool passed = false;
    std::string why; // when not passed: what was wrong, in words
};

// pairs: (result, reference) per sampled element, interleaved. integer: every sampled element must match
// exactly; otherwise the relative L2 error over the samples must be at most `tolerance`. Non-finite results
// and `poisoned` > 0 fail either way. total_outputs: M·N, for the sentence.
[[nodiscard]] sample_verdict judge_samples(const std::vector<double>& pairs, double tolerance, bool integer,
                                           unsigned long long poisoned, std::int64_t total_outputs);

} // namespace roofline::cuda
