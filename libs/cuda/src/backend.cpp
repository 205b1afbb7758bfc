// The cuBLASLt backend. measure() runs the phases in order, each in its own file and each handing back a
// disposition: plan (gemm_plan.cpp) → operands (operands.cpp: fit, allocate, random inputs) → descriptors and
// algorithm (algo_select.cpp: cache or timed search) → verification (verify.cpp) → warm-up and timed samples
// (sampler.cpp) → statistics (core's summarize). Every step that can fail throws inside; measure() is the
// edge that turns any failure into a point with a disposition and a sentence.
#include "roofline/cuda/backend.hpp"

#include "algo_select.hpp"
#include "block_scaled_reference.hpp"
#include "cuda_call.hpp"
#include "format.hpp"
#include "gemm_plan.hpp"
#include "operands.hpp"
#include "resources.hpp"
#include "roofline/cuda/device_info.hpp"
#include "sampler.hpp"
#include "verify.hpp"
#include "w4a16_measure.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>

namespace roofline::cuda {
namespace {

std::atomic<bool> g_context_lost{false};

std::string cublaslt_version_text() {
    const auto lt = cublasLtGetVersion();
    return std::to_string(lt / 10000) + "." + std::to_string((lt / 100) % 100) + "." +
           std::to_string(lt % 100);
}

class cublaslt_backend final : public gemm_backend {
  public:
    cublaslt_backend(int device, engine_settings settings)
        : m_settings(std::move(settings)), m_device(device), m_props(properties(device)),
          m_identity(identity(device)), m_stream(make_stream()), m_handle(make_handle()),
          m_workspace(workspace_bytes), m_scalars(scalar_slot * m_host_scalars.size()),
          m_sampler(m_stream.get(), static_cast<std::size_t>(m_props.l2CacheSize), m_settings.warmup_s) {}

    [[nodiscard]] device_identity device() const override { return m_identity; }

    [[nodiscard]] analysis_point measure(const gemm_problem& problem,
                                         const measure_options& options) override {
        const std::lock_guard lock(m_mutex);
        analysis_point pt;
        pt.problem = problem;
        pt.source = point_source::measured;
        pt.status = disposition::failed;
        measurement m;
        m.device = m_identity;
        m.kernel_path = "cuBLASLt " + m_identity.cublaslt_version + " (cublasLtMatmul)"; // own paths override
        m.timing.mode = options.mode;
        try {
            pt.traffic = compute_traffic(problem);
            validate(problem);
        } catch (const std::invalid_argument& e) {
            pt.status = disposition::invalid_problem;
            pt.message = e.what();
            pt.measured = std::move(m);
            return pt;
        }
        if (g_context_lost.load()) {
            pt.message =
                "not measured: an earlier sticky CUDA error broke this process's CUDA context; the process "
                "must restart (the server starts a fresh worker)";
            pt.measured = std::move(m);
            return pt;
        }
        measure_options o = options;
        if (o.cache_dir.empty()) {
            o.cache_dir = m_settings.cache_dir;
        }
        try {
            (this->*path_for(problem))(problem, o, pt, m);
        } catch (const cuda_error& e) {
            fail(pt, e.what(), e.code() == static_cast<int>(cudaErrorMemoryAllocation));
        } catch (const std::exception& e) {
            fail(pt, e.what(), false);
        }
        if (pt.status != disposition::passed && pt.status != disposition::not_verified) {
            pt.time_s = 0.0;
        }
        pt.measured = std::move(m);
        return pt;
    }

  private:
    using measure_path = void (cublaslt_backend::*)(const gemm_problem&, const measure_options&,
                                                    analysis_point&, measurement&);

    // Which path measures a problem, by the precision of A. Everything not listed goes through cuBLASLt; our
    // own kernels (src/kernels/) join with one row each: {precision_id::..., &cublaslt_backend::measure_...}.
    static measure_path path_for(const gemm_problem& p) {
        static const std::map<precision_id, measure_path> own_kernels = {
            {precision_id::w4a16, &cublaslt_backend::measure_w4a16_path}};
        auto it = own_kernels.find(p.a);
        if (it == own_kernels.end()) {
            it = own_kernels.find(p.b); // weight-only formats (W4A16) name B, the weights
        }
        return it != own_kernels.end() ? it->second : &cublaslt_backend::measure_cublaslt;
    }

    static cudaDeviceProp properties(int device) {
        ROOFLINE_CUDA_CALL(cudaSetDevice(device));
        cudaDeviceProp props{};
        ROOFLINE_CUDA_CALL(cudaGetDeviceProperties(&props, device));
        return props;
    }

    static device_identity identity(int device) {
        auto d = query_device(device);
        d.cublaslt_version = cublaslt_version_text();
        return d;
    }

    void fail(analysis_point& pt, const std::string& what, bool out_of_memory) {
        pt.status = disposition::failed;
        pt.time_s = 0.0;
        pt.message = what;
        if (out_of_memory) {
            pt.message += ". The device ran out of memory although the free-memory check passed (another "
                          "process may be using it): try a smaller shape";
        }
        // Clear a non-sticky error; a sticky one survives every call, and the synchronisation reports it.
        static_cast<void>(cudaGetLastError());
        const auto rc = cudaDeviceSynchronize();
        if (rc != cudaSuccess) {
            g_context_lost.store(true);
            pt.message +=
                ". Sticky CUDA error " + std::string(cudaGetErrorName(rc)) +
                ": this process's CUDA context is unusable until it restarts (the server restarts its "
                "worker)";
        }
    }

    // Ends the point with a phase's disposition; true when the phase passed and the next one may run.
    static bool proceed(const phase_outcome& o, analysis_point& pt) {
        if (!o.ok()) {
            pt.status = o.status;
            pt.message = o.message;
        }
        return o.ok();
    }

    // W4A16 through our kernel (src/w4a16_measure.cpp): its own buffers, verification and timing loop.
    void measure_w4a16_path(const gemm_problem& p, const measure_options& o, analysis_point& pt,
                            measurement& m) {
        measure_w4a16(p, o, m_device, m_handle.get(), pt, m);
    }

    void measure_cublaslt(const gemm_problem& p, const measure_options& o, analysis_point& pt,
                          measurement& m) {
        // 1. Plan: types, layouts, tolerance; not_supported names the GPUs that have the precision.
        auto planned = plan_gemm(p, m_props.major, m_props.minor);
        if (!planned.plan) {
            pt.status = planned.status;
            pt.message = planned.message;
            if (planned.status == disposition::not_supported) {
                pt.message += " (" + m_identity.name + ")";
            }
            return;
        }
        planned.plan->only_layouts = m_settings.only_layouts;
        const gemm_plan& plan = *planned.plan;
        m.layout = plan.layouts.front();
        m.notes = plan.notes;
        // The calling thread may have another current device (the server's threads); ours is m_device.
        ROOFLINE_CUDA_CALL(cudaSetDevice(m_device));
        const auto busy = m_sampler.begin_measurement();
        m_sampler.clear_timeout();

        // 2. Operands: fit, allocate, random inputs.
        gemm_operands ops;
        if (!proceed(allocate_operands(p, plan, m_identity.name, ops), pt)) {
            return;
        }
        fill_operands(p, plan, 0x5EEDull + 0x100000001B3ull * ++m_measurements, ops, m_scalars.get(),
                      m_host_scalars, m_stream.get());

        // 3. The cuBLASLt problem, one set of descriptors per layout to search, and the algorithm.
        operand_ptrs ptrs{ops.a.get(),        ops.b.get(),        ops.c_ptr(p, plan), ops.d.get(),
                          ops.a_scales.get(), ops.b_scales.get(), m_scalars.get()};
        std::vector<std::unique_ptr<problem_descs>> setups;
        for (const auto& layout : searched_layouts(plan, p)) {
            setups.push_back(make_descs(plan, layout, p, ptrs));
        }
        const auto launch_with = bind_launch(p, plan, ptrs, ops.alpha);
        const bool paced = o.pacing == sample_pacing::paced;
        const double idle_ratio = paced ? std::clamp(o.idle_ratio, 0.0, 100.0) : 0.0;
        selection_inputs sel{
            m_handle.get(), m_stream.get(), &m_identity, m_props.major, m_props.minor, &p, &plan, &o,
            idle_ratio,     &setups,        launch_with};
        algo_choice chosen;
        if (!proceed(m_selector.select(sel, m_sampler, chosen, m), pt)) {
            return;
        }
        m.layout = chosen.setup->layout;
        m.notes.push_back(describe_layout(chosen.setup->layout));
        m.algorithm = describe_algo(chosen.algo, chosen.workspace);
        const launch_fn launch = [&] { launch_with(*chosen.setup, chosen.algo, chosen.workspace); };

        // 4. Verification: a wrong result gets no speed.
        if (o.verify) {
            verify_inputs vin;
            vin.problem = &p;
            vin.plan = &plan;
            vin.setup = chosen.setup;
            vin.ptrs = ptrs;
            vin.d_bytes = ops.d.bytes();
            vin.d_scale = ops.d_scale;
            vin.alpha = ops.alpha;
            vin.corrupt_for_test = o.corrupt_result_for_test;
            vin.stream = m_stream.get();
            vin.launch = launch;
            if (ops.host_a && ops.host_b) {
                const bool swapped = chosen.setup->swapped;
                const auto& first = swapped ? *ops.host_b : *ops.host_a;
                const auto& second = swapped ? *ops.host_a : *ops.host_b;
                vin.host_reference = [&first, &second](std::vector<double>& pairs, int rows, int cols) {
                    block_scaled_reference(first, second, rows, cols, pairs);
                };
            }
            if (!proceed(m_verifier.verify(vin, m), pt)) {
                return;
            }
        } else {
            m.notes.push_back("verification switched off: the result was not checked");
        }

        // 5. Warm-up, then the timed samples until the stop rule.
        const auto warm = m_sampler.warm_up(launch, o, idle_ratio);
        auto sampled = m_sampler.sample(launch, o, idle_ratio, m.notes);

        // 6. Statistics and the notes that say how the figure was taken.
        m.telemetry = std::move(sampled.telemetry);
        m.timing = summarize(sampled.samples, o.mode, o.keep_samples);
        m.timing.pacing = o.pacing;
        m.timing.idle_ratio = idle_ratio;
        pt.time_s = m.timing.median_s;
        pt.status = o.verify ? disposition::passed : disposition::not_verified;
        if (plan.measured_b != p.b || plan.measured_a != p.a) {
            pt.message = std::string(info(p.a).name) + " x " + std::string(info(p.b).name) +
                         " is not a cuBLASLt pairing: measured " + std::string(info(plan.measured_a).name) +
                         " A x " + std::string(info(plan.measured_b).name) +
                         " B (same bytes, same tensor-core rate)";
        }
        m_sampler.describe(o, idle_ratio, ops.operand_bytes(p.reads_c()), m_identity.l2_bytes, warm, m.notes);
        if (!sampled.stop.empty()) {
            m.notes.push_back(sampled.stop);
        }
        if (m_sampler.block_timed_out()) {
            m.notes.push_back("the blocking kernel timed out once: a batch may include launch latency");
        }
    }

    // alpha and beta in the plan's scale type (host pointers, read at launch), bound with the operands.
    launch_with_fn bind_launch(const gemm_problem& p, const gemm_plan& plan, const operand_ptrs& ptrs,
                               double alpha) {
        m_alpha = {alpha, static_cast<float>(alpha), 1};
        m_beta = {p.beta, static_cast<float>(p.beta), static_cast<std::int32_t>(p.beta)};
        const auto pick = [&plan](const host_scalar& s) {
            return plan.scale_type == CUDA_R_64F   ? static_cast<const void*>(&s.f64)
                   : plan.scale_type == CUDA_R_32I ? static_cast<const void*>(&s.i32)
                                                   : static_cast<const void*>(&s.f32);
        };
        const void* a = pick(m_alpha);
        const void* b = pick(m_beta);
        return [this, a, b, ptrs](const problem_descs& s, const cublasLtMatmulAlgo_t& algo, std::size_t ws) {
            // D-transposed layouts hand cuBLASLt our B as its A and our A as its B.
            ROOFLINE_CUBLAS_CALL(cublasLtMatmul(m_handle.get(), s.desc.get(), a, s.swapped ? ptrs.b : ptrs.a,
                                                s.a.get(), s.swapped ? ptrs.a : ptrs.b, s.b.get(), b, ptrs.c,
                                                s.c.get(), ptrs.d, s.d.get(), &algo, m_workspace.get(), ws,
                                                m_stream.get()));
        };
    }

    struct host_scalar {
        double f64 = 1.0;
        float f32 = 1.0f;
        std::int32_t i32 = 1;
    };

    engine_settings m_settings;
    int m_device;
    cudaDeviceProp m_props;
    device_identity m_identity;
    stream_ptr m_stream;
    handle_ptr m_handle;
    device_buffer m_workspace;
    std::array<float, 4> m_host_scalars{1.0f, 1.0f, 1.0f, 1.0f};
    device_buffer m_scalars;
    host_scalar m_alpha;
    host_scalar m_beta;
    sampler m_sampler;
    verifier m_verifier;
    algo_selector m_selector;
    std::uint64_t m_measurements = 0;
    std::mutex m_mutex;
};

} // namespace

bool context_lost() noexcept {
    return g_context_lost.load();
}

std::unique_ptr<gemm_backend> make_backend(const engine_settings& settings, std::string& why) {
    if (device_count(why) == 0) {
        return nullptr;
    }
    try {
        return std::make_unique<cublaslt_backend>(0, settings);
    } catch (const std::exception& e) {
        why = std::string("the CUDA engine could not start: ") + e.what();
        return nullptr;
    }
}

} // namespace roofline::cuda
