#!/bin/sh
# `cmake --install BUILD_DIR --prefix TMP` lays out the binary, the systemd unit (ExecStart naming
# the installed binary, valid for systemd-analyze verify), the example configs, the dashboards
# with their provisioning files and the Prometheus rules.
#   Usage: install_layout_test.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }

status=0
expect() {
  if [ ! -e "$prefix/$1" ]; then echo "FAIL: missing $1"; status=1; fi
}
expect bin/llmprobe
expect lib/systemd/system/llmprobe.service
for f in "$src"/config/*.yaml; do expect "share/llmprobe/examples/$(basename "$f")"; done
expect share/llmprobe/grafana/llmprobe-overview.json
expect share/llmprobe/grafana/llmprobe-target.json
expect share/llmprobe/grafana/provisioning/dashboards.yaml
expect share/llmprobe/grafana/provisioning/datasource.yaml
expect share/llmprobe/prometheus/llmprobe-rules.yaml

[ -x "$prefix/bin/llmprobe" ] || { echo "FAIL: bin/llmprobe not executable"; status=1; }
"$prefix/bin/llmprobe" --version >/dev/null || { echo "FAIL: installed binary does not run"; status=1; }
unit="$prefix/lib/systemd/system/llmprobe.service"
if [ -e "$unit" ]; then
  grep -q "^ExecStart=$prefix/bin/llmprobe run " "$unit" ||
    { echo "FAIL: installed unit does not start $prefix/bin/llmprobe:"; grep ExecStart "$unit"; status=1; }
  # Everything else is the source unit, byte for byte.
  sed "s|$prefix/bin/llmprobe|/usr/local/bin/llmprobe|" "$unit" | cmp -s - "$src/deploy/systemd/llmprobe.service" ||
    { echo "FAIL: installed unit differs from deploy/systemd/llmprobe.service beyond ExecStart"; status=1; }
  if command -v systemd-analyze >/dev/null; then
    if ! out=$(systemd-analyze verify "$unit" 2>&1) || [ -n "$out" ]; then echo "FAIL: verify: $out"; status=1; fi
  fi
fi
cmp -s "$prefix/share/llmprobe/prometheus/llmprobe-rules.yaml" "$src/deploy/prometheus/llmprobe-rules.yaml" ||
  { echo "FAIL: installed rules differ"; status=1; }
[ "$status" -eq 0 ] && { echo "OK: installed tree:"; (cd "$prefix" && find . -type f | sort); }
exit "$status"
