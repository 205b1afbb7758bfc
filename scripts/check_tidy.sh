#!/usr/bin/env bash
# clang-tidy's focused set (.clang-tidy) on the core's sources, using the compile commands of a configured
# build. Usage: scripts/check_tidy.sh [build dir]   (default build/ci; configured with compile commands)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/ci}"
clang_tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [[ -z "$clang_tidy" ]]; then
    echo "check_tidy: clang-tidy not found (apt-get install clang-tidy)" >&2
    exit 2
fi
if [[ ! -f "$build/compile_commands.json" ]]; then
    echo "check_tidy: $build/compile_commands.json missing: configure with a preset first (cmake --preset ci)" >&2
    exit 2
fi
# GCC-only warning flags (-Wno-restrict) are unknown to clang: --extra-arg keeps them from failing the check.
mapfile -t files < <(git ls-files 'libs/core/src/*.cpp' 'libs/core/src/**/*.cpp')
# Two at a time: the check takes about a minute on two cores.
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 1 "$clang_tidy" -p "$build" --quiet --extra-arg=-Wno-unknown-warning-option
echo "check_tidy: ${#files[@]} core files clean"
