#include "roofline/core/measured_profile.hpp"

#include "roofline/core/json.hpp"
#include "roofline/core/report.hpp"
#include "roofline/core/worker_protocol.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace roofline {
namespace {

using json = nlohmann::json;

json opt(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

std::optional<double> get_opt(const json& j, const char* k) {
    const auto it = j.find(k);
    if (it == j.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_number()) {
        throw std::invalid_argument(std::string("field '") + k + "' must be a number or null");
    }
    return it->get<double>();
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read measured profile " + file.string());
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

const measured_bandwidth* measured_profile::find_bandwidth(std::string_view name) const {
    const auto it = std::ranges::find(bandwidth, name, &measured_bandwidth::name);
    return it == bandwidth.end() ? nullptr : &*it;
}

const measured_compute* measured_profile::find_compute(precision_id p) const {
    const auto it = std::ranges::find(compute, p, &measured_compute::precision);
    return it == compute.end() ? nullptr : &*it;
}

std::optional<double> measured_profile::memory_roof_bytes_per_s() const {
    std::optional<double> best;
    for (const char* name : {"dram_read", "dram_copy"}) {
        if (const auto* b = find_bandwidth(name); b != nullptr && b->bytes_per_s > 0) {
            best = std::max(best.value_or(0.0), b->bytes_per_s);
        }
    }
    return best;
}

json to_json(const measured_profile& p) {
    json bw = json::array();
    for (const auto& b : p.bandwidth) {
        bw.push_back({{"name", b.name},
                      {"kernel", b.kernel},
                      {"bytes_per_s", b.bytes_per_s},
                      {"best_bytes_per_s", b.best_bytes_per_s},
                      {"buffer_bytes", b.buffer_bytes}});
    }
    json compute = json::array();
    for (const auto& c : p.compute) {
        compute.push_back({{"precision", to_string(c.precision)},
                           {"disposition", to_string(c.status)},
                           {"message", c.message},
                           {"burst_flops_per_s", c.burst_flops_per_s},
                           {"best_problem", c.best_problem ? to_json(*c.best_problem) : json(nullptr)},
                           {"algorithm", c.algorithm},
                           {"sustained_flops_per_s", opt(c.sustained_flops_per_s)},
                           {"sustained_seconds", c.sustained_seconds},
                           {"sustained_telemetry",
                            c.sustained_telemetry ? to_json(*c.sustained_telemetry) : json(nullptr)}});
    }
    return {{"schema_version", p.schema_version},
            {"kind", "roofline measured profile"},
            {"tool_version", p.tool_version},
            {"created_at", p.created_at},
            {"device", to_json(p.device)},
            {"hardware_key", p.hardware_key},
            {"sm_clock_max_mhz", opt(p.sm_clock_max_mhz)},
            {"mem_clock_max_mhz", opt(p.mem_clock_max_mhz)},
            {"power_limit_w", opt(p.power_limit_w)},
            {"nvml_driver_version", p.nvml_driver_version},
            {"wall_seconds", p.wall_seconds},
            {"bandwidth", bw},
            {"compute", compute},
            {"notes", p.notes}};
}

measured_profile measured_profile_from_json(const json& j) {
    try {
        if (!j.is_object()) {
            throw std::invalid_argument("a measured profile must be a JSON object");
        }
        measured_profile p;
        p.schema_version = j.at("schema_version").get<int>();
        if (p.schema_version != measured_profile_schema_version) {
            throw std::invalid_argument("field 'schema_version': " + std::to_string(p.schema_version) +
                                        " is not supported (this build reads " +
                                        std::to_string(measured_profile_schema_version) + ")");
        }
        p.tool_version = j.value("tool_version", "");
        p.created_at = j.value("created_at", "");
        p.device = device_from_json(j.at("device"));
        p.hardware_key = j.value("hardware_key", "");
        p.sm_clock_max_mhz = get_opt(j, "sm_clock_max_mhz");
        p.mem_clock_max_mhz = get_opt(j, "mem_clock_max_mhz");
        p.power_limit_w = get_opt(j, "power_limit_w");
        p.nvml_driver_version = j.value("nvml_driver_version", "");
        p.wall_seconds = j.value("wall_seconds", 0.0);
        for (const auto& b : j.at("bandwidth")) {
            measured_bandwidth m;
            m.name = b.at("name").get<std::string>();
            m.kernel = b.value("kernel", "");
            m.bytes_per_s = b.at("bytes_per_s").get<double>();
            m.best_bytes_per_s = b.value("best_bytes_per_s", 0.0);
            m.buffer_bytes = b.value("buffer_bytes", 0.0);
            if (!(m.bytes_per_s >= 0)) {
                throw std::invalid_argument("field 'bandwidth." + m.name + ".bytes_per_s' must be >= 0");
            }
            p.bandwidth.push_back(std::move(m));
        }
        for (const auto& c : j.at("compute")) {
            measured_compute m;
            m.precision = parse_precision(c.at("precision").get<std::string>());
            m.status = parse_disposition(c.at("disposition").get<std::string>());
            m.message = c.value("message", "");
            m.burst_flops_per_s = c.value("burst_flops_per_s", 0.0);
            if (const auto bp = c.find("best_problem"); bp != c.end() && bp->is_object()) {
                m.best_problem = problem_from_json(*bp);
            }
            m.algorithm = c.value("algorithm", "");
            m.sustained_flops_per_s = get_opt(c, "sustained_flops_per_s");
            m.sustained_seconds = c.value("sustained_seconds", 0.0);
            if (const auto t = c.find("sustained_telemetry"); t != c.end() && t->is_object()) {
                m.sustained_telemetry = telemetry_from_json(*t);
            }
            p.compute.push_back(std::move(m));
        }
        p.notes = j.value("notes", std::vector<std::string>{});
        return p;
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("measured profile: ") + e.what());
    }
}

std::filesystem::path profile_path(const std::filesystem::path& dir, std::string_view uuid) {
    std::string name;
    for (const char c : uuid) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-') {
            name += c;
        }
    }
    return dir / ((name.empty() ? std::string("local") : name) + ".json");
}

void save_profile(const measured_profile& p, const std::filesystem::path& file) {
    std::error_code ec;
    if (file.has_parent_path()) {
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) {
            throw std::runtime_error("cannot create " + file.parent_path().string() + ": " + ec.message());
        }
    }
    // A reader (the server) never sees half a file: write beside it, then rename over it.
    auto tmp = file;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << to_json(p).dump(2) << '\n';
        if (!out) {
            throw std::runtime_error("cannot write " + tmp.string());
        }
    }
    std::filesystem::rename(tmp, file, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw std::runtime_error("cannot rename " + tmp.string() + " to " + file.string() + ": " +
                                 ec.message());
    }
}

measured_profile load_profile(const std::filesystem::path& file) {
    const auto text = read_text(file);
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw std::runtime_error(file.string() + ": not JSON: " + e.what());
    }
    try {
        return measured_profile_from_json(j);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(file.string() + ": " + e.what());
    }
}

std::optional<measured_profile> find_profile(const std::filesystem::path& dir, std::string_view uuid,
                                             std::vector<std::string>* skipped) {
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec)) {
        return std::nullopt;
    }
    if (!uuid.empty()) {
        const auto file = profile_path(dir, uuid);
        if (!std::filesystem::exists(file, ec)) {
            return std::nullopt;
        }
        try {
            return load_profile(file);
        } catch (const std::exception& e) {
            if (skipped != nullptr) {
                skipped->emplace_back(e.what());
            }
            return std::nullopt;
        }
    }
    std::optional<measured_profile> newest;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".json") {
            continue;
        }
        try {
            auto p = load_profile(entry.path());
            // ISO 8601 UTC strings order as the times they name.
            if (!newest || p.created_at > newest->created_at) {
                newest = std::move(p);
            }
        } catch (const std::exception& e) {
            if (skipped != nullptr) {
                skipped->emplace_back(e.what());
            }
        }
    }
    return newest;
}

hardware_entry measured_hardware_entry(const measured_profile& p, const hardware_entry* datasheet) {
    const auto bw = p.memory_roof_bytes_per_s();
    if (!bw) {
        throw std::invalid_argument("measured profile of " + p.device.name +
                                    " has no device-memory bandwidth figure; run `roofline ceilings` again");
    }
    const std::string when = p.created_at.empty() ? std::string() : " on " + p.created_at;
    const std::string source = "measured by roofline ceilings " + p.tool_version + when;
    hardware_entry h;
    h.key = (datasheet != nullptr ? datasheet->key : std::string("local")) + "-measured";
    h.name = p.device.name + " (measured)";
    h.vendor = datasheet != nullptr ? datasheet->vendor : "NVIDIA";
    h.architecture = datasheet != nullptr ? datasheet->architecture : "";
    h.compute_capability = p.device.compute_capability;
    h.memory_type = datasheet != nullptr ? datasheet->memory_type : "";
    const auto figure = [&](std::optional<double> v, std::string src) {
        sourced_value s;
        s.value = v;
        s.source = std::move(src);
        return s;
    };
    h.sm_count = figure(p.device.sm_count > 0 ? std::optional<double>(p.device.sm_count) : std::nullopt,
                        "reported by the CUDA runtime");
    h.boost_clock_hz =
        figure(p.sm_clock_max_mhz ? std::optional<double>(*p.sm_clock_max_mhz * 1e6) : std::nullopt,
               "maximum SM clock reported by the device");
    h.memory_bytes =
        figure(p.device.memory_bytes > 0 ? std::optional<double>(p.device.memory_bytes) : std::nullopt,
               "reported by the CUDA runtime");
    h.memory_bandwidth_bytes_per_s = figure(bw, source);
    const auto* read = p.find_bandwidth("dram_read");
    const auto* copy = p.find_bandwidth("dram_copy");
    h.memory_bandwidth_bytes_per_s.note =
        "the faster of read-only (" + (read ? format_si(read->bytes_per_s, "B/s") : std::string("-")) +
        ") and copy (" + (copy ? format_si(copy->bytes_per_s, "B/s") : std::string("-")) +
        ", read + write counted) kernels, median launch";
    h.l2_bytes = figure(p.device.l2_bytes > 0 ? std::optional<double>(p.device.l2_bytes) : std::nullopt,
                        "reported by the CUDA runtime");
    h.tdp_w = figure(p.power_limit_w, "enforced power limit reported by NVML");
    h.file = "measured profile " + p.device.uuid;
    for (const auto& pi : all_precisions()) {
        if (!pi.gemm_input) {
            continue;
        }
        precision_peak pk;
        pk.precision = pi.id;
        const auto* m = p.find_compute(pi.id);
        if (m != nullptr && m->status == disposition::passed && m->burst_flops_per_s > 0) {
            pk.supported = true;
            pk.flops_per_s = m->burst_flops_per_s;
            pk.source = source;
            pk.note =
                "best median over the searched shapes" +
                (m->best_problem ? " (at " + m->best_problem->shape_label() + ")" : std::string()) +
                (m->sustained_flops_per_s ? "; sustained " + format_si(*m->sustained_flops_per_s, "FLOP/s") +
                                                " over " + format_si(m->sustained_seconds, "s")
                                          : std::string());
        } else if (m != nullptr &&
                   (m->status == disposition::not_supported || m->status == disposition::invalid_problem)) {
            pk.supported = false;
            pk.reason = "measured as not supported: " + m->message;
            pk.source = source;
        } else {
            const auto* ds = datasheet != nullptr ? &datasheet->peak(pi.id) : nullptr;
            pk.supported = ds == nullptr || ds->supported;
            pk.reason = ds != nullptr && !ds->supported ? ds->reason : "";
            pk.note = m == nullptr ? "not measured by roofline ceilings"
                                   : "roofline ceilings could not measure it: " + m->message;
            pk.source = source;
        }
        h.peaks.push_back(std::move(pk));
    }
    return h;
}

} // namespace roofline
