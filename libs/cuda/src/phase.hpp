// What each phase of a measurement hands back: passed (go on to the next phase) or the disposition the point
// ends with and the sentence that says why. CUDA-free.
#pragma once

#include "roofline/core/result.hpp"

#include <string>
#include <utility>

namespace roofline::cuda {

struct phase_outcome {
    disposition status = disposition::passed;
    std::string message;

    [[nodiscard]] bool ok() const noexcept { return status == disposition::passed; }
    [[nodiscard]] static phase_outcome go_on() { return {}; }
    [[nodiscard]] static phase_outcome stop(disposition d, std::string why) { return {d, std::move(why)}; }
};

} // namespace roofline::cuda
