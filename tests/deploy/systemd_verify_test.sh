#!/bin/sh
# deploy/systemd/llmprobe.service passes `systemd-analyze verify` (with ExecStart pointed at the
# built binary: verify needs the executable to exist) and keeps its hardening: the offline
# `systemd-analyze security` exposure stays at or below 2.0 ("OK"), and the directives of
# conventions.md are present.   Usage: systemd_verify_test.sh SOURCE_DIR LLMPROBE_BINARY
set -eu
src=$1
binary=$2
unit_src="$src/deploy/systemd/llmprobe.service"
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze not found (package systemd)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unit="$tmp/llmprobe.service"
grep -q '^ExecStart=/usr/local/bin/llmprobe ' "$unit_src" || { echo "FAIL: ExecStart does not start /usr/local/bin/llmprobe"; exit 1; }
sed "s|/usr/local/bin/llmprobe|$binary|" "$unit_src" >"$unit"

status=0
# verify prints warnings (unknown keys, bad values) but may still exit 0: any output fails.
if ! out=$(systemd-analyze verify "$unit" 2>&1) || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify:"
  echo "$out"
  status=1
fi
if ! systemd-analyze security --offline=true --threshold=20 "$unit" >"$tmp/security.txt" 2>&1; then
  echo "FAIL: exposure above 2.0:"
  cat "$tmp/security.txt"
  status=1
fi
# shellcheck disable=SC2016 # $MAINPID is literal text in the unit
for directive in 'After=network-online.target' 'Wants=network-online.target' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=always' 'DynamicUser=yes' 'NoNewPrivileges=yes' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'LimitNOFILE=65536'; do
  grep -qxF "$directive" "$unit_src" || { echo "FAIL: missing $directive"; status=1; }
done
[ "$status" -eq 0 ] && echo "OK: $(tail -n1 "$tmp/security.txt")"
exit "$status"
