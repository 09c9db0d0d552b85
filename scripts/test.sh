#!/usr/bin/env bash
# README command 2 (and CI's): install what is missing, build, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
# Integration tests run serially (they measure timing); unit tests run in parallel.
ctest --test-dir build --output-on-failure -j "$(nproc)"
