#!/usr/bin/env bash
# Copies the sm90 build's binaries and the libraries the GPU machine lacks into .devcarry (git-ignored), with
# what the web app needs to run there without a browser (bench/device/app_sweep.mjs): the built app (web/dist),
# this machine's Node (xz-compressed: the call carries at most 64 MiB) and jsdom from npm.
set -euo pipefail
cd "$(dirname "$0")/../.."
keep_node=""
[[ -f .devcarry/node.xz ]] && keep_node=$(mktemp) && mv .devcarry/node.xz "$keep_node"
rm -rf .devcarry/roofline .devcarry/cuda_gpu_tests .devcarry/lib .devcarry/web-dist
mkdir -p .devcarry/lib
build=${BUILD_DIR:-build/sm90} # any build with CUDA for sm_90 (the ci preset too)
cp "$build/apps/roofline/roofline" "$build/libs/cuda/cuda_gpu_tests" .devcarry/
# The server's HTTP layer is Boost.Beast (header-only); the PostgreSQL client (libpq) and the libraries it pulls
# in are not on the GPU machine, so they travel (the run scripts put .devcarry/lib on LD_LIBRARY_PATH).
for l in libpq.so.5 libldap-2.5.so.0 liblber-2.5.so.0 libsasl2.so.2 libgssapi_krb5.so.2 libkrb5.so.3 \
    libk5crypto.so.3 libkrb5support.so.0 libcom_err.so.2 libkeyutils.so.1 libgnutls.so.30 libp11-kit.so.0 \
    libidn2.so.0 libunistring.so.2 libtasn1.so.6 libnettle.so.8 libhogweed.so.6; do
    cp -L "/lib/x86_64-linux-gnu/$l" .devcarry/lib/
done
strip .devcarry/roofline .devcarry/cuda_gpu_tests
(cd web && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && npm run build >/dev/null)
cp -r web/dist .devcarry/web-dist
node_bin=$(command -v node)
if [[ -n "$keep_node" && "$keep_node" -nt "$node_bin" ]]; then
    mv "$keep_node" .devcarry/node.xz
else
    ldd "$node_bin" | grep -q "libnode" && { echo "this node links libnode.so: carry a self-contained one"; exit 1; }
    xz -T0 -6 -c "$node_bin" > .devcarry/node.xz
fi
[[ -d .devcarry/jsdom/node_modules/jsdom ]] ||
    npm install --prefix .devcarry/jsdom --no-audit --no-fund --no-save jsdom@24 >/dev/null
du -sh .devcarry
