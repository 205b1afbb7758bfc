#!/usr/bin/env bash
# Lists the tracked C++/CUDA files that differ from .clang-format and exits 1 when there is any.
# Usage: scripts/check_format.sh [--fix] [files...]   (--fix rewrites them; default: every tracked file)
set -euo pipefail
cd "$(dirname "$0")/.."
fix=0
if [[ "${1:-}" == "--fix" ]]; then
    fix=1
    shift
fi
clang_format=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z "$clang_format" ]]; then
    echo "check_format: clang-format not found (apt-get install clang-format)" >&2
    exit 2
fi
if (($# > 0)); then
    files=("$@")
else
    mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.h')
fi
if ((fix)); then
    "$clang_format" -i "${files[@]}"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done
if ((${#bad[@]} > 0)); then
    echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "fix with: scripts/check_format.sh --fix ${bad[*]}" >&2
    exit 1
fi
echo "check_format: ${#files[@]} files match .clang-format"
