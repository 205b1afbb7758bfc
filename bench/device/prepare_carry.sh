#!/usr/bin/env bash
# Copies the sm90 build's binaries and the libraries the GPU machine lacks into .devcarry (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .devcarry && mkdir -p .devcarry/lib
cp build/sm90/apps/roofline/roofline build/sm90/libs/cuda/cuda_gpu_tests .devcarry/
for l in libcpp-httplib.so.0.11 libbrotlidec.so.1 libbrotlienc.so.1 libbrotlicommon.so.1; do
    cp -L /lib/x86_64-linux-gnu/$l .devcarry/lib/
done
du -sh .devcarry
