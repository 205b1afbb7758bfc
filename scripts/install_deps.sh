#!/usr/bin/env bash
# Installs what the build and tests need and is missing, from Debian's packages (and the web app's from npm).
# Usage: scripts/install_deps.sh [--test]   (--test adds the browser for the end-to-end tests, and the PostgreSQL
# server and one-node Slurm (slurm-wlm, munge) that scripts/start_test_services.sh starts for the store and fleet
# tests)
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config nlohmann-json3-dev libcli11-dev libgtest-dev libcpp-httplib-dev
          libsqlite3-dev libpq-dev nodejs npm)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(chromium clang-format clang-tidy postgresql munge slurm-wlm) # browser tests; format/tidy gates; the real services of the store and fleet tests
fi

missing=()
for p in "${packages[@]}"; do
    # Node and npm count as present when they are on PATH (images often ship them outside dpkg).
    if [[ "$p" == nodejs || "$p" == npm ]] && command -v "${p/nodejs/node}" >/dev/null 2>&1; then
        continue
    fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
    echo "installing: ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
