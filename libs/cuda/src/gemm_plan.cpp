#include "gemm_plan.hpp"

#include <algorithm>
#include <cmath>

namespace roofline::cuda {
namespace {

using pid = precision_id;

std::string pname(pid p) {
    return std::string(info(p).name);
}

bool is_fp8(pid p) {
    return p == pid::fp8_e4m3 || p == pid::fp8_e5m2;
}

cudaDataType_t fp8_type(pid p) {
    return p == pid::fp8_e5m2 ? CUDA_R_8F_E5M2 : CUDA_R_8F_E4M3;
}

// Relative L2 error allowed for an output format: the rounding of D dominates once accumulation is in FP32.
// The RMS relative error of round-to-nearest is about u/√3 (u = 2^-(mantissa bits+1)); we allow several times
// that, while a wrong kernel (wrong layout, stale or missing output) lands near 1 or above.
struct out_rule {
    pid out;
    cudaDataType_t type;
    double tolerance;
    const char* why;
};

constexpr out_rule out_fp64{pid::fp64, CUDA_R_64F, 1e-10,
                            "FP64 accumulation and output: rounding ~1e-16 per step"};
constexpr out_rule out_fp32{
    pid::fp32, CUDA_R_32F, 1e-3,
    "FP32 output (u = 6e-8); tensor-core FP32 accumulation order differs from the reference"};
constexpr out_rule out_fp16{pid::fp16, CUDA_R_16F, 3e-3, "FP16 output rounding (u = 4.9e-4, RMS ~2.8e-4)"};
constexpr out_rule out_bf16{pid::bf16, CUDA_R_16BF, 2e-2, "BF16 output rounding (u = 3.9e-3, RMS ~2.3e-3)"};
constexpr out_rule out_e4m3{pid::fp8_e4m3, CUDA_R_8F_E4M3, 0.1,
                            "FP8 E4M3 output rounding (u = 6.3e-2, RMS ~3.6e-2)"};
constexpr out_rule out_e5m2{pid::fp8_e5m2, CUDA_R_8F_E5M2, 0.2,
                            "FP8 E5M2 output rounding (u = 0.125, RMS ~7.2e-2)"};

plan_result refuse(disposition d, std::string message) {
    plan_result r;
    r.status = d;
    r.message = std::move(message);
    return r;
}

std::string outputs_text(std::initializer_list<out_rule> outs) {
    std::string s;
    for (const auto& o : outs) {
        s += (s.empty() ? "" : ", ") + pname(o.out);
    }
    return s;
}

// Picks the output rule for p.out among `outs`, or explains which outputs exist.
std::optional<out_rule> pick_output(const gemm_problem& p, std::initializer_list<out_rule> outs,
                                    std::string& why) {
    for (const auto& o : outs) {
        if (o.out == p.out) {
            return o;
        }
    }
    why = "cuBLASLt has no GEMM from " + pname(p.a) + (p.a == p.b ? "" : " x " + pname(p.b)) + " inputs to " +
          pname(p.out) + " output; outputs it offers for these inputs: " + outputs_text(outs);
    return std::nullopt;
}

} // namespace

bool a_contiguous_along_k(const std::string& layout) {
    return !layout.empty() && layout[0] == 'T';
}
bool b_contiguous_along_k(const std::string& layout) {
    return layout.size() > 1 && layout[1] == 'N';
}

std::string describe_layout(const std::string& layout) {
    const bool a_k = a_contiguous_along_k(layout);
    const bool b_k = b_contiguous_along_k(layout);
    // "+Dt": the same operands with D stored row-major; cuBLASLt runs Dᵀ = Bᵀ·Aᵀ (M and N exchanged).
    const bool d_row = layout.size() > 3 && layout.compare(layout.size() - 3, 3, "+Dt") == 0;
    return "layout " + layout + ": A is M x K " +
           (a_k ? "row-major (contiguous along K)" : "column-major (contiguous along M)") + ", B is K x N " +
           (b_k ? "column-major (contiguous along K)" : "row-major (contiguous along N)") +
           (d_row
                ? ", D is M x N row-major (cuBLASLt runs the transposed problem, N x M, as PyTorch does for "
                  "row-major tensors)"
                : ", D is M x N column-major");
}

std::string type_name(cudaDataType_t type) {
    switch (type) {
    case CUDA_R_64F:
        return "FP64";
    case CUDA_R_32F:
        return "FP32";
    case CUDA_R_16F:
        return "FP16";
    case CUDA_R_16BF:
        return "BF16";
    case CUDA_R_8F_E4M3:
        return "FP8 E4M3";
    case CUDA_R_8F_E5M2:
        return "FP8 E5M2";
    case CUDA_R_4F_E2M1:
        return "FP4 E2M1";
    case CUDA_R_8I:
        return "INT8";
    case CUDA_R_32I:
        return "INT32";
    default:
        return "cudaDataType " + std::to_string(static_cast<int>(type));
    }
}

std::size_t storage_bytes(cudaDataType_t type, std::int64_t rows, std::int64_t cols) {
    const auto elements = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    switch (type) {
    case CUDA_R_64F:
        return elements * 8;
    case CUDA_R_32F:
    case CUDA_R_32I:
        return elements * 4;
    case CUDA_R_16F:
    case CUDA_R_16BF:
        return elements * 2;
    case CUDA_R_4F_E2M1:
        return (elements + 1) / 2;
    default:
        return elements;
    }
}

plan_result plan_gemm(const gemm_problem& p, int cc_major, int cc_minor) {
    gemm_plan plan;
    plan.measured_a = p.a;
    plan.measured_b = p.b;
    std::string why;

    if (p.a == pid::int4 || p.b == pid::int4) {
        // Decision and figures: docs/THEORY.md, "INT4 on Hopper and Blackwell".
        return refuse(disposition::not_supported,
                      "INT4 is not measured: cuBLASLt has no INT4 GEMM, and Hopper (sm_90) and Blackwell (sm_100, "
                      "sm_120) have no INT4 tensor cores (Turing, Ampere and Ada, sm_75 to sm_89, do): s4 mma.sync "
                      "is emulated there, 49 TOPS against 1291 TOPS for s8 mma.sync on an H200 (1/26 of INT8). "
                      "INT4 as LLM inference uses it is the weight-only W4A16 precision: choose W4A16");
    }
    if (p.out == pid::tf32) {
        return refuse(disposition::invalid_problem,
                      "TF32 is a tensor-core compute mode, not a storage format: ask for FP32 output");
    }
    if (p.out == pid::nvfp4 || p.out == pid::mxfp8 || p.out == pid::int4 || p.out == pid::int8) {
        return refuse(disposition::not_supported,
                      pname(p.out) + " output is not measured by this engine (it measures " + pname(p.a) +
                          " GEMMs with their wider default output: " + pname(info(p.a).default_output) + ")");
    }

    const bool same = p.a == p.b;
    if (same && p.a == pid::fp64) {
        auto o = pick_output(p, {out_fp64}, why);
        if (!o) {
            return refuse(disposition::not_supported, why);
        }
        plan.a_type = plan.b_type = plan.c_type = plan.d_type = CUDA_R_64F;
        plan.compute = CUBLAS_COMPUTE_64F;
        plan.scale_type = CUDA_R_64F;
        plan.tolerance = o->tolerance;
        plan.tolerance_why = o->why;
    } else if (same && (p.a == pid::fp32 || p.a == pid::tf32)) {
        auto o = pick_output(p, {out_fp32}, why);
        if (!o) {
            return refuse(disposition::not_supported, why);
        }
        plan.a_type = plan.b_type = plan.c_type = plan.d_type = CUDA_R_32F;
        if (p.a == pid::tf32) {
            plan.compute = CUBLAS_COMPUTE_32F_FAST_TF32;
            plan.tolerance = 5e-3;
            plan.tolerance_why = "TF32 keeps 10 mantissa bits of each FP32 input (u = 4.9e-4 per operand)";
            plan.min_cc_major = 8;
            plan.needs_gpus = "TF32 tensor cores: Ampere (sm_80) and newer";
            plan.notes.emplace_back("TF32: FP32 operands in memory, rounded to TF32 by the tensor cores "
                                    "(CUBLAS_COMPUTE_32F_FAST_TF32); the reference uses the FP32 values");
        } else {
            plan.compute = CUBLAS_COMPUTE_32F;
            plan.tolerance = 1e-4;
            plan.tolerance_why = "FP32 inputs, accumulation and output (u = 6e-8)";
        }
        plan.scale_type = CUDA_R_32F;
    } else if (same && (p.a == pid::fp16 || p.a == pid::bf16)) {
        const auto native = p.a == pid::fp16 ? out_fp16 : out_bf16;
        auto o = pick_output(p, {native, out_fp32}, why);
        if (!o) {
            return refuse(disposition::not_supported, why);
        }
        plan.a_type = plan.b_type = native.type;
        plan.c_type = plan.d_type = o->type;
        plan.compute = CUBLAS_COMPUTE_32F;
        plan.scale_type = CUDA_R_32F;
        plan.tolerance = o->tolerance;
        plan.tolerance_why = o->why;
    } else if (is_fp8(p.a) && is_fp8(p.b)) {
        if (p.a == pid::fp8_e5m2 && p.b == pid::fp8_e5m2) {
            plan.measured_b = pid::fp8_e4m3;
            plan.notes.emplace_back("E5M2 x E5M2 is not a cuBLASLt pairing: measured FP8_E5M2 A x FP8_E4M3 B "
                                    "(same bytes and the same tensor-core rate)");
        }
        const bool has_e5m2 = plan.measured_a == pid::fp8_e5m2 || plan.measured_b == pid::fp8_e5m2;
        std::optional<out_rule> o;
        if (has_e5m2) {
            o = pick_output(p, {out_bf16, out_fp16, out_fp32, out_e4m3, out_e5m2}, why);
        } else {
            o = pick_output(p, {out_bf16, out_fp16, out_fp32, out_e4m3}, why);
        }
        if (!o) {
            return refuse(disposition::not_supported, why);
        }
        plan.a_type = fp8_type(plan.measured_a);
        plan.b_type = fp8_type(plan.measured_b);
        plan.d_type = o->type;
        // FP8 outputs take C in BF16 (cuBLASLt's FP8 table); the others take C in D's type.
        plan.c_type = (o->type == CUDA_R_8F_E4M3 || o->type == CUDA_R_8F_E5M2) ? CUDA_R_16BF : o->type;
        plan.d_scaled = plan.c_type != plan.d_type;
        plan.compute = CUBLAS_COMPUTE_32F;
        plan.scale_type = CUDA_R_32F;
        plan.tensor_scaled_fp8 = true;
        plan.tolerance = std::max(o->tolerance, 2e-3);
        plan.tolerance_why = std::string(o->why) +
                             "; FP8 tensor cores accumulate in reduced precision between "
                             "promotions (at least 2e-3 allowed)";
        plan.min_cc_major = 8; // (8, 9) checked below
        plan.needs_gpus = "FP8 tensor cores: Ada (sm_89), Hopper (sm_90) and Blackwell (sm_100, sm_120)";
        plan.notes.emplace_back(
            "FP8: per-tensor scales of 1.0 for A and B, fast accumulation off (cuBLASLt's "
            "default and torch._scaled_mm's)");
        if (plan.d_scaled) {
            plan.notes.emplace_back(
                "FP8 output: a D scale of 1/(expected |D|) keeps results inside the format's "
                "range; the reference applies the same scale");
        }
    } else if (same && p.a == pid::int8) {
        if (p.out != pid::int32) {
            return refuse(
                disposition::not_supported,
                "INT8 GEMMs are measured with INT32 output (cuBLASLt's CUBLAS_COMPUTE_32I path); got " +
                    pname(p.out));
        }
        if (p.beta != std::floor(p.beta)) {
            return refuse(disposition::invalid_problem,
                          "beta must be a whole number for INT8 GEMMs (alpha and beta are INT32); got " +
                              std::to_string(p.beta));
        }
        plan.a_type = plan.b_type = CUDA_R_8I;
        plan.c_type = plan.d_type = CUDA_R_32I;
        plan.compute = CUBLAS_COMPUTE_32I;
        plan.scale_type = CUDA_R_32I;
        plan.integer = true;
        plan.tolerance = 0.0;
        plan.tolerance_why = "integer arithmetic is exact: every checked element must match";
        // |D| <= K·r² must stay under 2^30 so INT32 never overflows and a result never equals the poison
        // word.
        const double r =
            std::floor(std::sqrt(1073741824.0 / static_cast<double>(std::max<std::int64_t>(p.k, 1))));
        plan.input_range = std::clamp(r, 1.0, 127.0);
        if (plan.input_range < 127.0) {
            plan.notes.emplace_back("INT8 inputs limited to [-" +
                                    std::to_string(static_cast<int>(plan.input_range)) + ", " +
                                    std::to_string(static_cast<int>(plan.input_range)) +
                                    "] so that the INT32 sums cannot overflow at this K");
        }
    } else if (same && (p.a == pid::nvfp4 || p.a == pid::mxfp8)) {
        auto o = pick_output(p, {out_bf16, out_fp16, out_fp32}, why);
        if (!o) {
            return refuse(disposition::not_supported, why);
        }
        const bool fp4 = p.a == pid::nvfp4;
        if (fp4 && p.k % 2 != 0) {
            return refuse(disposition::invalid_problem,
                          "NVFP4 packs two elements per byte along K: K must be even (got " +
                              std::to_string(p.k) + ")");
        }
        plan.a_type = plan.b_type = fp4 ? CUDA_R_4F_E2M1 : CUDA_R_8F_E4M3;
        plan.c_type = plan.d_type = o->type;
        plan.compute = CUBLAS_COMPUTE_32F;
        plan.scale_type = CUDA_R_32F;
        plan.block_scaled = true;
        plan.block_scale_mode =
            fp4 ? CUBLASLT_MATMUL_MATRIX_SCALE_VEC16_UE4M3 : CUBLASLT_MATMUL_MATRIX_SCALE_VEC32_UE8M0;
        plan.scale_block = fp4 ? 16 : 32;
        plan.tolerance = o->tolerance;
        plan.tolerance_why = o->why;
        plan.min_cc_major = 10;
        plan.needs_gpus =
            std::string(fp4 ? "NVFP4" : "MXFP8") +
            " needs block-scaled tensor cores: Blackwell GPUs (B200, B300, GB200, GB300: sm_100/sm_103; "
            "RTX 50-series, RTX PRO 6000 Blackwell, DGX Spark GB10: sm_120/sm_121)";
        plan.notes.emplace_back(
            std::string(fp4 ? "NVFP4: E2M1 elements (random codes), one UE4M3 scale per 16 along "
                              "K and a per-tensor FP32 scale (passed as alpha)"
                            : "MXFP8: E4M3 elements, one UE8M0 scale per 32 along K") +
            ", the scales random and not 1.0, packed on the host by roofline::core in cuBLASLt's "
            "128x4 tiled layout and checked against its CPU reference (with unit scales a wrong "
            "scale layout could not be seen)");
    } else {
        return refuse(
            disposition::not_supported,
            "cuBLASLt has no GEMM with A in " + pname(p.a) + " and B in " + pname(p.b) +
                "; mixed operands it runs: FP8 E4M3 x FP8 E5M2 (either order), and FP16/BF16 inputs with "
                "FP32 output");
    }

    // Generation check before any GPU work: the sentence names the GPUs that have the precision.
    const bool fp8_needs_ada = plan.tensor_scaled_fp8 && (cc_major < 8 || (cc_major == 8 && cc_minor < 9));
    if (cc_major < plan.min_cc_major || fp8_needs_ada) {
        return refuse(disposition::not_supported, plan.needs_gpus + "; this GPU is sm_" +
                                                      std::to_string(cc_major) + std::to_string(cc_minor));
    }
    // 16-, 32- and 64-bit floating inputs run in every layout: search them all (which one is fastest depends
    // on the shape, e.g. the decode shape M = 1). 8- and 4-bit inputs are TN-only on Hopper, and we keep TN
    // for them everywhere so that results compare across GPUs.
    if (!plan.tensor_scaled_fp8 && !plan.block_scaled && !plan.integer) {
        plan.layouts = {"TN", "TT", "NN", "NT"};
    }
    plan_result r;
    r.plan = std::move(plan);
    return r;
}

} // namespace roofline::cuda
