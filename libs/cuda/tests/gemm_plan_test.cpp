// The precision → cuBLASLt plan rules, checked without a GPU.
#include "gemm_plan.hpp"

#include <gtest/gtest.h>

namespace roofline::cuda {
namespace {

using pid = precision_id;

plan_result plan_for(pid p, int major = 9, int minor = 0, std::optional<pid> a = {},
                     std::optional<pid> b = {}, std::optional<pid> out = {}) {
    return plan_gemm(make_problem(4096, 4096, 4096, p, a, b, out), major, minor);
}

TEST(GemmPlan, EveryHopperPrecisionHasAPlan) {
    for (const auto p :
         {pid::fp64, pid::fp32, pid::tf32, pid::bf16, pid::fp16, pid::fp8_e4m3, pid::fp8_e5m2, pid::int8}) {
        const auto r = plan_for(p);
        ASSERT_TRUE(r.plan.has_value()) << to_string(p) << ": " << r.message;
        EXPECT_EQ(r.plan->layouts.front(), "TN");
        EXPECT_FALSE(r.plan->tolerance_why.empty());
    }
}

TEST(GemmPlan, Int8IsExactWithInt32Output) {
    const auto r = plan_for(pid::int8);
    ASSERT_TRUE(r.plan);
    EXPECT_EQ(r.plan->a_type, CUDA_R_8I);
    EXPECT_EQ(r.plan->d_type, CUDA_R_32I);
    EXPECT_EQ(r.plan->compute, CUBLAS_COMPUTE_32I);
    EXPECT_EQ(r.plan->tolerance, 0.0);
    EXPECT_EQ(r.plan->input_range, 127.0);
    EXPECT_EQ(r.plan->layouts, std::vector<std::string>{"TN"}); // INT8 is TN-only on Hopper
    // A long K shrinks the range so that K·r² stays under 2^30.
    const auto big = plan_gemm(make_problem(64, 64, 1 << 20, pid::int8), 9, 0);
    ASSERT_TRUE(big.plan);
    EXPECT_LE(big.plan->input_range * big.plan->input_range * (1 << 20), 1073741824.0);
    EXPECT_GE(big.plan->input_range, 1.0);
}

TEST(GemmPlan, E5M2PairsWithE4M3AndSaysSo) {
    const auto r = plan_for(pid::fp8_e5m2);
    ASSERT_TRUE(r.plan);
    EXPECT_EQ(r.plan->a_type, CUDA_R_8F_E5M2);
    EXPECT_EQ(r.plan->b_type, CUDA_R_8F_E4M3);
    EXPECT_EQ(r.plan->measured_b, pid::fp8_e4m3);
    bool said = false;
    for (const auto& n : r.plan->notes) {
        said = said || n.find("E5M2 A x FP8_E4M3 B") != std::string::npos;
    }
    EXPECT_TRUE(said);
}

TEST(GemmPlan, Fp8OutputsFollowCublasLtTable) {
    const auto bf16 = plan_for(pid::fp8_e4m3);
    ASSERT_TRUE(bf16.plan);
    EXPECT_EQ(bf16.plan->d_type, CUDA_R_16BF);
    const auto f32 = plan_for(pid::fp8_e4m3, 9, 0, {}, {}, pid::fp32);
    ASSERT_TRUE(f32.plan);
    EXPECT_EQ(f32.plan->c_type, CUDA_R_32F);
    const auto e4 = plan_for(pid::fp8_e4m3, 9, 0, {}, {}, pid::fp8_e4m3);
    ASSERT_TRUE(e4.plan);
    EXPECT_EQ(e4.plan->c_type, CUDA_R_16BF);
    EXPECT_TRUE(e4.plan->d_scaled);
    // E5M2 output needs an E5M2 input.
    const auto e5 = plan_for(pid::fp8_e4m3, 9, 0, {}, {}, pid::fp8_e5m2);
    EXPECT_FALSE(e5.plan);
    EXPECT_EQ(e5.status, disposition::not_supported);
    EXPECT_NE(e5.message.find("FP8_E5M2 output"), std::string::npos) << e5.message;
}

TEST(GemmPlan, BlockScaledFormatsNeedBlackwell) {
    for (const auto p : {pid::nvfp4, pid::mxfp8}) {
        const auto hopper = plan_for(p, 9, 0);
        EXPECT_FALSE(hopper.plan);
        EXPECT_EQ(hopper.status, disposition::not_supported);
        EXPECT_NE(hopper.message.find("Blackwell"), std::string::npos) << hopper.message;
        EXPECT_NE(hopper.message.find("sm_90"), std::string::npos) << hopper.message;
        const auto blackwell = plan_for(p, 10, 0);
        ASSERT_TRUE(blackwell.plan) << blackwell.message;
        EXPECT_TRUE(blackwell.plan->block_scaled);
    }
    const auto nvfp4 = plan_for(pid::nvfp4, 12, 0);
    ASSERT_TRUE(nvfp4.plan);
    EXPECT_EQ(nvfp4.plan->a_type, CUDA_R_4F_E2M1);
    EXPECT_EQ(nvfp4.plan->scale_block, 16u);
    const auto mxfp8 = plan_for(pid::mxfp8, 12, 1);
    ASSERT_TRUE(mxfp8.plan);
    EXPECT_EQ(mxfp8.plan->a_type, CUDA_R_8F_E4M3);
    EXPECT_EQ(mxfp8.plan->scale_block, 32u);
    EXPECT_EQ(mxfp8.plan->block_scale_mode, CUBLASLT_MATMUL_MATRIX_SCALE_VEC32_UE8M0);
}

TEST(GemmPlan, Int4IsNotSupportedWithItsReason) {
    const auto r = plan_for(pid::int4);
    EXPECT_FALSE(r.plan);
    EXPECT_EQ(r.status, disposition::not_supported);
    EXPECT_NE(r.message.find("no INT4 tensor cores"), std::string::npos) << r.message;
    const auto w4a16 = plan_for(pid::fp16, 9, 0, pid::int4, pid::fp16);
    EXPECT_EQ(w4a16.status, disposition::not_supported);
}

TEST(GemmPlan, UnsupportedCombinationsExplainThemselves) {
    const auto mixed = plan_for(pid::fp16, 9, 0, pid::fp16, pid::int8);
    EXPECT_FALSE(mixed.plan);
    EXPECT_EQ(mixed.status, disposition::not_supported);
    EXPECT_NE(mixed.message.find("FP16"), std::string::npos);
    const auto tf32_out = plan_for(pid::fp32, 9, 0, {}, {}, pid::tf32);
    EXPECT_EQ(tf32_out.status, disposition::invalid_problem);
    const auto bf16_to_fp16 = plan_for(pid::bf16, 9, 0, {}, {}, pid::fp16);
    EXPECT_EQ(bf16_to_fp16.status, disposition::not_supported);
    EXPECT_NE(bf16_to_fp16.message.find("BF16, FP32"), std::string::npos) << bf16_to_fp16.message;
    const auto fp8_on_ampere = plan_for(pid::fp8_e4m3, 8, 0);
    EXPECT_EQ(fp8_on_ampere.status, disposition::not_supported);
    EXPECT_TRUE(plan_for(pid::fp8_e4m3, 8, 9).plan);
}

TEST(GemmPlan, FloatInputsSearchEveryLayoutEightBitOnlyTN) {
    const auto fp16 = plan_for(pid::fp16);
    ASSERT_TRUE(fp16.plan);
    EXPECT_EQ(fp16.plan->layouts.size(), 4u);
    const auto fp8 = plan_for(pid::fp8_e4m3);
    ASSERT_TRUE(fp8.plan);
    EXPECT_EQ(fp8.plan->layouts, std::vector<std::string>{"TN"});
    EXPECT_TRUE(a_contiguous_along_k("TN"));
    EXPECT_TRUE(b_contiguous_along_k("TN"));
    EXPECT_TRUE(a_contiguous_along_k("TT"));
    EXPECT_FALSE(b_contiguous_along_k("TT"));
    EXPECT_FALSE(a_contiguous_along_k("NN"));
    EXPECT_NE(describe_layout("TT").find("row-major (contiguous along N)"), std::string::npos);
}

TEST(GemmPlan, StorageBytes) {
    EXPECT_EQ(storage_bytes(CUDA_R_16F, 3, 5), 30u);
    EXPECT_EQ(storage_bytes(CUDA_R_4F_E2M1, 3, 5), 8u);
    EXPECT_EQ(storage_bytes(CUDA_R_8F_E4M3, 4, 4), 16u);
    EXPECT_EQ(storage_bytes(CUDA_R_64F, 2, 2), 32u);
}

} // namespace
} // namespace roofline::cuda
