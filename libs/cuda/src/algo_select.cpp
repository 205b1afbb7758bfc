#include "algo_select.hpp"

#include "cublaslt_names.hpp"
#include "format.hpp"
#include "statistics.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace roofline::cuda {
namespace {

constexpr const char* transposed_suffix = "+Dt";
constexpr std::size_t candidate_samples = 5;
// The fastest few candidates of the search are timed again, interleaved, before one is kept: five samples of
// a 10 µs GEMM differ by more than the 1-3% that separates the best kernels at small M, and the first pick
// was sometimes a candidate that only looked fastest.
constexpr std::size_t finalists = 3;
constexpr std::size_t finalist_rounds = 3;

template <class T>
void set_desc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const T& value) {
    ROOFLINE_CUBLAS_CALL(cublasLtMatmulDescSetAttribute(desc, attr, &value, sizeof value));
}

layout_ptr make_layout(cudaDataType_t t, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
    cublasLtMatrixLayout_t l = nullptr;
    ROOFLINE_CUBLAS_CALL(cublasLtMatrixLayoutCreate(&l, t, static_cast<std::uint64_t>(rows),
                                                    static_cast<std::uint64_t>(cols), ld));
    return layout_ptr(l);
}

std::string cache_key(const gemm_problem& p, const gemm_plan& plan, const device_identity& id,
                      timing_mode mode) {
    return id.name + "|driver " + id.driver_version + "|cuBLASLt " + id.cublaslt_version + "|" +
           p.shape_label() + "|" + type_name(plan.a_type) + " x " + type_name(plan.b_type) + " -> " +
           type_name(plan.d_type) + " (C " + type_name(plan.c_type) + ", compute " +
           std::to_string(static_cast<int>(plan.compute)) + ")|layouts " + join(searched_layouts(plan, p)) +
           "|" + std::string(to_string(mode)) + (p.reads_c() ? "|beta" : "") + "|workspace " +
           std::to_string(workspace_bytes) + "|search 2"; // 2: two workspace lists, finalists re-timed
}

// Problems with M or N at most this are "small": the search asks for more candidates.
constexpr std::int64_t small_side = 256;
// The workspace limits the heuristic is asked with: the engine's own and PyTorch's default (1 MiB).
constexpr std::array<std::uint64_t, 2> heuristic_workspaces{workspace_bytes, 1 * mib};

// cuBLASLt's candidates for one layout under each workspace limit, each algorithm once (the first list's
// entry kept), those that cannot run here dropped. Empty when cuBLASLt has no kernel
// (CUBLAS_STATUS_NOT_SUPPORTED).
std::vector<cublasLtMatmulHeuristicResult_t> heuristic_candidates(const selection_inputs& in,
                                                                  const problem_descs& s, int requested) {
    std::vector<cublasLtMatmulHeuristicResult_t> out;
    for (const std::uint64_t ws : heuristic_workspaces) {
        cublasLtMatmulPreference_t raw_pref = nullptr;
        ROOFLINE_CUBLAS_CALL(cublasLtMatmulPreferenceCreate(&raw_pref));
        const pref_ptr pref(raw_pref);
        ROOFLINE_CUBLAS_CALL(cublasLtMatmulPreferenceSetAttribute(
            pref.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
        std::vector<cublasLtMatmulHeuristicResult_t> results(static_cast<std::size_t>(requested));
        int returned = 0;
        const auto st =
            cublasLtMatmulAlgoGetHeuristic(in.handle, s.desc.get(), s.a.get(), s.b.get(), s.c.get(),
                                           s.d.get(), pref.get(), requested, results.data(), &returned);
        if (st == CUBLAS_STATUS_NOT_SUPPORTED) {
            continue;
        }
        ROOFLINE_CUBLAS_CALL(st);
        for (int i = 0; i < returned; ++i) {
            const auto& r = results[static_cast<std::size_t>(i)];
            const bool seen = std::ranges::any_of(out, [&r](const cublasLtMatmulHeuristicResult_t& o) {
                return std::memcmp(o.algo.data, r.algo.data, sizeof r.algo.data) == 0;
            });
            if (!seen) {
                out.push_back(r);
            }
        }
    }
    return out;
}

// Re-times the fastest `finalists` of `ranked` (each holds its first samples) in interleaved rounds, so drift
// of the clock hits them alike, and keeps the one with the lowest median over all its samples. Returns that
// median.
template <class Ranked>
double refine(const selection_inputs& in, sampler& timer, Ranked& ranked, algo_choice& out) {
    std::ranges::sort(ranked,
                      [](const auto& x, const auto& y) { return median_of(x.times) < median_of(y.times); });
    const std::size_t n = std::min(finalists, ranked.size());
    for (std::size_t round = 0; n > 1 && round < finalist_rounds; ++round) {
        for (std::size_t f = 0; f < n; ++f) {
            auto& c = ranked[f];
            const auto more = timer.time_samples(
                [&] { in.launch_with(*c.choice.setup, c.choice.algo, c.choice.workspace); },
                candidate_samples, in.options->mode, in.idle_ratio);
            c.times.insert(c.times.end(), more.begin(), more.end());
        }
    }
    std::size_t best = 0;
    for (std::size_t f = 1; f < n; ++f) {
        best = median_of(ranked[f].times) < median_of(ranked[best].times) ? f : best;
    }
    out = ranked[best].choice;
    return median_of(ranked[best].times);
}

} // namespace

bool d_transposed(const std::string& layout) {
    const std::string suffix = transposed_suffix;
    return layout.size() > suffix.size() &&
           layout.compare(layout.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string operand_layout(const std::string& layout) {
    return d_transposed(layout) ? layout.substr(0, layout.size() - std::strlen(transposed_suffix)) : layout;
}

std::vector<std::string> searched_layouts(const gemm_plan& plan, const gemm_problem& p) {
    std::vector<std::string> all = plan.layouts;
    // M < N: also the problem with M and N exchanged (D stored row-major), where the small side lands on the
    // tile's N, which wgmma sizes in steps of 8, instead of its M, which is 64 per warpgroup (PyTorch's
    // row-major calls run exactly this). Square and tall problems keep the plan's list, so their search costs
    // no more.
    if (p.m < p.n) {
        for (const auto& l : plan.layouts) {
            all.push_back(l + transposed_suffix);
        }
    }
    if (plan.only_layouts.empty()) {
        return all;
    }
    std::vector<std::string> out;
    for (const auto& l : all) {
        if (std::find(plan.only_layouts.begin(), plan.only_layouts.end(), l) != plan.only_layouts.end()) {
            out.push_back(l);
        }
    }
    return out.empty() ? all : out;
}

std::unique_ptr<problem_descs> make_descs(const gemm_plan& plan, const std::string& layout,
                                          const gemm_problem& p, const operand_ptrs& ptrs) {
    auto s = std::make_unique<problem_descs>();
    s->layout = layout;
    s->swapped = d_transposed(layout);
    const std::string ops = operand_layout(layout);
    const bool a_k = a_contiguous_along_k(ops);
    const bool b_k = b_contiguous_along_k(ops);
    cublasLtMatmulDesc_t raw = nullptr;
    ROOFLINE_CUBLAS_CALL(cublasLtMatmulDescCreate(&raw, plan.compute, plan.scale_type));
    s->desc.reset(raw);
    // Swapped, cuBLASLt's A is our B (N x K) and its B our A (K x M): each keeps its storage, so the
    // operation flags follow from which side each operand now sits on.
    const bool first_k = s->swapped ? b_k : a_k;  // cuBLASLt's A contiguous along K
    const bool second_k = s->swapped ? a_k : b_k; // cuBLASLt's B contiguous along K
    set_desc(raw, CUBLASLT_MATMUL_DESC_TRANSA, first_k ? CUBLAS_OP_T : CUBLAS_OP_N);
    set_desc(raw, CUBLASLT_MATMUL_DESC_TRANSB, second_k ? CUBLAS_OP_N : CUBLAS_OP_T);
    const auto* scalars = static_cast<const char*>(ptrs.scalars);
    if (plan.tensor_scaled_fp8) {
        // Both per-tensor scales are 1.0; which slot goes to which side does not matter, but keep them
        // paired.
        set_desc(raw, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
                 static_cast<const void*>(scalars + (s->swapped ? scalar_slot : 0)));
        set_desc(raw, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
                 static_cast<const void*>(scalars + (s->swapped ? 0 : scalar_slot)));
        set_desc(raw, CUBLASLT_MATMUL_DESC_FAST_ACCUM, std::int8_t{0});
    }
    if (plan.d_scaled) {
        set_desc(raw, CUBLASLT_MATMUL_DESC_D_SCALE_POINTER,
                 static_cast<const void*>(scalars + 2 * scalar_slot));
    }
    if (plan.block_scaled) {
        const auto mode = static_cast<std::int32_t>(plan.block_scale_mode);
        set_desc(raw, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, mode);
        set_desc(raw, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, mode);
        set_desc(raw, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, s->swapped ? ptrs.b_scales : ptrs.a_scales);
        set_desc(raw, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, s->swapped ? ptrs.a_scales : ptrs.b_scales);
    }
    const std::int64_t M = p.m;
    const std::int64_t N = p.n;
    const std::int64_t K = p.k;
    // Stored shapes (column-major): A contiguous along K is kept K x M (ld K), else M x K (ld M); B
    // contiguous along K is kept K x N (ld K), else N x K (ld N). D is M x N, or N x M when swapped.
    auto a_layout = a_k ? make_layout(plan.a_type, K, M, K) : make_layout(plan.a_type, M, K, M);
    auto b_layout = b_k ? make_layout(plan.b_type, K, N, K) : make_layout(plan.b_type, N, K, N);
    s->a = s->swapped ? std::move(b_layout) : std::move(a_layout);
    s->b = s->swapped ? std::move(a_layout) : std::move(b_layout);
    const std::int64_t rows = s->swapped ? N : M;
    const std::int64_t cols = s->swapped ? M : N;
    s->c = make_layout(plan.c_type, rows, cols, rows);
    s->d = make_layout(plan.d_type, rows, cols, rows);
    return s;
}

std::string describe_algo(const cublasLtMatmulAlgo_t& algo, std::size_t workspace) {
    const auto get = [&algo](cublasLtMatmulAlgoConfigAttributes_t attr, auto& value) {
        std::size_t written = 0;
        return cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &value, sizeof value, &written) ==
               CUBLAS_STATUS_SUCCESS;
    };
    int id = -1;
    std::uint32_t tile = 0;
    std::uint32_t stages = 0;
    std::int32_t splitk = 1;
    std::uint32_t swizzle = 0;
    std::uint32_t custom = 0;
    std::uint16_t cluster = 0;
    std::string s = "cuBLASLt algo ";
    s += get(CUBLASLT_ALGO_CONFIG_ID, id) ? std::to_string(id) : "?";
    if (get(CUBLASLT_ALGO_CONFIG_TILE_ID, tile)) {
        s += ", tile " + matmul_tile_name(tile);
    }
    if (get(CUBLASLT_ALGO_CONFIG_STAGES_ID, stages)) {
        s += ", stages " + matmul_stages_name(stages);
    }
    if (get(CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID, cluster)) {
        s += ", cluster " + cluster_shape_name(cluster);
    }
    if (get(CUBLASLT_ALGO_CONFIG_SPLITK_NUM, splitk)) {
        s += ", split-K " + std::to_string(splitk);
    }
    if (get(CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING, swizzle)) {
        s += ", swizzle " + std::to_string(swizzle);
    }
    if (get(CUBLASLT_ALGO_CONFIG_CUSTOM_OPTION, custom)) {
        s += ", custom option " + std::to_string(custom);
    }
    s += ", workspace " + format_bytes(static_cast<double>(workspace));
    return s;
}

algo_cache& algo_selector::cache_for(const std::filesystem::path& dir) {
    const auto file = dir.empty() ? std::filesystem::path() : dir / "cublaslt_algorithms.json";
    auto& slot = m_caches[file.string()];
    if (!slot) {
        slot = std::make_unique<algo_cache>(file);
    }
    return *slot;
}

phase_outcome algo_selector::select(const selection_inputs& in, sampler& timer, algo_choice& out,
                                    measurement& m) {
    const auto key = cache_key(*in.problem, *in.plan, *in.device, in.options->mode);
    algo_cache& cache = cache_for(in.options->cache_dir);
    if (!cache.load_warning().empty()) {
        m.notes.push_back(cache.load_warning());
    }
    if (in.options->use_algorithm_cache && from_cache(in, cache, key, out, m)) {
        return phase_outcome::go_on();
    }
    return search(in, timer, cache, key, out, m);
}

// The cached choice when cublasLtMatmulAlgoCheck still accepts it and it runs once; otherwise the entry is
// dropped and the caller searches again.
bool algo_selector::from_cache(const selection_inputs& in, algo_cache& cache, const std::string& key,
                               algo_choice& out, measurement& m) {
    const auto rec = cache.find(key);
    if (!rec) {
        return false;
    }
    const problem_descs* setup = nullptr;
    for (const auto& s : *in.setups) {
        setup = s->layout == rec->layout ? s.get() : setup;
    }
    cublasLtMatmulAlgo_t algo{};
    std::memcpy(algo.data, rec->algo.data(), sizeof algo.data);
    cublasLtMatmulHeuristicResult_t check{};
    const auto st = setup == nullptr ? CUBLAS_STATUS_INVALID_VALUE
                                     : cublasLtMatmulAlgoCheck(in.handle, setup->desc.get(), setup->a.get(),
                                                               setup->b.get(), setup->c.get(), setup->d.get(),
                                                               &algo, &check);
    if (st == CUBLAS_STATUS_SUCCESS && check.state == CUBLAS_STATUS_SUCCESS &&
        check.workspaceSize <= workspace_bytes) {
        try {
            in.launch_with(*setup, algo, check.workspaceSize);
            ROOFLINE_CUDA_CALL(cudaStreamSynchronize(in.stream));
            out = {algo, setup, check.workspaceSize};
            m.algorithm_from_cache = true;
            m.candidates_timed = 0;
            m.notes.push_back("algorithm from the cache " + cache.file().string() + " (chosen there among " +
                              std::to_string(rec->candidates) + " timed candidates)");
            return true;
        } catch (const cublas_error& e) {
            m.notes.push_back(std::string("cached algorithm failed to run (") + e.what() +
                              "); searched again");
        }
    } else {
        m.notes.push_back("cached algorithm rejected by cublasLtMatmulAlgoCheck (status " +
                          std::to_string(static_cast<int>(st)) + "); searched again");
    }
    cache.erase(key);
    return false;
}

// Times the heuristic's candidates in every searched layout, `candidate_samples` times each in the
// measurement's own mode and pacing, and keeps the fastest median.
phase_outcome algo_selector::search(const selection_inputs& in, sampler& timer, algo_cache& cache,
                                    const std::string& key, algo_choice& out, measurement& m) {
    const auto& o = *in.options;
    const auto& plan = *in.plan;
    const auto& p = *in.problem;
    // Small problems (M or N <= 256) ask for twice the candidates: each costs microseconds to time there, and
    // the kernels worth having are further down the heuristic's list.
    const std::size_t asked = std::min(p.m, p.n) <= small_side ? 2 * o.max_candidates : o.max_candidates;
    const int requested = static_cast<int>(std::clamp<std::size_t>(asked, 1, 64));
    struct timed {
        algo_choice choice;
        std::vector<double> times;
    };
    std::vector<timed> ranked;
    std::string last_error;
    std::size_t ran = 0;
    std::size_t offered = 0;
    std::string per_layout;
    for (const auto& s : *in.setups) {
        // The heuristic's list depends on the workspace it may use (split-K variants reduce through it);
        // PyTorch asks with 1 MiB. Both lists are timed, each candidate once.
        const auto results = heuristic_candidates(in, *s, requested);
        const auto returned = results.size();
        offered += returned;
        per_layout += (per_layout.empty() ? "" : ", ") + s->layout + " " + std::to_string(returned);
        for (const auto& r : results) {
            if (r.state != CUBLAS_STATUS_SUCCESS || r.workspaceSize > workspace_bytes) {
                continue;
            }
            try {
                in.launch_with(*s, r.algo, r.workspaceSize); // loads the kernel's module, not timed
                const auto times = timer.time_samples([&] { in.launch_with(*s, r.algo, r.workspaceSize); },
                                                      candidate_samples, o.mode, in.idle_ratio);
                ++ran;
                ranked.push_back({algo_choice{r.algo, s.get(), r.workspaceSize}, times});
            } catch (const cublas_error& e) {
                last_error = e.what();
                ROOFLINE_CUDA_CALL(cudaStreamSynchronize(in.stream));
            }
        }
    }
    if (offered == 0) {
        return phase_outcome::stop(disposition::not_supported,
                                   "cuBLASLt " + in.device->cublaslt_version + " has no kernel for " +
                                       type_name(plan.a_type) + " x " + type_name(plan.b_type) + " -> " +
                                       type_name(plan.d_type) + " at " + p.shape_label() + " on " +
                                       in.device->name + " (sm_" + std::to_string(in.cc_major) +
                                       std::to_string(in.cc_minor) +
                                       ") in any searched layout; 8-bit and 4-bit inputs want M, N and K "
                                       "multiples of 16 (INT8: of 4)");
    }
    if (ranked.empty()) {
        return phase_outcome::stop(disposition::failed,
                                   "none of the " + std::to_string(offered) + " cuBLASLt candidates ran" +
                                       (last_error.empty() ? std::string() : ": " + last_error));
    }
    const double best = refine(in, timer, ranked, out);
    m.candidates_timed = ran;
    m.notes.push_back("algorithm search: " + std::to_string(ran) + " of " + std::to_string(offered) +
                      " cuBLASLt heuristic candidates (asked for up to " + std::to_string(requested) +
                      " per layout with 32 MiB and with 1 MiB of workspace; distinct offered: " + per_layout +
                      ") timed " + std::to_string(candidate_samples) + " times each (" +
                      std::string(to_string(o.mode)) + ", " + std::string(to_string(o.pacing)) + "), the " +
                      std::to_string(std::min(finalists, ranked.size())) + " fastest timed " +
                      std::to_string(finalist_rounds * candidate_samples) +
                      " times more, interleaved, and the fastest median over all their samples kept");
    algo_record rec;
    std::memcpy(rec.algo.data(), out.algo.data, sizeof out.algo.data);
    rec.layout = out.setup->layout;
    rec.description = describe_algo(out.algo, out.workspace);
    rec.median_s = best;
    rec.candidates = ran;
    std::string why;
    if (!cache.store(key, rec, why)) {
        m.notes.push_back("algorithm not cached: " + why);
    }
    return phase_outcome::go_on();
}

} // namespace roofline::cuda
