#include "verify.hpp"

#include "kernels.hpp"
#include "verify_rules.hpp"

#include <algorithm>

namespace roofline::cuda {
namespace {

// |D| < 2^30 by construction for INT8, so this word is never a real result.
constexpr std::uint32_t int_poison = 0x7F7F7F7Fu;

} // namespace

verifier::verifier()
    : m_pairs(sizeof(double) * 2 * max_sample_side * max_sample_side), m_counter(sizeof(unsigned long long)) {
}

phase_outcome verifier::verify(const verify_inputs& in, measurement& m) {
    const auto& p = *in.problem;
    const auto& plan = *in.plan;
    const bool swapped = in.setup->swapped;
    // The stored D is rows x cols column-major: M x N, or N x M when cuBLASLt ran Dᵀ = Bᵀ·Aᵀ.
    const std::int64_t rows = swapped ? p.n : p.m;
    const std::int64_t cols = swapped ? p.m : p.n;
    const std::string ops = operand_layout(in.setup->layout);
    ROOFLINE_CUDA_CALL(cudaMemsetAsync(in.ptrs.d, plan.integer ? 0x7F : 0xFF, in.d_bytes, in.stream));
    in.launch();
    if (in.corrupt_for_test) {
        const std::int64_t bad = (rows + 3) / 4;
        kernels::corrupt_rows(in.ptrs.d, plan.d_type, rows, cols, bad, in.stream);
        m.notes.push_back("test hook: the first " + std::to_string(bad) +
                          " rows of D were negated after the run; verification must report 'incorrect'");
    }
    kernels::reference_args args;
    args.a = swapped ? in.ptrs.b : in.ptrs.a;
    args.a_type = swapped ? plan.b_type : plan.a_type;
    args.b = swapped ? in.ptrs.a : in.ptrs.b;
    args.b_type = swapped ? plan.a_type : plan.b_type;
    args.c = p.reads_c() ? in.ptrs.c : nullptr;
    args.c_type = plan.c_type;
    args.d = in.ptrs.d;
    args.d_type = plan.d_type;
    args.m = rows;
    args.n = cols;
    args.k = p.k;
    args.a_k_major = swapped ? b_contiguous_along_k(ops) : a_contiguous_along_k(ops);
    args.b_k_major = swapped ? a_contiguous_along_k(ops) : b_contiguous_along_k(ops);
    args.scale = in.d_scale * in.alpha;
    args.beta = p.beta * in.d_scale;
    args.sample_rows = static_cast<int>(std::min<std::int64_t>(rows, max_sample_side));
    args.sample_cols = static_cast<int>(std::min<std::int64_t>(cols, max_sample_side));
    kernels::reference_check(args, m_pairs.as<double>(), in.stream);
    ROOFLINE_CUDA_CALL(cudaMemsetAsync(m_counter.get(), 0, m_counter.bytes(), in.stream));
    kernels::count_poisoned(in.ptrs.d, plan.d_type, p.m * p.n, int_poison, m_counter.as<unsigned long long>(),
                            in.stream);
    const auto checked =
        static_cast<std::size_t>(args.sample_rows) * static_cast<std::size_t>(args.sample_cols);
    std::vector<double> pairs(2 * checked);
    unsigned long long poisoned = 0;
    ROOFLINE_CUDA_CALL(cudaMemcpyAsync(pairs.data(), m_pairs.get(), sizeof(double) * pairs.size(),
                                       cudaMemcpyDeviceToHost, in.stream));
    ROOFLINE_CUDA_CALL(
        cudaMemcpyAsync(&poisoned, m_counter.get(), sizeof poisoned, cudaMemcpyDeviceToHost, in.stream));
    ROOFLINE_CUDA_CALL(cudaStreamSynchronize(in.stream));
    std::string reference = "FP64 on the GPU from the same stored (quantized) inputs";
    if (in.host_reference) {
        // The GPU kernel's reference ignores block scales; the results it read back stay, the references are
        // replaced by the CPU's from the same packed data and scale tensors.
        in.host_reference(pairs, args.sample_rows, args.sample_cols);
        reference =
            "FP64 on the CPU from the same packed data and block-scale tensors (roofline::core's block-scale "
            "reference, cuBLASLt's 128x4 tiled scale layout)";
    }
    const auto verdict = judge_samples(pairs, plan.tolerance, plan.integer, poisoned, p.m * p.n);
    m.error = verdict.error;
    m.error->reference =
        reference + ", " + std::to_string(args.sample_rows) + " x " + std::to_string(args.sample_cols) +
        " elements of D spread evenly (first and last rows and columns included); all " +
        std::to_string(p.m * p.n) + " outputs scanned for the poison written before the run. " +
        "Tolerance: " + plan.tolerance_why;
    if (!verdict.passed) {
        return phase_outcome::stop(disposition::incorrect,
                                   "wrong result, so no speed is reported: " + verdict.why + " (" +
                                       m.algorithm + ")" +
                                       (in.corrupt_for_test ? "; the corrupt-result test hook was on" : ""));
    }
    return phase_outcome::go_on();
}

} // namespace roofline::cuda
