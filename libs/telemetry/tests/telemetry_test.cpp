// Telemetry against a fake NVML: the loader takes a table of function pointers, so these tests drive every
// parsing path (identity, field values, reason bits, summary math) and the no-NVML path without a GPU.
#include "roofline/telemetry/telemetry.hpp"

#include <atomic>
#include <cstring>
#include <gtest/gtest.h>
#include <thread>

using namespace roofline;
using namespace roofline::telemetry;

namespace {

// The fake device's state. Plain function pointers cannot capture, so the fakes read this global.
struct fake_state {
    nvml::return_t init_result = nvml::success;
    unsigned devices = 2;
    bool instant_power = true;
    nvml::return_t power_usage_result = nvml::success;
    unsigned sm_clock = 1755;
    unsigned mem_clock = 2619;
    unsigned long long reasons = 0x4; // power cap
    std::atomic<unsigned long long> energy_mj{1'000'000};
    std::atomic<int> power_usage_calls{0};
    std::atomic<int> temperature_calls{0};
    std::atomic<int> shutdowns{0};
};
fake_state* g = nullptr;

nvml::device_t handle(unsigned i) {
    return reinterpret_cast<nvml::device_t>(static_cast<std::uintptr_t>(0x1000 + i));
}
unsigned index_of(nvml::device_t d) {
    return static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(d) - 0x1000);
}

nvml::api fake_api() {
    nvml::api a;
    a.init = [] { return g->init_result; };
    a.shutdown = [] {
        ++g->shutdowns;
        return nvml::success;
    };
    a.error_string = [](nvml::return_t r) { return r == 9 ? "Driver Not Loaded" : "fake error"; };
    a.system_get_driver_version = [](char* buf, unsigned n) {
        std::snprintf(buf, n, "580.159.04");
        return nvml::success;
    };
    a.device_get_count = [](unsigned* n) {
        *n = g->devices;
        return nvml::success;
    };
    a.device_get_handle_by_index = [](unsigned i, nvml::device_t* d) {
        if (i >= g->devices) {
            return nvml::error_invalid_argument;
        }
        *d = handle(i);
        return nvml::success;
    };
    a.device_get_handle_by_pci_bus_id = [](const char*, nvml::device_t*) { return nvml::error_not_found; };
    a.device_get_name = [](nvml::device_t d, char* buf, unsigned n) {
        std::snprintf(buf, n, "NVIDIA H100 80GB HBM3 #%u", index_of(d));
        return nvml::success;
    };
    a.device_get_uuid = [](nvml::device_t d, char* buf, unsigned n) {
        std::snprintf(buf, n, "GPU-0000000%u-aaaa-bbbb-cccc-dddddddddddd", index_of(d));
        return nvml::success;
    };
    a.device_get_pci_info = [](nvml::device_t d, nvml::pci_info_t* p) {
        p->domain = 0;
        p->bus = 0x19 + index_of(d);
        p->device = 0;
        std::snprintf(p->bus_id, sizeof p->bus_id, "00000000:%02X:00.0", p->bus);
        return nvml::success;
    };
    a.device_get_cuda_compute_capability = [](nvml::device_t, int* major, int* minor) {
        *major = 9;
        *minor = 0;
        return nvml::success;
    };
    a.device_get_clock_info = [](nvml::device_t, int type, unsigned* mhz) {
        *mhz = type == nvml::clock_sm ? g->sm_clock : g->mem_clock;
        return nvml::success;
    };
    a.device_get_max_clock_info = [](nvml::device_t, int type, unsigned* mhz) {
        *mhz = type == nvml::clock_sm ? 1980 : 2619;
        return nvml::success;
    };
    a.device_get_power_usage = [](nvml::device_t, unsigned* mw) {
        ++g->power_usage_calls;
        *mw = 650'000;
        return g->power_usage_result;
    };
    a.device_get_enforced_power_limit = [](nvml::device_t, unsigned* mw) {
        *mw = 700'000;
        return nvml::success;
    };
    a.device_get_total_energy_consumption = [](nvml::device_t, unsigned long long* mj) {
        *mj = g->energy_mj.fetch_add(7'000); // 7 J per read: the region's energy is exactly 7 J
        return nvml::success;
    };
    a.device_get_temperature = [](nvml::device_t, int, unsigned* c) {
        ++g->temperature_calls;
        *c = 61;
        return nvml::error_not_supported; // this fake's sensor is absent: asked once, then left alone
    };
    a.device_get_utilization_rates = [](nvml::device_t, nvml::utilization_t* u) {
        u->gpu = 100;
        u->memory = 40;
        return nvml::success;
    };
    a.device_get_memory_info = [](nvml::device_t, nvml::memory_t* m) {
        m->total = 80ULL << 30;
        m->used = 3ULL << 30;
        m->free = m->total - m->used;
        return nvml::success;
    };
    a.device_get_clocks_event_reasons = [](nvml::device_t, unsigned long long* bits) {
        *bits = g->reasons;
        return nvml::success;
    };
    a.device_get_field_values = [](nvml::device_t, int n, nvml::field_value_t* v) {
        for (int i = 0; i < n; ++i) {
            if (v[i].field_id == nvml::field_power_instant && g->instant_power) {
                v[i].nvml_return = nvml::success;
                v[i].value_type = nvml::value_unsigned_int;
                v[i].value.ui = 612'500;
            } else {
                v[i].nvml_return = nvml::error_not_supported;
            }
        }
        return nvml::success;
    };
    return a;
}

class fake_nvml : public ::testing::Test {
  protected:
    void SetUp() override { g = &m_state; }
    void TearDown() override { g = nullptr; }
    std::shared_ptr<nvml::library> open() {
        std::string why;
        auto lib = nvml::library::from_api(fake_api(), why);
        EXPECT_TRUE(lib) << why;
        return lib;
    }
    fake_state m_state;
};

sample at(double t, double sm, double power, std::uint64_t bits) {
    sample s;
    s.time_s = t;
    s.sm_clock_mhz = sm;
    s.power_w = power;
    s.temperature_c = 50 + t;
    s.utilization_pct = 100;
    s.clock_event_bits = bits;
    return s;
}

} // namespace

TEST(clock_event_reasons, bits_become_words_lowest_first) {
    EXPECT_TRUE(clock_event_reasons(0).empty());
    EXPECT_EQ(clock_event_reasons(0x4), (std::vector<std::string>{"power cap"}));
    EXPECT_EQ(clock_event_reasons(0x1 | 0x20 | 0x40 | 0x80),
              (std::vector<std::string>{"GPU idle", "thermal slowdown (software)",
                                        "thermal slowdown (hardware)", "power brake (hardware)"}));
    EXPECT_EQ(clock_event_reasons(0x8 | 0x10000),
              (std::vector<std::string>{"hardware slowdown", "unknown reason 0x10000"}));
}

TEST(field_values, decoded_by_their_value_type) {
    nvml::field_value_t v{};
    v.nvml_return = nvml::success;
    v.value_type = nvml::value_unsigned_int;
    v.value.ui = 612500;
    EXPECT_EQ(field_value_number(v), 612500.0);
    v.value_type = nvml::value_signed_int;
    v.value.si = -3;
    EXPECT_EQ(field_value_number(v), -3.0);
    v.value_type = nvml::value_double;
    v.value.d = 1.5;
    EXPECT_EQ(field_value_number(v), 1.5);
    v.value_type = nvml::value_unsigned_long_long;
    v.value.ull = 1ULL << 40;
    EXPECT_EQ(field_value_number(v), static_cast<double>(1ULL << 40));
    v.value_type = 42;
    EXPECT_FALSE(field_value_number(v));
    v.value_type = nvml::value_unsigned_int;
    v.nvml_return = nvml::error_not_supported; // the value is undefined then, whatever it holds
    EXPECT_FALSE(field_value_number(v));
}

TEST(summarize, clocks_power_energy_and_the_75_percent_rule) {
    device_info dev;
    dev.max_sm_clock_mhz = 2000;
    dev.power_limit_w = 700;
    const std::vector<sample> s{at(0.00, 1980, 600, 0x0), at(0.01, 1600, 700, 0x4),
                                at(0.02, 1400, 690, 0x4 | 0x1), at(0.03, 1020, 650, 0x40)};
    region r;
    r.seconds = 0.04;
    r.energy_begin_j = 100.0;
    r.energy_end_j = 126.0; // 26 J over the region
    r.gemm_count = 10;
    r.timed_s = 0.03; // GEMMs ran 75% of the region
    const auto t = summarize(s, r, dev);
    EXPECT_TRUE(t.available);
    EXPECT_EQ(t.samples, 4U);
    EXPECT_DOUBLE_EQ(t.sample_rate_hz, 100.0);
    EXPECT_DOUBLE_EQ(*t.sm_clock_mean_mhz, 1500.0);
    EXPECT_DOUBLE_EQ(*t.sm_clock_min_mhz, 1020.0);
    EXPECT_DOUBLE_EQ(*t.sm_clock_max_mhz, 2000.0);
    EXPECT_DOUBLE_EQ(*t.power_mean_w, 660.0);
    EXPECT_DOUBLE_EQ(*t.power_limit_w, 700.0);
    EXPECT_DOUBLE_EQ(*t.temperature_max_c, 50.03);
    EXPECT_EQ(t.low_clock_samples, 2U); // 1400 and 1020 are under 1500 MHz; 1600 is not
    // 0.04 s is too short for the counter's coarse steps and the power readings' lag: no energy, and why.
    EXPECT_FALSE(t.energy_j);
    EXPECT_FALSE(t.energy_per_gemm_j);
    EXPECT_EQ(t.energy_source, "not measured: the timed region lasted 0.04 s; energy needs 1 s or more "
                               "(--telemetry-seconds 1)");
    // Idle in 1 of 4 samples is a host gap, not a reason; power cap and hardware thermal were seen.
    EXPECT_EQ(t.throttle_reasons, (std::vector<std::string>{"power cap", "thermal slowdown (hardware)"}));
}

TEST(summarize, a_counter_that_did_not_move_falls_back_to_power_times_time) {
    device_info dev;
    dev.max_sm_clock_mhz = 2000;
    const std::vector<sample> s{at(0.00, 1980, 600, 0x0), at(0.01, 1980, 700, 0x0)};
    region r;
    r.seconds = 1.5;
    r.energy_begin_j = 100.0;
    r.energy_end_j = 100.0; // the counter did not tick (or the device has none that moves)
    r.gemm_count = 4;
    r.timed_s = 1.5;
    const auto t = summarize(s, r, dev);
    ASSERT_TRUE(t.energy_j.has_value()); // never "0 J"
    EXPECT_DOUBLE_EQ(*t.energy_j, 650.0 * 1.5);
    ASSERT_TRUE(t.energy_per_gemm_j.has_value());
    EXPECT_DOUBLE_EQ(*t.energy_per_gemm_j, 650.0 * 1.5 / 4);
    EXPECT_EQ(t.energy_source, "mean power x time");
}

TEST(summarize, paced_regions_take_the_rests_energy_out_before_sharing) {
    device_info dev;
    dev.max_sm_clock_mhz = 2000;
    dev.power_limit_w = 700;
    const std::vector<sample> s{at(0.00, 1980, 400, 0x0), at(0.01, 1980, 400, 0x0)};
    region r;
    r.seconds = 2.0;
    r.energy_begin_j = 0.0;
    r.energy_end_j = 800.0; // 400 W over the region
    r.gemm_count = 2000;
    r.timed_s = 0.9;        // GEMMs
    r.rest_s = 1.0;         // rests, at 100 W: 100 J
    r.rest_power_w = 100.0; // the other 0.1 s are flushes and launch gaps, shared by time
    const auto t = summarize(s, r, dev);
    const double busy_j = 800.0 - 100.0;
    ASSERT_TRUE(t.energy_per_gemm_j);
    EXPECT_DOUBLE_EQ(*t.energy_per_gemm_j, busy_j * (0.9 / 1.0) / 2000);
    ASSERT_TRUE(t.gemm_power_w);
    EXPECT_NEAR(*t.gemm_power_w, 700.0, 1e-9); // while the GEMMs ran, not the 400 W mean
    EXPECT_EQ(t.energy_source, "energy counter, rests subtracted at 100 W");
    // Without a rest power a paced region gets no per-GEMM energy: a diluted one would mislead.
    r.rest_power_w.reset();
    const auto u = summarize(s, r, dev);
    EXPECT_TRUE(u.energy_j);
    EXPECT_FALSE(u.energy_per_gemm_j);
    EXPECT_FALSE(u.gemm_power_w);
}

TEST(summarize, short_regions_get_no_energy_and_long_ones_prefer_the_counter) {
    device_info dev;
    dev.power_limit_w = 700;
    const std::vector<sample> s{at(0.0, 1980, 430, 0x0), at(0.05, 1980, 430, 0x0)};
    region r;
    r.gemm_count = 100;
    r.timed_s = 0.05;
    // An H200's FP8 4096^3 region: the counter said 93 J over 0.10 s (917 W under a 700 W limit) while the
    // sampled power read 430 W. Neither is trusted over so short a region.
    r.seconds = 0.1015;
    r.energy_begin_j = 1000.0;
    r.energy_end_j = 1093.066;
    const auto short_region = summarize(s, r, dev);
    EXPECT_FALSE(short_region.energy_j);
    EXPECT_FALSE(short_region.energy_per_gemm_j);
    EXPECT_NE(short_region.energy_source.find("lasted 0.10 s"), std::string::npos)
        << short_region.energy_source;
    // Over 2 s the counter's steps are small against the total, and it is exact.
    r.seconds = 2.0;
    r.energy_end_j = 1000.0 + 861.0;
    const auto long_region = summarize(s, r, dev);
    EXPECT_DOUBLE_EQ(*long_region.energy_j, 861.0);
    EXPECT_EQ(long_region.energy_source, "energy counter");
}

TEST(summarize, a_paced_estimate_above_the_power_limit_is_withheld) {
    device_info dev;
    dev.power_limit_w = 700;
    const std::vector<sample> s{at(0.0, 1980, 650, 0x0), at(0.05, 1980, 650, 0x0)};
    region r;
    r.seconds = 2.0;
    r.gemm_count = 100;
    r.timed_s = 0.6;
    r.rest_s = 1.0;
    r.rest_power_w = 100.0; // 1300 J - 100 J, 60% of it over 0.6 s of GEMMs: 1200 W, which no H200 draws
    const auto t = summarize(s, r, dev);
    EXPECT_TRUE(t.energy_j);
    EXPECT_FALSE(t.energy_per_gemm_j);
    EXPECT_FALSE(t.gemm_power_w);
    EXPECT_NE(t.energy_source.find("is over 1.5 x the 700 W limit"), std::string::npos) << t.energy_source;
    // Rests that account for all the energy: no per-GEMM figure either, and the reason.
    r.rest_power_w = 2000.0;
    const auto u = summarize(s, r, dev);
    EXPECT_FALSE(u.energy_per_gemm_j);
    EXPECT_NE(u.energy_source.find("rests account for all of it"), std::string::npos) << u.energy_source;
}

TEST(summarize, idle_in_most_samples_is_reported_and_missing_fields_stay_empty) {
    device_info dev; // no max clock known: nothing is judged low
    std::vector<sample> s(3);
    s[0].clock_event_bits = 0x1;
    s[1].clock_event_bits = 0x1;
    s[2].clock_event_bits = 0x0;
    s[0].sm_clock_mhz = 100;
    region r;
    r.seconds = 1.0;
    r.energy_begin_j = 10.0;
    r.energy_end_j = 5.0; // counter went backwards (driver reload): no energy rather than a negative one
    const auto t = summarize(s, r, dev);
    EXPECT_EQ(t.throttle_reasons, (std::vector<std::string>{"GPU idle"}));
    EXPECT_EQ(t.low_clock_samples, 0U);
    EXPECT_FALSE(t.power_mean_w);
    EXPECT_FALSE(t.energy_j);
    EXPECT_FALSE(t.energy_per_gemm_j);
}

TEST(no_nvml, a_missing_library_says_what_to_install) {
    std::string why;
    const auto lib = nvml::library::open(why, "libroofline-no-such-nvml.so.1");
    EXPECT_FALSE(lib);
    EXPECT_NE(why.find("libroofline-no-such-nvml.so.1 not found: install the NVIDIA driver"),
              std::string::npos)
        << why;
}

TEST(no_nvml, probe_and_monitor_report_unavailable_with_the_reason) {
    std::string why = "libnvidia-ml.so.1 not found: install the NVIDIA driver";
    device_selector sel;
    sel.index = 0;
    auto probe = make_probe(nullptr, sel, why);
    ASSERT_TRUE(probe);
    EXPECT_FALSE(probe->available());
    probe->begin();
    const auto t = probe->end(probe_counts::back_to_back(30, 0.01));
    EXPECT_FALSE(t.available);
    EXPECT_EQ(t.unavailable_reason, "libnvidia-ml.so.1 not found: install the NVIDIA driver");
    EXPECT_FALSE(t.power_mean_w);

    monitor mon(nullptr, sel);
    EXPECT_FALSE(mon.status().available);
    EXPECT_NE(mon.status().reason.find("NVML not available"), std::string::npos);
    EXPECT_FALSE(mon.read_now());
    EXPECT_FALSE(mon.device());
    EXPECT_EQ(to_json(mon.status())["available"], false);
}

TEST(no_nvml, the_real_loader_never_throws_here) {
    // On a machine with the driver this finds it; without, it explains. Either way: no exception, and a
    // probe that can be used.
    std::string why;
    auto probe = make_probe(0U, why);
    ASSERT_TRUE(probe);
    EXPECT_EQ(probe->available(), why.empty()) << why;
    if (!probe->available()) {
        std::cout << "NVML here: " << why << '\n';
    }
}

TEST_F(fake_nvml, init_failure_names_the_call_and_code) {
    m_state.init_result = nvml::error_driver_not_loaded;
    std::string why;
    EXPECT_FALSE(nvml::library::from_api(fake_api(), why));
    EXPECT_NE(why.find("nvmlInit_v2 failed"), std::string::npos) << why;
    EXPECT_NE(why.find("(9)"), std::string::npos) << why;
}

TEST_F(fake_nvml, errors_carry_code_and_call) {
    const auto lib = open();
    try {
        lib->check(nvml::error_not_supported, "nvmlDeviceGetPowerUsage");
        FAIL() << "check() did not throw";
    } catch (const nvml::error& e) {
        EXPECT_EQ(e.code(), nvml::error_not_supported);
        EXPECT_EQ(e.call(), "nvmlDeviceGetPowerUsage");
        EXPECT_NE(std::string(e.what()).find("nvmlDeviceGetPowerUsage failed: fake error (3)"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(nvml::return_name(3), "Not Supported");
}

TEST_F(fake_nvml, identity_is_read_once) {
    const auto lib = open();
    std::string why;
    device_selector sel;
    sel.index = 1;
    const auto dev = open_device(lib, sel, why);
    ASSERT_TRUE(dev) << why;
    const auto& i = dev->info();
    EXPECT_EQ(i.index, 1U);
    EXPECT_EQ(i.name, "NVIDIA H100 80GB HBM3 #1");
    EXPECT_EQ(i.uuid, "GPU-00000001-aaaa-bbbb-cccc-dddddddddddd");
    EXPECT_EQ(i.pci_bus_id, "00000000:1A:00.0");
    EXPECT_EQ(i.driver_version, "580.159.04");
    EXPECT_EQ(i.compute_capability, "9.0");
    EXPECT_DOUBLE_EQ(*i.power_limit_w, 700.0);
    EXPECT_DOUBLE_EQ(*i.max_sm_clock_mhz, 1980.0);
    EXPECT_DOUBLE_EQ(*i.max_mem_clock_mhz, 2619.0);
    EXPECT_TRUE(i.instant_power);
    EXPECT_TRUE(i.energy_counter);
    EXPECT_EQ(to_json(i)["uuid"], i.uuid);
}

TEST_F(fake_nvml, cuda_bus_id_spelling_finds_the_device) {
    const auto lib = open();
    std::string why;
    device_selector sel;
    sel.pci_bus_id = "0000:1a:00.0"; // cudaDeviceGetPCIBusId's spelling; the fake's NVML lookup refuses it
    const auto dev = open_device(lib, sel, why);
    ASSERT_TRUE(dev) << why;
    EXPECT_EQ(dev->info().index, 1U);

    sel.pci_bus_id = "0000:77:00.0"; // no such GPU, and two to choose from: no guessing
    EXPECT_FALSE(open_device(lib, sel, why));
    EXPECT_NE(why.find("no NVML device matches"), std::string::npos) << why;

    device_selector missing;
    missing.index = 5;
    EXPECT_FALSE(open_device(lib, missing, why));
    EXPECT_NE(why.find("does not exist"), std::string::npos) << why;
}

TEST_F(fake_nvml, samples_prefer_instant_power_and_stop_asking_what_is_unsupported) {
    const auto lib = open();
    std::string why;
    device_selector sel;
    sel.index = 0;
    auto dev = open_device(lib, sel, why);
    ASSERT_TRUE(dev) << why;
    auto s = dev->read(0.5);
    EXPECT_DOUBLE_EQ(s.time_s, 0.5);
    EXPECT_DOUBLE_EQ(*s.sm_clock_mhz, 1755.0);
    EXPECT_DOUBLE_EQ(*s.mem_clock_mhz, 2619.0);
    EXPECT_DOUBLE_EQ(*s.power_w, 612.5); // the instantaneous field, not GetPowerUsage's 1 s average
    EXPECT_EQ(m_state.power_usage_calls, 0);
    EXPECT_FALSE(s.temperature_c);
    EXPECT_DOUBLE_EQ(*s.utilization_pct, 100.0);
    EXPECT_DOUBLE_EQ(*s.memory_utilization_pct, 40.0);
    EXPECT_EQ(*s.clock_event_bits, 0x4U);
    (void)dev->read(0.6);
    EXPECT_EQ(m_state.temperature_calls, 1); // NOT_SUPPORTED once is enough
    const auto j = to_json(s);
    EXPECT_EQ(j["power_w"], 612.5);
    EXPECT_TRUE(j["temperature_c"].is_null());
    EXPECT_EQ(j["throttle_reasons"], nlohmann::json::array({"power cap"}));
    const auto mem = dev->memory(); // asked apart from read(): the 200 Hz probe has no use for it
    ASSERT_TRUE(mem);
    EXPECT_DOUBLE_EQ(mem->used_bytes, 3.0 * (1ULL << 30));
    EXPECT_DOUBLE_EQ(mem->total_bytes, 80.0 * (1ULL << 30));

    m_state.instant_power = false; // a GPU without the field: the average is what there is
    auto older = open_device(lib, sel, why);
    ASSERT_TRUE(older);
    EXPECT_FALSE(older->info().instant_power);
    EXPECT_DOUBLE_EQ(*older->read(0).power_w, 650.0);
    EXPECT_EQ(m_state.power_usage_calls, 1);
}

TEST_F(fake_nvml, probe_samples_the_region_and_reads_energy_at_both_ends) {
    const auto lib = open();
    std::string why;
    device_selector sel;
    sel.index = 0;
    sampler_options opt;
    opt.interval = std::chrono::microseconds(2000);
    auto probe = make_probe(lib, sel, why, opt);
    ASSERT_TRUE(probe->available()) << why;
    probe->begin();
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    const auto t = probe->end(
        probe_counts::back_to_back(20, probe->last_region_s())); // last_region_s is 0 before the first end()
    EXPECT_TRUE(t.available);
    // ~30 samples at 500 Hz over 60 ms; a loaded CI machine may run late, so only demand a plausible count.
    EXPECT_GE(t.samples, 5U);
    EXPECT_LE(t.samples, 40U);
    EXPECT_EQ(t.samples, probe->last_samples().size());
    EXPECT_GE(probe->last_region_s(), 0.06);
    EXPECT_GT(t.sample_rate_hz, 50.0);
    EXPECT_DOUBLE_EQ(*t.sm_clock_mean_mhz, 1755.0);
    EXPECT_DOUBLE_EQ(*t.power_mean_w, 612.5);
    // A 60 ms region: too short for energy (the counter's coarse steps would dominate), and it says so.
    EXPECT_FALSE(t.energy_j);
    EXPECT_NE(t.energy_source.find("not measured"), std::string::npos) << t.energy_source;
    EXPECT_EQ(t.throttle_reasons, (std::vector<std::string>{"power cap"}));
    for (std::size_t i = 1; i < probe->last_samples().size(); ++i) {
        EXPECT_GT(probe->last_samples()[i].time_s, probe->last_samples()[i - 1].time_s);
    }
    // A second region starts afresh.
    probe->begin();
    const auto t2 = probe->end(probe_counts::back_to_back(1, 0.0));
    EXPECT_GE(t2.samples, 1U);
    EXPECT_LT(t2.samples, t.samples);
}

TEST_F(fake_nvml, end_without_begin_is_reported_not_crashed) {
    const auto lib = open();
    std::string why;
    device_selector sel;
    auto probe = make_probe(lib, sel, why);
    const auto t = probe->end(probe_counts::back_to_back(1, 1.0));
    EXPECT_FALSE(t.available);
    EXPECT_NE(t.unavailable_reason.find("without begin"), std::string::npos);
}

TEST_F(fake_nvml, monitor_reads_live_and_releases_nvml) {
    {
        const auto lib = open();
        device_selector sel;
        sel.index = 0;
        monitor mon(lib, sel);
        ASSERT_TRUE(mon.status().available) << mon.status().reason;
        EXPECT_EQ(mon.device()->name, "NVIDIA H100 80GB HBM3 #0");
        const auto a = mon.read_now();
        const auto b = mon.read_now();
        ASSERT_TRUE(a && b);
        EXPECT_GE(b->time_s, a->time_s);
        EXPECT_DOUBLE_EQ(*a->sm_clock_mhz, 1755.0);
    }
    EXPECT_EQ(m_state.shutdowns, 1); // nvmlShutdown once the last owner let go
}
