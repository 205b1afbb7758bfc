#!/usr/bin/env bash
# Every test: install what is missing, hold the house style (clang-format, clang-tidy on the core, ESLint, the
# TypeScript check, the generated files against schemas/), build with warnings as errors, run the C++ tests
# (ctest), the host tests again under AddressSanitizer and UBSan, the web app's unit tests (which validate what
# the binary emits against schemas/) and its end-to-end browser tests against the real server. GPU tests skip
# with a printed reason where no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --test
step() { printf '\n== %s\n' "$*"; }

step "format (scripts/check_format.sh)"
scripts/check_format.sh
if [[ -f web/package.json ]]; then
    (cd web && { [[ -d node_modules ]] && [[ node_modules -nt package-lock.json ]] || npm ci --no-audit --no-fund; })
    step "generated files match schemas/ (scripts/gen_schema.mjs --check)"
    node scripts/gen_schema.mjs --check
    step "web: ESLint and the TypeScript check"
    (cd web && npm run lint && npm run typecheck)
fi

step "build (ci preset, warnings as errors)"
scripts/build.sh ci
step "clang-tidy on the core (scripts/check_tidy.sh)"
scripts/check_tidy.sh build/ci
step "test services: PostgreSQL and a one-node Slurm on loopback"
# The real engines the store and fleet tests use (PostgreSQL, one-node Slurm on loopback); without them those
# tests fail here instead of skipping.
eval "$(scripts/start_test_services.sh start)"
export ROOFLINE_REQUIRE_SERVICES=1
trap 'scripts/start_test_services.sh stop' EXIT
step "C++ tests"
ctest --preset ci -j 2

step "host tests under ASan/UBSan (asan preset)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)"
ctest --preset asan -j 2 -LE gpu

if [[ -f web/package.json ]]; then
    bin="$PWD/build/ci/apps/roofline/roofline"
    step "web: unit tests (schema conformance included), browser tests"
    (cd web && ROOFLINE_BIN="$bin" npm test && ROOFLINE_BIN="$bin" npm run e2e &&
        ROOFLINE_BIN="$bin" GPU_HISTORY_PNG=test-results/gpu-history.png npm run gpu-history)
fi
