# One INTERFACE target carries the warning flags; every project target links it.
add_library(roofline_warnings INTERFACE)
add_library(roofline::warnings ALIAS roofline_warnings)
target_compile_options(roofline_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
                            -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough>)
# GCC 12 reports -Wrestrict on plain std::string concatenation at -O3 (GCC bug 105651, a false positive).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(roofline_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
endif()
if(ROOFLINE_WARNINGS_AS_ERRORS)
  target_compile_options(roofline_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>
                                                     $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>)
endif()
if(ROOFLINE_SANITIZE)
  target_compile_options(roofline_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer>)
  target_link_options(roofline_warnings INTERFACE -fsanitize=address,undefined)
endif()
