// `roofline fleet` against a real one-node Slurm and a real PostgreSQL (scripts/start_test_services.sh):
// a job array of prediction-only tasks writes its runs into the store and `fleet report` reads them back.
// Without SLURM_CONF and ROOFLINE_TEST_POSTGRES_URL it fails under CI (or ROOFLINE_REQUIRE_SERVICES) and
// skips with the reason elsewhere.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
}

struct result {
    int status = -1;
    std::string out;
};

result run(const std::string& args) {
    result r;
    FILE* p = popen((std::string(ROOFLINE_BIN) + " " + args + " 2>&1").c_str(), "r");
    std::array<char, 4096> buf{};
    while (const auto n = std::fread(buf.data(), 1, buf.size(), p)) {
        r.out.append(buf.data(), n);
    }
    const int s = pclose(p);
    r.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
    return r;
}

class fleet : public ::testing::Test {
  protected:
    void SetUp() override {
        m_base = env("ROOFLINE_TEST_POSTGRES_URL");
        if (m_base.empty() || env("SLURM_CONF").empty()) {
            if (!env("CI").empty() || !env("ROOFLINE_REQUIRE_SERVICES").empty()) {
                FAIL() << "SLURM_CONF and ROOFLINE_TEST_POSTGRES_URL must be set under CI (scripts/test.sh "
                          "starts "
                          "both through scripts/start_test_services.sh)";
            }
            GTEST_SKIP()
                << "no test Slurm or PostgreSQL: eval \"$(scripts/start_test_services.sh start)\" first";
        }
        m_schema = "fleet_" + std::to_string(getpid());
        PGconn* c = PQconnectdb(m_base.c_str());
        ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
        PQsetNoticeProcessor(
            c, [](void*, const char*) {}, nullptr);
        PQclear(
            PQexec(c, ("DROP SCHEMA IF EXISTS " + m_schema + " CASCADE; CREATE SCHEMA " + m_schema).c_str()));
        PQfinish(c);
        char tmpl[] = "/tmp/roofline_fleet_XXXXXX";
        m_dir = mkdtemp(tmpl);
    }
    void TearDown() override {
        if (!m_dir.empty()) {
            std::filesystem::remove_all(m_dir);
        }
    }
    [[nodiscard]] std::string url() const { return m_base + "?options=-csearch_path%3D" + m_schema; }
    std::string m_base;
    std::string m_schema;
    std::string m_dir;
};

} // namespace

TEST_F(fleet, a_job_array_writes_its_runs_and_report_reads_them_back) {
    const auto sub = run("fleet submit --db '" + url() +
                         "' --nodes 3 --shape 4096x4096x4096 --shape 8192x8192x8192 "
                         "--precision FP16,INT8 --predict-only --hardware h200 --dir " +
                         m_dir + " --wait --wait-timeout 300");
    ASSERT_EQ(sub.status, 0) << sub.out;
    std::string job;
    // The job id is the line that is only digits.
    for (std::size_t start = 0; start < sub.out.size();) {
        const auto end = sub.out.find('\n', start);
        const auto line = sub.out.substr(start, end - start);
        if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) {
            job = line;
        }
        start = end == std::string::npos ? sub.out.size() : end + 1;
    }
    ASSERT_FALSE(job.empty()) << sub.out;

    const auto status = run("fleet status " + job + " --db '" + url() + "'");
    ASSERT_EQ(status.status, 0) << status.out;
    EXPECT_NE(status.out.find("COMPLETED"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("6 runs of job " + job), std::string::npos) << status.out;

    const auto rep = run("fleet report " + job + " --db '" + url() + "' --format json");
    ASSERT_EQ(rep.status, 0) << rep.out;
    const auto j = nlohmann::json::parse(rep.out);
    EXPECT_EQ(j["runs"], 6) << "3 tasks x 2 shapes";
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    EXPECT_EQ(j["hosts"], nlohmann::json::array({host}));
    ASSERT_EQ(j["rows"].size(), 12U) << "3 tasks x 2 shapes x 2 precisions";
    std::set<int> tasks;
    for (const auto& r : j["rows"]) {
        tasks.insert(r["task"].get<int>());
        EXPECT_NEAR(r["ratio_to_median"].get<double>(), 1.0, 1e-9) << "the same prediction on every task";
        EXPECT_GT(r["tflops"].get<double>(), 0);
    }
    EXPECT_EQ(tasks, (std::set<int>{0, 1, 2}));
    const auto table = run("fleet report " + job + " --db '" + url() + "'");
    EXPECT_EQ(table.status, 0) << table.out;
    EXPECT_NE(table.out.find("6 runs from 1 host"), std::string::npos) << table.out;
}

TEST_F(fleet, unreachable_postgresql_and_slurm_name_the_setting) {
    auto r = run("fleet submit --db postgresql://roofline@127.0.0.1:1/none --predict-only --dir " + m_dir);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.out.find("--db"), std::string::npos) << r.out;
    r = run("fleet submit --db " + m_dir + "/runs.db --predict-only --dir " + m_dir);
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.out.find("postgresql://"), std::string::npos) << r.out;
    r = run("fleet status 999999 --db '" + url() + "'");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("no longer knows job 999999"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("0 runs of job 999999"), std::string::npos) << r.out;
    // A controller that does not answer: the same cluster's configuration with its port closed.
    const std::string saved = env("SLURM_CONF");
    {
        std::ifstream in(saved);
        std::ofstream out(m_dir + "/dead.conf");
        for (std::string line; std::getline(in, line);) {
            out << (line.rfind("SlurmctldPort=", 0) == 0 ? std::string("SlurmctldPort=1") : line) << '\n';
        }
        out << "MessageTimeout=2\n";
    }
    setenv("SLURM_CONF", (m_dir + "/dead.conf").c_str(), 1);
    r = run("fleet submit --db '" + url() + "' --predict-only --dir " + m_dir);
    setenv("SLURM_CONF", saved.c_str(), 1);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.out.find("SLURM_CONF"), std::string::npos) << r.out;
}
