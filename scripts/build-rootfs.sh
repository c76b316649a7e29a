#!/bin/sh
# Build (or reuse) the cached Debian sid rootfs the local Asterisk instances
# run in. Needs root. Prints the rootfs path.
#   scripts/build-rootfs.sh [--cache-dir DIR]     (default: $CONTINUITY_ROOTFS or .cache/)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
python=python3
if [ -x "$repo/.venv/bin/python" ]; then
    python="$repo/.venv/bin/python"
fi
cd "$repo"
exec "$python" -m localstack.rootfs "$@"
