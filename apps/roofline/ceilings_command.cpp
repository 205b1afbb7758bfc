// `roofline ceilings`: measures the local GPU's roofs (device-memory and L2 bandwidth with our own kernels,
// the compute roof per precision by searching shapes through the GPU engine), prints them beside the
// datasheet entry the device matches, and stores them as a measured profile for analyses with roof=measured.
#include "cli_common.hpp"
#include "commands.hpp"
#include "local_backend.hpp"
#include "paths.hpp"
#include "roofline/core/measured_profile.hpp"
#include "roofline/core/report.hpp"

#ifdef ROOFLINE_HAVE_CEILINGS
#include "roofline/ceilings/bandwidth.hpp"
#include "roofline/ceilings/compute.hpp"
#endif
#ifdef ROOFLINE_HAVE_TELEMETRY
#include "roofline/telemetry/telemetry.hpp"
#endif

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <sstream>

namespace roofline::cli {
namespace {

struct ceilings_options {
    std::string format = "table";
    std::string precisions = "auto";
    std::string shapes;
    double sustain_seconds = 3.0;
    bool bandwidth_only = false;
    bool no_save = false;
    bool show = false;
    std::string profile_dir;
};

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) {
        s += std::string(width - s.size(), ' ');
    }
    return s;
}

[[maybe_unused]] std::string now_utc() { // unused in builds without CUDA
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string tbs(double bytes_per_s) {
    return fixed(bytes_per_s / 1e12, 2) + " TB/s";
}
std::string tf(double flops_per_s) {
    return fixed(flops_per_s / 1e12, flops_per_s < 100e12 ? 1 : 0) + " TFLOP/s";
}

std::string bandwidth_label(const std::string& name) {
    if (name == "dram_read")
        return "DRAM read";
    if (name == "dram_write")
        return "DRAM write";
    if (name == "dram_copy")
        return "DRAM copy (read+write)";
    if (name == "dram_copy_memcpy")
        return "cudaMemcpy D2D (read+write)";
    if (name == "l2_read")
        return "L2 read";
    return name;
}

std::string render_table(const measured_profile& p, const hardware_entry* hw, const std::string& saved_to) {
    std::ostringstream out;
    const auto& d = p.device;
    out << "roofline ceilings: " << d.name << " (sm " << d.compute_capability << ", " << d.sm_count
        << " SMs, " << format_si(d.memory_bytes, "B") << ", L2 " << format_si(d.l2_bytes, "B") << ")\n";
    out << "  " << d.uuid << ", PCI " << d.pci_bus_id;
    if (!p.nvml_driver_version.empty()) {
        out << ", driver " << p.nvml_driver_version;
    }
    if (!d.cuda_runtime_version.empty()) {
        out << ", CUDA runtime " << d.cuda_runtime_version;
    }
    out << "\n  max SM clock "
        << (p.sm_clock_max_mhz ? fixed(*p.sm_clock_max_mhz, 0) + " MHz" : std::string("?"))
        << ", max memory clock "
        << (p.mem_clock_max_mhz ? fixed(*p.mem_clock_max_mhz, 0) + " MHz" : std::string("?"))
        << ", power limit "
        << (p.power_limit_w ? fixed(*p.power_limit_w, 0) + " W" : std::string("? (no NVML)")) << "\n";
    out << "  datasheet: "
        << (hw != nullptr ? hw->key + " (" + hw->name + ")"
                          : std::string("no registry entry matches; the measured profile stands alone"))
        << "\n\n";

    const double ds_bw = hw != nullptr ? hw->memory_bandwidth_bytes_per_s.value.value_or(0.0) : 0.0;
    out << pad("memory", 30) << pad("median", 13) << pad("best", 13) << pad("datasheet", 13)
        << pad("of sheet", 10) << "how\n";
    for (const auto& b : p.bandwidth) {
        const bool dram = b.name.rfind("dram", 0) == 0;
        out << "  " << pad(bandwidth_label(b.name), 28) << pad(tbs(b.bytes_per_s), 13)
            << pad(tbs(b.best_bytes_per_s), 13) << pad(dram && ds_bw > 0 ? tbs(ds_bw) : "-", 13)
            << pad(dram && ds_bw > 0 ? fixed(100 * b.bytes_per_s / ds_bw, 1) + "%" : "-", 10) << b.kernel
            << " (" << format_si(b.buffer_bytes, "B") << ")\n";
    }
    if (!p.compute.empty()) {
        out << "\n"
            << pad("compute (dense)", 12) << pad("burst", 14) << pad("at shape", 19) << pad("sustained", 14)
            << pad("SM clock mean/min", 19) << pad("power", 8) << pad("datasheet", 14) << "burst of sheet\n";
    }
    for (const auto& c : p.compute) {
        const std::string name(to_string(c.precision));
        if (c.status != disposition::passed) {
            out << "  " << pad(name, 10) << to_string(c.status) << ": " << c.message << "\n";
            continue;
        }
        std::optional<double> sheet;
        if (hw != nullptr && hw->peak(c.precision).supported) {
            sheet = hw->peak(c.precision).flops_per_s;
        }
        const auto* t =
            c.sustained_telemetry && c.sustained_telemetry->available ? &*c.sustained_telemetry : nullptr;
        std::string clocks = "-";
        if (t != nullptr && t->sm_clock_mean_mhz) {
            clocks = fixed(*t->sm_clock_mean_mhz, 0) + "/" +
                     (t->sm_clock_min_mhz ? fixed(*t->sm_clock_min_mhz, 0) : std::string("?")) + " MHz";
        }
        out << "  " << pad(name, 10) << pad(tf(c.burst_flops_per_s), 14)
            << pad(c.best_problem ? c.best_problem->shape_label() : "-", 19)
            << pad(c.sustained_flops_per_s ? tf(*c.sustained_flops_per_s) : "-", 14) << pad(clocks, 19)
            << pad(t != nullptr && t->power_mean_w ? fixed(*t->power_mean_w, 0) + " W" : "-", 8)
            << pad(sheet ? tf(*sheet) : "-", 14)
            << (sheet ? fixed(100 * c.burst_flops_per_s / *sheet, 1) + "%" : std::string("-")) << "\n";
        if (t != nullptr && !t->throttle_reasons.empty()) {
            out << "  " << pad("", 10) << "throttle during the sustained run: ";
            for (std::size_t i = 0; i < t->throttle_reasons.size(); ++i) {
                out << (i ? ", " : "") << t->throttle_reasons[i];
            }
            out << (t->low_clock_samples > 0
                        ? "; " + std::to_string(t->low_clock_samples) + " of " + std::to_string(t->samples) +
                              " samples under 75% of max SM clock"
                        : std::string())
                << "\n";
        }
        if (!c.message.empty()) {
            out << "  " << pad("", 10) << c.message << "\n";
        }
    }
    for (const auto& n : p.notes) {
        out << "note: " << n << "\n";
    }
    out << "\n"
        << (saved_to.empty() ? std::string("profile not saved") : "profile saved: " + saved_to)
        << " (analyses use it with roof=measured)\n";
    out << "took " << fixed(p.wall_seconds, 1) << " s\n";
    return out.str();
}

#ifdef ROOFLINE_HAVE_CEILINGS
std::vector<ceilings::shape> parse_shapes(const std::string& text) {
    std::vector<ceilings::shape> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        ceilings::shape s{};
        parse_shape(item, s[0], s[1], s[2]);
        out.push_back(s);
    }
    return out;
}

std::vector<precision_id> default_precisions(const hardware_entry* hw) {
    // The formats cuBLASLt runs on current NVIDIA GPUs; the datasheet prunes what the GPU lacks.
    const std::vector<precision_id> all{precision_id::fp64,     precision_id::fp32, precision_id::tf32,
                                        precision_id::bf16,     precision_id::fp16, precision_id::fp8_e4m3,
                                        precision_id::fp8_e5m2, precision_id::int8, precision_id::mxfp8,
                                        precision_id::nvfp4};
    std::vector<precision_id> out;
    for (const auto p : all) {
        if (hw != nullptr
                ? hw->peak(p).supported
                : (p != precision_id::mxfp8 && p != precision_id::nvfp4 && p != precision_id::fp8_e5m2)) {
            out.push_back(p);
        }
    }
    return out;
}
#endif

void run_ceilings(const ceilings_options& o, const global_options& global) {
    const auto format = parse_format(o.format);
    if (format == output_format::csv) {
        throw usage_error("--format: ceilings prints table or json");
    }
    if (!(o.sustain_seconds >= 0 && o.sustain_seconds <= 60)) {
        throw usage_error("--sustain-seconds must be in [0, 60]");
    }
    const auto registry = load_registry(global.data_dir);
    const std::filesystem::path dir =
        o.profile_dir.empty() ? cli::profile_dir() : std::filesystem::path(o.profile_dir);

    if (o.show) {
        std::vector<std::string> skipped;
        const auto p = find_profile(dir, "", &skipped);
        for (const auto& s : skipped) {
            std::cerr << "warning: skipped " << s << "\n";
        }
        if (!p) {
            throw std::runtime_error("no measured profile in " + dir.string() +
                                     ": run `roofline ceilings` on the GPU");
        }
        const auto* hw = registry.match_device(p->device.name, p->device.compute_capability);
        std::cout << (format == output_format::json
                          ? to_json(*p).dump(2) + "\n"
                          : render_table(*p, hw, profile_path(dir, p->device.uuid).string()));
        return;
    }

#ifndef ROOFLINE_HAVE_CEILINGS
    (void)dir;
    throw std::runtime_error(
        "this build of roofline has no CUDA (built without nvcc): `roofline ceilings` measures "
        "a GPU and needs a CUDA build; `roofline ceilings --show` prints a stored profile");
#else
    const auto start = std::chrono::steady_clock::now();
    std::vector<ceilings::shape> shapes;
    if (!o.shapes.empty()) {
        shapes = parse_shapes(o.shapes);
    }
    std::string why;
    if (cuda::device_count(why) == 0) {
        throw std::runtime_error(why + ": `roofline ceilings` measures the local GPU and there is none");
    }
    const auto say = [&](const std::string& line) {
        if (format == output_format::table) {
            std::cerr << "  " << line << "\n";
        }
    };

    measured_profile p;
    p.tool_version = std::string(tool_version());
    p.created_at = now_utc();
    p.device = cuda::query_device(0);
    const auto clocks = ceilings::query_clocks(0);
    p.sm_clock_max_mhz = clocks.sm_clock_max_mhz;
    p.mem_clock_max_mhz = clocks.mem_clock_max_mhz;
    const hardware_entry* hw = registry.match_device(p.device.name, p.device.compute_capability);
    p.hardware_key = hw != nullptr ? hw->key : "";

    std::unique_ptr<measurement_probe> probe;
#ifdef ROOFLINE_HAVE_TELEMETRY
    std::string nvml_why;
    auto nvml_probe = telemetry::make_probe(p.device, nvml_why);
    if (const auto* info = nvml_probe->device()) {
        p.power_limit_w = info->power_limit_w;
        p.nvml_driver_version = info->driver_version;
        if (info->max_sm_clock_mhz) {
            p.sm_clock_max_mhz = info->max_sm_clock_mhz;
        }
        if (info->max_mem_clock_mhz) {
            p.mem_clock_max_mhz = info->max_mem_clock_mhz;
        }
    } else {
        p.notes.push_back("no telemetry: " + nvml_why);
    }
    probe = std::move(nvml_probe);
#else
    p.notes.push_back("no telemetry: this build has no telemetry library");
#endif

    say("measuring device-memory and L2 bandwidth...");
    ceilings::bandwidth_options bo;
    for (const auto& f : ceilings::measure_bandwidth(bo)) {
        p.bandwidth.push_back({f.name,
                               f.kernel + "; fastest of " + std::to_string(f.variants_tried) +
                                   " variants, median of " + std::to_string(f.timing.samples) + " launches",
                               f.bytes_per_s(), f.best_bytes_per_s(), f.buffer_bytes});
        say(bandwidth_label(f.name) + ": " + tbs(f.bytes_per_s()));
    }
    const double theoretical = clocks.theoretical_bandwidth_bytes_per_s();
    if (theoretical > 0) {
        p.notes.push_back("memory interface: " + std::to_string(clocks.memory_bus_bits) + "-bit bus at " +
                          fixed(clocks.mem_clock_max_mhz, 0) + " MHz, " + tbs(theoretical) +
                          " from the device's own figures (2 transfers per clock)");
    }

    if (!o.bandwidth_only) {
        std::string why_backend;
        auto backend = make_local_backend(why_backend);
        if (!backend) {
            p.notes.push_back("compute roofs not measured: " + why_backend);
        } else {
            const auto dev = backend->device();
            p.device.cublaslt_version = dev.cublaslt_version;
            if (!dev.driver_version.empty()) {
                p.device.driver_version = dev.driver_version;
            }
            ceilings::compute_search_options co;
            try {
                co.precisions =
                    o.precisions == "auto" ? default_precisions(hw) : parse_precision_list(o.precisions);
            } catch (const std::invalid_argument& e) {
                throw usage_error(std::string("--precisions: ") + e.what());
            }
            co.shapes = shapes;
            co.sustain_seconds = o.sustain_seconds;
            co.datasheet = hw;
            co.probe = probe.get();
            co.progress = say;
            for (auto& c : ceilings::search_compute(*backend, co)) {
                measured_compute m;
                m.precision = c.precision;
                m.status = c.status;
                m.message = c.message;
                m.burst_flops_per_s = c.burst_flops_per_s;
                m.best_problem = c.best_problem;
                m.algorithm = c.algorithm;
                m.sustained_flops_per_s = c.sustained_flops_per_s;
                m.sustained_seconds = c.sustained_seconds;
                m.sustained_telemetry = c.sustained_telemetry;
                p.compute.push_back(std::move(m));
            }
        }
    }
    p.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::string saved_to;
    if (!o.no_save) {
        if (dir.empty()) {
            p.notes.push_back(
                "profile not saved: no cache directory ($ROOFLINE_PROFILE_DIR, $XDG_CACHE_HOME and "
                "$HOME unset); pass --profile-dir");
        } else {
            const auto file = profile_path(dir, p.device.uuid);
            try {
                save_profile(p, file);
                saved_to = file.string();
            } catch (const std::exception& e) {
                p.notes.push_back(std::string("profile not saved: ") + e.what());
            }
        }
    }
    if (format == output_format::json) {
        auto j = to_json(p);
        j["saved_to"] = saved_to;
        std::cout << j.dump(2) << '\n';
    } else {
        std::cout << render_table(p, hw, saved_to);
    }
#endif
}

} // namespace

void add_ceilings_command(CLI::App& app, const global_options& global) {
    auto opts = std::make_shared<ceilings_options>();
    auto* cmd = app.add_subcommand("ceilings",
                                   "Measure this GPU's roofs (memory bandwidth, compute per precision) and "
                                   "store them as a measured profile");
    cmd->add_option("--format", opts->format, "table or json")->capture_default_str();
    cmd->add_option(
           "--precisions", opts->precisions,
           "Precisions to search (comma list or 'all'); 'auto': those the datasheet says the GPU has")
        ->capture_default_str();
    cmd->add_option(
        "--shapes", opts->shapes,
        "Shapes to search, MxNxK comma list (default: 4096^3, 8192^3, 6144x17920x2816, 8192x8192x16384, "
        "16384x16384x4096; shapes predicted over 5 ms per GEMM are skipped)");
    cmd->add_option("--sustain-seconds", opts->sustain_seconds,
                    "Length of the sustained run of each precision's best shape (0: none)")
        ->capture_default_str();
    cmd->add_flag("--bandwidth-only", opts->bandwidth_only, "Measure memory bandwidth only");
    cmd->add_flag("--no-save", opts->no_save, "Do not store the measured profile");
    cmd->add_flag("--show", opts->show,
                  "Print the newest stored profile instead of measuring (no GPU needed)");
    cmd->add_option(
        "--profile-dir", opts->profile_dir,
        "Where profiles live (default $ROOFLINE_PROFILE_DIR, $XDG_CACHE_HOME/roofline/profiles or "
        "~/.cache/roofline/profiles)");
    cmd->callback([opts, &global] { run_ceilings(*opts, global); });
}

} // namespace roofline::cli
