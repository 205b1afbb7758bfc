// `roofline runs`: the stored history from the command line: prune old runs (the answer to --max-db-bytes),
// list runs by host, GPU or job.
#include "cli_common.hpp"
#include "commands.hpp"
#include "stored_run.hpp"

#ifdef ROOFLINE_HAVE_STORE
#include "roofline/store/run_store.hpp"

#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#endif

#include <memory>
#include <string>

namespace roofline::cli {

#ifdef ROOFLINE_HAVE_STORE
namespace {

// "30d", "12h", "90m", "45s" (a bare number: days) into seconds.
std::int64_t parse_age(const std::string& text) {
    std::size_t used = 0;
    long long n = -1;
    try {
        n = std::stoll(text, &used);
    } catch (const std::exception&) {
        n = -1;
    }
    const std::string unit = text.substr(used);
    const long long scale = unit.empty() || unit == "d" ? 86400
                            : unit == "h"               ? 3600
                            : unit == "m"               ? 60
                            : unit == "s"               ? 1
                                                        : 0;
    if (n < 0 || scale == 0 || n > 36500LL * 86400 / scale) {
        throw usage_error("--older-than must be a duration like 30d, 12h, 90m or 45s (got '" +
                          text.substr(0, 40) + "')");
    }
    return n * scale;
}

std::string iso_seconds_ago(std::int64_t seconds) {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() -
                                                        std::chrono::seconds(seconds));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return buf;
}

std::string required_db(const std::string& option) {
    const auto db = db_from_option(option);
    if (db.empty()) {
        throw usage_error("--db is required (a SQLite file or a postgresql:// URL; also $ROOFLINE_DB)");
    }
    return db;
}

} // namespace
#endif

void add_runs_command(CLI::App& app, const global_options& global) {
    (void)global;
    auto* runs =
        app.add_subcommand("runs", "The stored history: prune old runs, list runs by host, GPU or job");
    runs->require_subcommand(1);
#ifdef ROOFLINE_HAVE_STORE
    struct options {
        std::string db;
        std::string older_than;
        std::string host, gpu, job;
        std::size_t limit = 50;
    };
    auto o = std::make_shared<options>();
    auto* prune = runs->add_subcommand(
        "prune", "Delete the runs older than a duration (makes room under --max-db-bytes)");
    prune->add_option("--db", o->db, "The database (SQLite file or postgresql:// URL; default $ROOFLINE_DB)");
    prune->add_option("--older-than", o->older_than, "30d, 12h, 90m or 45s")->required();
    prune->callback([o] {
        const auto before = iso_seconds_ago(parse_age(o->older_than));
        auto store = store::run_store::open(required_db(o->db));
        const auto n = store->prune_before(before);
        std::cout << "deleted " << n << " run" << (n == 1 ? "" : "s") << " created before " << before
                  << " from " << store->location() << '\n';
    });
    auto* list = runs->add_subcommand("list", "List stored runs, newest first");
    list->add_option("--db", o->db, "The database (SQLite file or postgresql:// URL; default $ROOFLINE_DB)");
    list->add_option("--host", o->host, "Only this node");
    list->add_option("--gpu", o->gpu, "Only this GPU: its index, UUID or PCI bus id");
    list->add_option("--job", o->job, "Only the runs of this Slurm job");
    list->add_option("--limit", o->limit, "At most this many (default 50)");
    list->callback([o] {
        auto store = store::run_store::open(required_db(o->db));
        store::run_filter f;
        if (!o->host.empty()) {
            f.host = o->host;
        }
        if (!o->gpu.empty()) {
            f.gpu = o->gpu;
        }
        if (!o->job.empty()) {
            f.job = o->job;
        }
        f.limit = o->limit;
        const auto page = store->list(f);
        std::cout << std::left << std::setw(8) << "id" << std::setw(26) << "created_at" << std::setw(20)
                  << "host" << std::setw(5) << "gpu" << std::setw(22) << "shape" << std::setw(12) << "job"
                  << "precisions\n";
        for (const auto& r : page.runs) {
            std::string precisions;
            for (const auto& p : r.precisions) {
                precisions += (precisions.empty() ? "" : ",") + p;
            }
            std::cout << std::setw(8) << r.id << std::setw(26) << r.created_at << std::setw(20)
                      << r.host.substr(0, 19) << std::setw(5)
                      << (r.gpu_index ? std::to_string(*r.gpu_index) : "-") << std::setw(22)
                      << (std::to_string(r.m) + "x" + std::to_string(r.n) + "x" + std::to_string(r.k))
                      << std::setw(12) << (r.job.empty() ? "-" : r.job) << precisions << '\n';
        }
        std::cout << page.runs.size() << " of " << page.total << " runs\n";
    });
#else
    runs->callback([] { throw usage_error("this build has no run store (libsqlite3-dev was missing)"); });
#endif
}

} // namespace roofline::cli
