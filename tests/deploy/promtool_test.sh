#!/bin/sh
# promtool checks of the Prometheus rules: `check rules` on the production file and on the fast
# test rendering of the same template, then the unit tests in deploy/prometheus/tests.
#   Usage: promtool_test.sh SOURCE_DIR check|test
set -eu
src=$1
command -v promtool >/dev/null || { echo "FAIL: promtool not found (apt-get install prometheus)"; exit 1; }
dir="$src/deploy/prometheus"
case "$2" in
  check)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    "$dir/render.sh" fast >"$tmp/llmprobe-rules.fast.yaml"
    if grep -n '@[A-Z0-9]*@' "$tmp/llmprobe-rules.fast.yaml"; then echo "FAIL: placeholder left"; exit 1; fi
    promtool check rules "$dir/llmprobe-rules.yaml" "$tmp/llmprobe-rules.fast.yaml"
    ;;
  test)
    cd "$dir/tests"
    promtool test rules ./*.yaml
    ;;
  *) echo "usage: $0 SOURCE_DIR check|test" >&2; exit 2 ;;
esac
