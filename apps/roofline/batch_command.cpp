// `roofline batch FILE`: many (shape, precision) cases in one run — measured one after another on the GPU
// when present, predicted otherwise — stored as one run.
#include "cli_common.hpp"
#include "commands.hpp"
#include "paths.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/workload/workload_report.hpp"
#include "workload_cli.hpp"

#ifdef ROOFLINE_HAVE_STORE
#include "roofline/store/run_store.hpp"
#endif
#ifdef ROOFLINE_HAVE_SERVER
#include "roofline/server/server.hpp"
#endif

#include <iostream>
#include <memory>
#include <set>

namespace roofline::cli {
namespace {

struct batch_options {
    std::string file;
    std::string hardware;
    std::string format = "table";
    bool predict_only = false;
    std::size_t iterations = 30;
    std::size_t limit = workload::max_batch_cases;
    std::string db;
    bool no_store = false;
};

#ifdef ROOFLINE_HAVE_STORE
// One stored run for the whole batch: the first case's shape indexes it, every case's points are in it.
std::int64_t store_batch(const std::string& db, const nlohmann::json& doc, const workload::batch_input& in,
                         const std::vector<analysis_point>& predicted,
                         const std::vector<analysis_point>& measured, const hardware_entry& hw,
                         const gemm_backend* backend) {
    store::new_run run;
    run.m = in.cases.front().problem.m;
    run.n = in.cases.front().problem.n;
    run.k = in.cases.front().problem.k;
    std::set<std::string> seen;
    for (const auto& c : in.cases) {
        if (seen.insert(c.problem.precision_label()).second) {
            run.precisions.push_back(c.problem.precision_label());
        }
    }
    run.hardware_key = hw.key;
    run.backend = backend ? "gpu" : "prediction-only";
    if (backend) {
        const auto d = backend->device();
        run.device_name = d.name;
        run.device_uuid = d.uuid;
        run.driver_version = d.driver_version;
    }
    run.tool_version = std::string(tool_version());
    run.schema_version = workload::workload_schema_version;
    for (const auto* list : {&measured, &predicted}) {
        for (const auto& pt : *list) {
            run.points.push_back({pt.problem.precision_label(), std::string(to_string(pt.source)),
                                  std::string(to_string(pt.status)),
                                  pt.time_s > 0 ? std::optional<double>(pt.time_s) : std::nullopt});
        }
    }
    auto rest = doc;
    run.hardware_json = rest["hardware"].dump();
    rest.erase("hardware");
    run.answer_json = rest.dump();
    std::filesystem::path path = db;
#ifdef ROOFLINE_HAVE_SERVER
    if (path.empty()) {
        path = runs_db_path();
    }
#endif
    if (path.empty()) {
        throw usage_error("--db is required to store the batch (or pass --no-store)");
    }
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path());
    }
    const auto s = store::run_store::open(path);
    return s->insert(std::move(run));
}
#endif

void run_batch(const batch_options& o, const global_options& global) {
    const auto format = parse_format(o.format);
    if (o.iterations < 1 || o.iterations > 100000) {
        throw usage_error("--iterations must be an integer in [1, 100000]");
    }
    if (o.limit < 1 || o.limit > workload::max_batch_cases) {
        throw usage_error("--limit must be in [1, " + std::to_string(workload::max_batch_cases) + "]");
    }
    const auto text = read_input(o.file, "FILE");
    workload::batch_input in;
    try {
        in = workload::parse_batch(text, o.limit);
    } catch (const workload::batch_refused& e) {
        throw usage_error(std::string(o.file == "-" ? "stdin" : o.file) + ": " + e.what());
    }
    for (const auto& e : in.errors) {
        std::cerr << "error: " << (o.file == "-" ? "stdin" : o.file) << ": " << e.message << " (skipped)\n";
    }
    if (in.cases.empty()) {
        throw usage_error("no case of the batch is valid; nothing ran");
    }
    const auto registry = load_registry(global.data_dir);
    auto gpu = open_gpu_context(registry, o.hardware, o.predict_only, "b10");
    std::vector<analysis_point> predicted;
    std::vector<analysis_point> measured;
    for (const auto& c : in.cases) {
        predicted.push_back(predict(*gpu.hw, c.problem));
    }
    if (gpu.backend) {
        measure_options mopt;
        mopt.samples = o.iterations;
        mopt.min_samples = std::min<std::size_t>(mopt.min_samples, o.iterations);
        progress_line progress(in.cases.size());
        for (std::size_t i = 0; i < in.cases.size(); ++i) {
            progress.step(i, in.cases[i].label);
            auto pt = gpu.backend->measure(in.cases[i].problem, mopt);
            pt.hardware_key = gpu.hw->key;
            pt.roof = estimate(*gpu.hw, pt.problem, pt.traffic);
            measured.push_back(std::move(pt));
        }
    }
    const std::string backend = gpu.backend ? "gpu" : "prediction-only";
    auto doc = workload::batch_document(*gpu.hw, in, predicted, measured, backend);
    std::optional<std::int64_t> run_id;
#ifdef ROOFLINE_HAVE_STORE
    if (!o.no_store) {
        run_id = store_batch(o.db, doc, in, predicted, measured, *gpu.hw, gpu.backend.get());
    }
#endif
    doc["run_id"] = run_id ? nlohmann::json(*run_id) : nlohmann::json(nullptr);
    const auto& shown = measured.empty() ? predicted : measured;
    switch (format) {
    case output_format::json:
        std::cout << doc.dump(2) << '\n';
        break;
    case output_format::csv:
        std::cout << points_csv(shown);
        break;
    case output_format::table:
        std::cout << points_table(*gpu.hw, shown);
        std::cout << in.cases.size() << " case(s) ran";
        if (!in.errors.empty()) {
            std::cout << ", " << in.errors.size() << " line(s) skipped (see the errors above)";
        }
        if (run_id) {
            std::cout << "; stored as run " << *run_id;
        }
        std::cout << '\n';
        if (!gpu.backend) {
            std::cout << "(predicted from the roofline model: " << gpu.why_no_gpu << ")\n";
        }
        break;
    }
    if (!in.errors.empty()) {
        throw partial_batch(in.errors.size());
    }
}

} // namespace

void add_batch_command(CLI::App& app, const global_options& global) {
    auto o = std::make_shared<batch_options>();
    auto* cmd =
        app.add_subcommand("batch", "Many GEMM cases (CSV or JSON of shapes and precisions) in one run, "
                                    "stored as one run");
    cmd->add_option("file", o->file,
                    "CSV (m,n,k,precision per line, or with a header) or JSON; - reads stdin")
        ->required();
    cmd->add_option("--hardware", o->hardware,
                    "Registry key for the roofs (default: the local GPU's entry, else b10)");
    cmd->add_option("--format", o->format, "table, json or csv");
    cmd->add_flag("--predict-only", o->predict_only, "Do not measure even when a GPU is present");
    cmd->add_option("--iterations", o->iterations, "Timed samples per case (default 30)");
    cmd->add_option("--limit", o->limit,
                    "Most cases accepted (default and maximum " + std::to_string(workload::max_batch_cases) +
                        ")");
    cmd->add_option("--db", o->db,
                    "Run database (default: $ROOFLINE_DB, else ~/.local/share/roofline/runs.db)");
    cmd->add_flag("--no-store", o->no_store, "Do not store the batch as a run");
    cmd->callback([o, &global] { run_batch(*o, global); });
}

} // namespace roofline::cli
