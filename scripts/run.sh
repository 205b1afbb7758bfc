#!/usr/bin/env bash
# The main job: install what is missing, build, and start the server with the web app on 127.0.0.1:8000.
# Open http://127.0.0.1:8000 (from a laptop: see docs/SSH_TUNNEL_SETUP.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh default
bin=build/default/apps/roofline/roofline
echo "== roofline: $($bin --version)"
$bin analyze --shape 4096x4096x4096 --all-precisions || true
exec $bin serve --host 127.0.0.1 --port "${PORT:-8000}" --web-root web/dist "$@"
