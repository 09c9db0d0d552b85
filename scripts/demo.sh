#!/usr/bin/env bash
# README command 1: install what is missing, build, and run `llmprobe demo` (the daemon probing
# the built-in mock; /metrics on http://127.0.0.1:9470/metrics).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
exec ./build/llmprobe demo "$@"
