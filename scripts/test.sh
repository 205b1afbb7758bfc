#!/usr/bin/env bash
# Every test: install what is missing, build with warnings as errors, run the C++ tests (ctest), the web app's
# unit tests and its end-to-end browser tests against the real server. GPU tests skip with a printed reason
# where no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --test
scripts/build.sh ci
# The real engines the store and fleet tests use (PostgreSQL, one-node Slurm on loopback); without them those
# tests fail here instead of skipping.
eval "$(scripts/start_test_services.sh start)"
export ROOFLINE_REQUIRE_SERVICES=1
trap 'scripts/start_test_services.sh stop' EXIT
ctest --preset ci -j 2
if [[ -f web/package.json ]]; then
    bin="$PWD/build/ci/apps/roofline/roofline"
    (cd web && ROOFLINE_BIN="$bin" npm test && ROOFLINE_BIN="$bin" npm run e2e &&
        ROOFLINE_BIN="$bin" GPU_HISTORY_PNG=test-results/gpu-history.png npm run gpu-history)
fi
