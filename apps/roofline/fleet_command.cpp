// `roofline fleet`: the same analysis on many nodes through Slurm, into one PostgreSQL store.
//
// No daemon of our own: `submit` writes an sbatch script (a job array: one task per node, or one per shape
// list) whose tasks run `roofline analyze --db URL` on their node; every run carries its host, GPU and the
// array's job id. `status` asks Slurm (squeue, then scontrol for finished arrays); `report` reads the job's
// runs back from the store and compares the nodes: per shape and precision, each node's TFLOP/s against the
// fleet's median, the slow ones flagged.
#include "cli_common.hpp"
#include "commands.hpp"
#include "stored_run.hpp"

#ifdef ROOFLINE_HAVE_STORE
#include "roofline/store/run_store.hpp"
#endif

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

namespace roofline::cli {
namespace {

namespace fs = std::filesystem;

struct command_result {
    int status = -1;
    std::string output; // stdout and stderr
};

// Single quotes for the shell.
std::string quoted(const std::string& s) {
    std::string out = "'";
    for (const char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

command_result run_command(const std::string& line) {
    command_result r;
    FILE* p = popen((line + " 2>&1").c_str(), "r");
    if (p == nullptr) {
        return r;
    }
    std::array<char, 4096> buf{};
    while (const auto n = std::fread(buf.data(), 1, buf.size(), p)) {
        r.output.append(buf.data(), n);
    }
    const int status = pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    while (!r.output.empty() && (r.output.back() == '\n' || r.output.back() == ' ')) {
        r.output.pop_back();
    }
    return r;
}

std::string slurm_setting() {
    const char* conf = std::getenv("SLURM_CONF");
    return std::string("SLURM_CONF (now ") + (conf != nullptr ? conf : "unset: /etc/slurm/slurm.conf") + ")";
}

// A Slurm client call; a clear error naming the setting when Slurm cannot be reached.
std::string slurm(const std::string& tool, const std::string& args) {
    const auto r = run_command(tool + " " + args);
    if (r.status == 127) {
        throw std::runtime_error(tool +
                                 " is not on PATH: run this on a Slurm login node, or install Slurm's client "
                                 "(Debian: slurm-client)");
    }
    if (r.status != 0) {
        throw std::runtime_error(tool + " failed: " + r.output.substr(0, 400) +
                                 "; check that slurmctld is reachable (`sinfo`) and " + slurm_setting());
    }
    return r.output;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (!l.empty()) {
            out.push_back(l);
        }
    }
    return out;
}

struct submit_options {
    std::string db;
    std::size_t nodes = 1;
    std::string shapes_file;
    std::vector<std::string> shapes;
    std::string precision = "all";
    bool predict_only = false;
    std::string hardware;
    std::size_t gpus_per_node = 0;
    std::string partition, account, time_limit;
    std::vector<std::string> sbatch_args;
    std::string dir = "roofline-fleet";
    std::string roofline_path;
    bool wait = false;
    double wait_timeout_s = 600;
};

std::string self_path() {
    std::error_code ec;
    const auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("roofline") : p.string();
}

void check_shapes(const std::string& list, const std::string& where) {
    std::istringstream in(list);
    for (std::string s; std::getline(in, s, ',');) {
        std::int64_t m = 0;
        std::int64_t n = 0;
        std::int64_t k = 0;
        try {
            parse_shape(s, m, n, k);
        } catch (const std::invalid_argument& e) {
            throw usage_error(where + ": " + e.what());
        }
    }
}

// The array's tasks: one shape list each.
std::vector<std::string> task_shapes(const submit_options& o) {
    std::vector<std::string> tasks;
    if (!o.shapes_file.empty()) {
        std::ifstream in(o.shapes_file);
        if (!in) {
            throw usage_error("--shapes-file " + o.shapes_file + " cannot be read");
        }
        int line_no = 0;
        for (std::string line; std::getline(in, line);) {
            ++line_no;
            line.erase(std::remove_if(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; }),
                       line.end());
            if (line.empty() || line.front() == '#') {
                continue;
            }
            check_shapes(line, "--shapes-file line " + std::to_string(line_no));
            tasks.push_back(line);
        }
        if (tasks.empty()) {
            throw usage_error("--shapes-file " + o.shapes_file +
                              " has no shape list (one per line: MxNxK,MxNxK)");
        }
        return tasks;
    }
    std::string list;
    for (const auto& s : o.shapes.empty() ? std::vector<std::string>{"4096x4096x4096"} : o.shapes) {
        list += (list.empty() ? "" : ",") + s;
    }
    check_shapes(list, "--shape");
    if (o.nodes < 1 || o.nodes > 1000) {
        throw usage_error("--nodes must be in [1, 1000]");
    }
    return std::vector<std::string>(o.nodes, list);
}

std::string sbatch_script(const submit_options& o, const std::vector<std::string>& tasks,
                          const fs::path& dir) {
    std::ostringstream s;
    s << "#!/bin/bash\n# Written by `roofline fleet submit`: one array task per "
      << (o.shapes_file.empty() ? "node" : "shape list") << "; each writes its runs into the shared store.\n";
    s << "#SBATCH --job-name=roofline-fleet\n#SBATCH --array=0-" << tasks.size() - 1 << "\n";
    s << "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n";
    s << "#SBATCH --output=" << (dir / "task-%A_%a.out").string() << "\n";
    if (o.shapes_file.empty()) {
        s << "#SBATCH --exclusive\n"; // one task per node: a whole node each, so nodes are compared alone
    }
    if (o.gpus_per_node > 0) {
        s << "#SBATCH --gres=gpu:" << o.gpus_per_node << "\n";
    }
    if (!o.partition.empty()) {
        s << "#SBATCH --partition=" << o.partition << "\n";
    }
    if (!o.account.empty()) {
        s << "#SBATCH --account=" << o.account << "\n";
    }
    if (!o.time_limit.empty()) {
        s << "#SBATCH --time=" << o.time_limit << "\n";
    }
    for (const auto& a : o.sbatch_args) {
        s << "#SBATCH " << a << "\n";
    }
    s << "set -euo pipefail\nshapes=(";
    for (const auto& t : tasks) {
        s << " " << quoted(t);
    }
    s << " )\nIFS=',' read -ra mine <<< \"${shapes[$SLURM_ARRAY_TASK_ID]}\"\n";
    s << "echo \"task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID on $(hostname): ${mine[*]}\"\n";
    s << "for shape in \"${mine[@]}\"; do\n    " << quoted(o.roofline_path) << " analyze --shape \"$shape\"";
    s << (o.precision == "all" ? std::string(" --all-precisions") : " --precision " + quoted(o.precision));
    if (o.predict_only) {
        s << " --predict-only";
    } else if (o.gpus_per_node > 1) {
        s << " --gpus all"; // every GPU of the node, one worker each, one run per GPU
    }
    if (!o.hardware.empty()) {
        s << " --hardware " << quoted(o.hardware);
    }
    s << " --db " << quoted(o.db) << "\ndone\n";
    return s.str();
}

std::string submit(const submit_options& o_in) {
    auto o = o_in;
    o.db = db_from_option(o.db);
#ifdef ROOFLINE_HAVE_STORE
    if (!store::is_postgresql_url(o.db)) {
        throw usage_error(
            "--db must be a postgresql:// URL (also $ROOFLINE_DB): every node writes into the same "
            "store, which a SQLite file on a shared file system cannot be");
    }
    // Reach the store (and create its schema) before the cluster spends anything: a wrong URL fails here.
    (void)store::run_store::open(o.db);
#endif
    if (o.roofline_path.empty()) {
        o.roofline_path = self_path();
    }
    const auto tasks = task_shapes(o);
    const auto dir = fs::absolute(o.dir);
    fs::create_directories(dir);
    const auto script = dir / "job.sbatch";
    {
        std::ofstream out(script);
        out << sbatch_script(o, tasks, dir);
    }
    fs::permissions(script,
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::owner_exec); // the URL
    const auto out = slurm("sbatch", "--parsable " + quoted(script.string()));
    const auto job = out.substr(0, out.find(';'));
    if (job.empty() || job.find_first_not_of("0123456789") != std::string::npos) {
        throw std::runtime_error("sbatch answered '" + out.substr(0, 200) + "', not a job id; " +
                                 slurm_setting());
    }
    std::cerr << "submitted job array " << job << " (" << tasks.size() << " task"
              << (tasks.size() == 1 ? "" : "s") << "), script " << script.string()
              << "; follow it with `roofline fleet status " << job
              << "`, compare with `roofline fleet report " << job << " --db ...`\n";
    return job;
}

struct task_state {
    std::string task;
    std::string state;
    std::string node;
};

// squeue while the array is queued or running; scontrol once it left the queue (kept MinJobAge seconds).
std::vector<task_state> job_tasks(const std::string& job) {
    std::vector<task_state> out;
    if (job.empty() || job.size() > 20 || job.find_first_not_of("0123456789") != std::string::npos) {
        throw usage_error("job: a Slurm job id is a number (got '" + job.substr(0, 40) + "')");
    }
    const auto queue = run_command("squeue -h -r -j " + job + " -o '%K|%T|%N'");
    if (queue.status != 0 && queue.output.find("Invalid job id") == std::string::npos) {
        (void)slurm("squeue", "-h -r -j " + job); // the error, naming the setting
    }
    for (const auto& l : lines_of(queue.status == 0 ? queue.output : std::string())) {
        const auto a = l.find('|');
        const auto b = l.find('|', a + 1);
        if (a != std::string::npos && b != std::string::npos) {
            out.push_back({l.substr(0, a), l.substr(a + 1, b - a - 1), l.substr(b + 1)});
        }
    }
    if (!out.empty()) {
        return out;
    }
    const auto r = run_command("scontrol -o show job " + job);
    if (r.status != 0) {
        if (r.output.find("Invalid job id") != std::string::npos) {
            return out; // finished long ago: Slurm forgot it; the store still has its runs
        }
        throw std::runtime_error("scontrol failed: " + r.output.substr(0, 400) + "; " + slurm_setting());
    }
    for (const auto& l : lines_of(r.output)) {
        auto field = [&](const std::string& key) {
            const auto p = l.find(" " + key + "=");
            if (p == std::string::npos) {
                return std::string();
            }
            const auto start = p + key.size() + 2;
            return l.substr(start, l.find(' ', start) - start);
        };
        out.push_back({field("ArrayTaskId"), field("JobState"), field("NodeList")});
    }
    return out;
}

bool finished(const std::vector<task_state>& tasks) {
    return std::all_of(tasks.begin(), tasks.end(), [](const auto& t) {
        return t.state != "PENDING" && t.state != "RUNNING" && t.state != "CONFIGURING" &&
               t.state != "COMPLETING";
    });
}

struct report_row {
    std::string shape, precision, source, host;
    std::optional<std::int64_t> gpu;
    std::optional<std::int64_t> task;
    double time_s = 0;
    double tflops = 0;
    double ratio = 0; // to the fleet's median for the same shape, precision and source
    std::string flag;
};

#ifdef ROOFLINE_HAVE_STORE
std::vector<report_row> report_rows(const std::string& db, const std::string& job, std::size_t& runs,
                                    std::vector<std::string>& hosts) {
    auto store = store::run_store::open(db);
    store::run_filter f;
    f.job = job;
    f.limit = 100000;
    std::vector<report_row> rows;
    runs = 0;
    store->for_each_record(f, [&](store::run_record& rec) {
        ++runs;
        const auto& s = rec.summary;
        if (std::find(hosts.begin(), hosts.end(), s.host) == hosts.end()) {
            hosts.push_back(s.host);
        }
        const auto answer = nlohmann::json::parse(rec.answer_json, nullptr, false);
        const auto flops =
            2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
        for (const char* list : {"measured", "predicted"}) {
            if (!answer.contains(list) || !answer[list].is_array()) {
                continue;
            }
            for (const auto& p : answer[list]) {
                const auto t = p.find("time_s");
                if (t == p.end() || !t->is_number() || t->get<double>() <= 0) {
                    continue;
                }
                report_row r;
                r.shape = std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
                r.precision = p.value("precision", std::string("?"));
                r.source = list;
                r.host = s.host;
                r.gpu = s.gpu_index;
                r.task = s.job_task;
                r.time_s = t->get<double>();
                r.tflops = flops / r.time_s / 1e12;
                rows.push_back(std::move(r));
            }
        }
        return true;
    });
    std::sort(hosts.begin(), hosts.end());
    // Each group's median, then each node against it: a node 5% below its peers is the one to look at.
    std::map<std::string, std::vector<double>> groups;
    auto key = [](const report_row& r) { return r.shape + "|" + r.precision + "|" + r.source; };
    for (const auto& r : rows) {
        groups[key(r)].push_back(r.tflops);
    }
    for (auto& r : rows) {
        auto v = groups[key(r)];
        std::sort(v.begin(), v.end());
        const double median =
            v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
        r.ratio = median > 0 ? r.tflops / median : 0;
        r.flag = r.ratio < 0.95 ? "slow: " + std::to_string(static_cast<int>((1 - r.ratio) * 100 + 0.5)) +
                                      "% below the fleet's median"
                                : "";
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return std::tie(a.shape, a.precision, a.source, a.host, a.task) <
               std::tie(b.shape, b.precision, b.source, b.host, b.task);
    });
    return rows;
}
#endif

} // namespace

void add_fleet_command(CLI::App& app, const global_options& global) {
    (void)global;
    auto* fleet = app.add_subcommand(
        "fleet",
        "Run the analysis on many nodes through Slurm into one PostgreSQL store, and compare the nodes");
    fleet->require_subcommand(1);

    auto o = std::make_shared<submit_options>();
    auto* sub =
        fleet->add_subcommand("submit", "Write and submit an sbatch job array (one task per node or per "
                                        "shape list); prints the job id");
    sub->add_option("--db", o->db, "The shared store: a postgresql:// URL (also $ROOFLINE_DB)");
    sub->add_option("--nodes", o->nodes, "Tasks, one per node (default 1); each runs every --shape");
    sub->add_option("--shapes-file", o->shapes_file,
                    "One task per line instead: a comma list of shapes each (MxNxK,MxNxK)");
    sub->add_option("--shape", o->shapes, "MxNxK (repeatable; default 4096x4096x4096)");
    sub->add_option("-p,--precision", o->precision,
                    "A precision or a comma list (default: the five-precision sweep)");
    sub->add_flag("--predict-only", o->predict_only, "Predictions only (no GPU needed)");
    sub->add_option("--hardware", o->hardware, "Registry key for the roofs (default: each node's GPU)");
    sub->add_option("--gpus-per-node", o->gpus_per_node, "--gres=gpu:N for each task (default: none asked)");
    sub->add_option("--partition", o->partition, "Slurm partition (passed to sbatch)");
    sub->add_option("--account", o->account, "Slurm account (passed to sbatch)");
    sub->add_option("--time", o->time_limit, "Slurm time limit per task, e.g. 00:30:00");
    sub->add_option("--sbatch-arg", o->sbatch_args,
                    "Any other sbatch option, as one #SBATCH line (repeatable)");
    sub->add_option("--dir", o->dir, "Where the script and the tasks' logs go (default ./roofline-fleet)");
    sub->add_option("--roofline", o->roofline_path, "The roofline binary on the nodes (default: this one)");
    sub->add_flag("--wait", o->wait, "Return only when every task has finished");
    sub->add_option("--wait-timeout", o->wait_timeout_s, "Seconds --wait waits at most (default 600)");
    sub->callback([o] {
        const auto job = submit(*o);
        std::cout << job << std::endl;
        if (!o->wait) {
            return;
        }
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::duration<double>(o->wait_timeout_s);
        while (!finished(job_tasks(job))) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("job " + job + " has not finished after --wait-timeout " +
                                         std::to_string(static_cast<int>(o->wait_timeout_s)) + " s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    });

    auto job = std::make_shared<std::string>();
    auto db = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("table");
    auto* status =
        fleet->add_subcommand("status", "Each task of a job array: its state and node (Slurm), and its "
                                        "runs in the store when --db is given");
    status->add_option("job", *job, "The job id `fleet submit` printed")->required();
    status->add_option("--db", *db, "The shared store (also $ROOFLINE_DB)");
    status->callback([job, db] {
        const auto tasks = job_tasks(*job);
        std::cout << std::left << std::setw(8) << "task" << std::setw(14) << "state"
                  << "node\n";
        for (const auto& t : tasks) {
            std::cout << std::setw(8) << t.task << std::setw(14) << t.state << t.node << '\n';
        }
        if (tasks.empty()) {
            std::cout << "(Slurm no longer knows job " << *job << "; its runs stay in the store)\n";
        }
#ifdef ROOFLINE_HAVE_STORE
        if (const auto url = db_from_option(*db); !url.empty()) {
            store::run_filter f;
            f.job = *job;
            f.limit = 1;
            std::cout << store::run_store::open(url)->list(f).total << " runs of job " << *job << " stored\n";
        }
#endif
    });

    auto* report =
        fleet->add_subcommand("report", "Compare the nodes of a job array from the store: per shape and "
                                        "precision, each node's TFLOP/s against the fleet's median");
    report->add_option("job", *job, "The job id `fleet submit` printed")->required();
    report->add_option("--db", *db, "The shared store (also $ROOFLINE_DB)");
    report->add_option("--format", *format, "table or json");
    report->callback([job, db, format] {
#ifdef ROOFLINE_HAVE_STORE
        const auto url = db_from_option(*db);
        if (url.empty()) {
            throw usage_error("--db is required (the shared store's postgresql:// URL; also $ROOFLINE_DB)");
        }
        if (*format != "table" && *format != "json") {
            throw usage_error("--format must be table or json (got '" + format->substr(0, 20) + "')");
        }
        std::size_t runs = 0;
        std::vector<std::string> hosts;
        const auto rows = report_rows(url, *job, runs, hosts);
        if (*format == "json") {
            nlohmann::json j{
                {"job", *job}, {"runs", runs}, {"hosts", hosts}, {"rows", nlohmann::json::array()}};
            for (const auto& r : rows) {
                j["rows"].push_back({{"shape", r.shape},
                                     {"precision", r.precision},
                                     {"source", r.source},
                                     {"host", r.host},
                                     {"gpu_index", r.gpu ? nlohmann::json(*r.gpu) : nlohmann::json(nullptr)},
                                     {"task", r.task ? nlohmann::json(*r.task) : nlohmann::json(nullptr)},
                                     {"time_s", r.time_s},
                                     {"tflops", r.tflops},
                                     {"ratio_to_median", r.ratio},
                                     {"flag", r.flag}});
            }
            std::cout << j.dump(2) << '\n';
            return;
        }
        std::cout << "job " << *job << ": " << runs << " runs from " << hosts.size() << " host"
                  << (hosts.size() == 1 ? "" : "s") << "\n";
        std::cout << std::left << std::setw(18) << "shape" << std::setw(26) << "precision" << std::setw(11)
                  << "source" << std::setw(18) << "host" << std::setw(5) << "gpu" << std::setw(6) << "task"
                  << std::right << std::setw(12) << "TFLOP/s" << std::setw(9) << "x median"
                  << "  flag\n";
        for (const auto& r : rows) {
            char tf[32];
            char ratio[32];
            std::snprintf(tf, sizeof tf, "%.1f", r.tflops);
            std::snprintf(ratio, sizeof ratio, "%.3f", r.ratio);
            std::cout << std::left << std::setw(18) << r.shape << std::setw(26) << r.precision
                      << std::setw(11) << r.source << std::setw(18) << r.host.substr(0, 17) << std::setw(5)
                      << (r.gpu ? std::to_string(*r.gpu) : "-") << std::setw(6)
                      << (r.task ? std::to_string(*r.task) : "-") << std::right << std::setw(12) << tf
                      << std::setw(9) << ratio << "  " << r.flag << '\n';
        }
#else
        (void)job, (void)db, (void)format;
        throw usage_error("this build has no run store");
#endif
    });
}

} // namespace roofline::cli
