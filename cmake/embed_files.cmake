# cmake -DOUTPUT=file.cpp -DFUNCTION=name -DFILES="a;b" -P embed_files.cmake
# Writes a C++ file whose function returns {file name, contents} for each input, so data files ship inside
# the binary and the program needs no install step to find them.
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
foreach(path IN LISTS FILES)
  file(READ "${path}" text)
  get_filename_component(name "${path}" NAME)
  string(FIND "${text}" ")roofline_embed\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} contains the raw-string delimiter")
  endif()
  string(APPEND body "        {\"${name}\", R\"roofline_embed(${text})roofline_embed\"},\n")
endforeach()
if(NOT NAMESPACE)
  set(NAMESPACE roofline)
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from data files by cmake/embed_files.cmake. Do not edit.
#include <string>
#include <utility>
#include <vector>

namespace ${NAMESPACE} {
const std::vector<std::pair<std::string, std::string>>& ${FUNCTION}() {
    static const std::vector<std::pair<std::string, std::string>> files{
${body}    };
    return files;
}
} // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
