#!/bin/sh
# Runs shellcheck over the deploy scripts; exits 77 (ctest: Skipped) where shellcheck is not installed.
set -eu
src=$1
command -v shellcheck >/dev/null || { echo "SKIP: shellcheck not installed (apt-get install shellcheck)"; exit 77; }
shellcheck "$src"/deploy/prometheus/render.sh "$src"/deploy/container/runtime-packages.sh \
  "$src"/tests/deploy/*.sh
echo "OK"
