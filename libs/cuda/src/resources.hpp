// RAII owners of what the engine allocates from CUDA and cuBLASLt: streams, events, the cuBLASLt handle and
// descriptors, pinned host memory and device buffers. Each is freed exactly once, whichever way a measurement
// leaves.
#pragma once

#include "cuda_call.hpp"

#include <cstddef>
#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <memory>
#include <type_traits>
#include <utility>

namespace roofline::cuda {

inline constexpr std::size_t mib = std::size_t{1} << 20;

template <auto destroy>
struct call_deleter {
    template <class P>
    void operator()(P p) const noexcept {
        static_cast<void>(destroy(p)); // destructors cannot report; a failed free leaks, nothing worse
    }
};
using stream_ptr = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, call_deleter<cudaStreamDestroy>>;
using event_ptr = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, call_deleter<cudaEventDestroy>>;
using handle_ptr = std::unique_ptr<std::remove_pointer_t<cublasLtHandle_t>, call_deleter<cublasLtDestroy>>;
using desc_ptr =
    std::unique_ptr<std::remove_pointer_t<cublasLtMatmulDesc_t>, call_deleter<cublasLtMatmulDescDestroy>>;
using layout_ptr =
    std::unique_ptr<std::remove_pointer_t<cublasLtMatrixLayout_t>, call_deleter<cublasLtMatrixLayoutDestroy>>;
using pref_ptr = std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>,
                                 call_deleter<cublasLtMatmulPreferenceDestroy>>;
using host_ptr = std::unique_ptr<int, call_deleter<cudaFreeHost>>;

inline stream_ptr make_stream() {
    cudaStream_t s = nullptr;
    ROOFLINE_CUDA_CALL(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    return stream_ptr(s);
}

inline event_ptr make_event() {
    cudaEvent_t e = nullptr;
    ROOFLINE_CUDA_CALL(cudaEventCreate(&e));
    return event_ptr(e);
}

inline handle_ptr make_handle() {
    cublasLtHandle_t h = nullptr;
    ROOFLINE_CUBLAS_CALL(cublasLtCreate(&h));
    return handle_ptr(h);
}

// This object owns a CUDA allocation that must be freed exactly once: copies are deleted, moves hand it over.
class device_buffer {
  public:
    device_buffer() = default;
    explicit device_buffer(std::size_t bytes) : m_bytes(bytes) {
        if (bytes != 0) {
            ROOFLINE_CUDA_CALL(cudaMalloc(&m_ptr, bytes));
        }
    }
    device_buffer(const device_buffer&) = delete;
    device_buffer& operator=(const device_buffer&) = delete;
    device_buffer(device_buffer&& o) noexcept
        : m_ptr(std::exchange(o.m_ptr, nullptr)), m_bytes(std::exchange(o.m_bytes, 0)) {}
    device_buffer& operator=(device_buffer&& o) noexcept {
        if (this != &o) {
            reset();
            m_ptr = std::exchange(o.m_ptr, nullptr);
            m_bytes = std::exchange(o.m_bytes, 0);
        }
        return *this;
    }
    ~device_buffer() { reset(); }
    [[nodiscard]] void* get() const noexcept { return m_ptr; }
    [[nodiscard]] std::size_t bytes() const noexcept { return m_bytes; }
    template <class T>
    [[nodiscard]] T* as() const noexcept {
        return static_cast<T*>(m_ptr);
    }

  private:
    void reset() noexcept {
        if (m_ptr != nullptr) {
            static_cast<void>(cudaFree(m_ptr));
            m_ptr = nullptr;
        }
    }
    void* m_ptr = nullptr;
    std::size_t m_bytes = 0;
};

} // namespace roofline::cuda
