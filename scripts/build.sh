#!/usr/bin/env bash
# Builds the C++ program (CUDA backend when nvcc is found) and the web app.
# Usage: scripts/build.sh [preset]   (default: "default"; "ci" = warnings as errors)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
# nvcc is often installed off PATH.
if ! command -v nvcc >/dev/null 2>&1 && [[ -x /usr/local/cuda/bin/nvcc ]]; then
    export PATH="/usr/local/cuda/bin:$PATH"
fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
if [[ -f web/package.json ]]; then
    (cd web && { [[ -d node_modules ]] && [[ node_modules -nt package-lock.json ]] || npm ci --no-audit --no-fund; } \
        && npm run build)
fi
