# Generates the names of cuBLASLt's tile, stage and cluster-shape enums from cublasLt.h, so that the algorithm a
# measurement used reads "tile 256x128, stages 64xAUTO" instead of bare numbers, and follows the installed headers.
# Usage: cmake -DHEADER=.../cublasLt.h -DOUTPUT=.../cublaslt_names.cpp -P cublaslt_names.cmake
file(STRINGS "${HEADER}" lines REGEX "^[ \t]*CUBLASLT_(MATMUL_TILE|MATMUL_STAGES|CLUSTER_SHAPE)_[A-Za-z0-9_]+ = [0-9]+,")
set(body "")
foreach(kind MATMUL_TILE MATMUL_STAGES CLUSTER_SHAPE)
  string(TOLOWER ${kind} fn)
  string(APPEND body "std::string ${fn}_name(unsigned id) {\n    switch (id) {\n")
  foreach(line IN LISTS lines)
    if(line MATCHES "CUBLASLT_${kind}_([A-Za-z0-9_]+) = ([0-9]+),")
      string(APPEND body "    case ${CMAKE_MATCH_2}: return \"${CMAKE_MATCH_1}\";\n")
    endif()
  endforeach()
  string(APPEND body "    default: return std::to_string(id);\n    }\n}\n\n")
endforeach()
file(WRITE "${OUTPUT}.new" "// Generated from ${HEADER} by libs/cuda/cmake/cublaslt_names.cmake. Do not edit.\n#include \"cublaslt_names.hpp\"\n\nnamespace roofline::cuda {\n\n${body}} // namespace roofline::cuda\n")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
