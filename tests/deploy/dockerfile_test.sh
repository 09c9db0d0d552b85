#!/bin/sh
# Docker cannot run on the CI machines, so the Dockerfile is checked statically: two stages on
# Debian 12, the build stage uses scripts/install-deps.sh, the final stage installs no -dev
# package and runs as a numeric non-root user, exposes 9470; and the runtime-package script the
# build stage runs maps the built binary's libraries to Debian packages.
#   Usage: dockerfile_test.sh SOURCE_DIR LLMPROBE_BINARY
set -eu
src=$1
binary=$2
df="$src/deploy/container/Dockerfile"
status=0
fail() { echo "FAIL: $*"; status=1; }

[ "$(grep -c '^FROM ' "$df")" -eq 2 ] || fail "expected exactly two stages"
grep -q '^FROM debian:12 AS build$' "$df" || fail "build stage is not FROM debian:12 AS build"
grep -q '^FROM debian:12-slim$' "$df" || fail "final stage is not FROM debian:12-slim"
grep -q 'scripts/install-deps.sh' "$df" || fail "build stage does not use scripts/install-deps.sh"
# The final stage: everything after the second FROM.
final=$(awk '/^FROM /{n++} n==2 && !/^[[:space:]]*#/' "$df")
echo "$final" | grep -q -- '-dev' && fail "final stage mentions a -dev package"
echo "$final" | grep -Eq '^USER [1-9][0-9]*(:[0-9]+)?$' || fail "final stage has no numeric non-root USER"
echo "$final" | grep -q '^USER 0' && fail "final stage runs as root"
echo "$final" | grep -q '^EXPOSE 9470$' || fail "no EXPOSE 9470"
echo "$final" | grep -q 'rm -rf /var/lib/apt/lists' || fail "apt lists left in the final image"
echo "$final" | grep -q -- '--no-install-recommends' || fail "final stage installs recommends"
echo "$final" | grep -q '^ENTRYPOINT \["/usr/local/bin/llmprobe"\]$' || fail "ENTRYPOINT is not the binary (exec form)"
# Every COPY --from names the build stage.
grep '^COPY --from=' "$df" | grep -v '^COPY --from=build ' && fail "COPY --from of an unknown stage"
[ -f "$src/deploy/container/Dockerfile.dockerignore" ] || fail "no Dockerfile.dockerignore"

pkgs=$("$src/deploy/container/runtime-packages.sh" "$binary") || fail "runtime-packages.sh failed"
for p in libc6 libssl3 libyaml-cpp0.7 libprometheus-cpp-core1.0; do
  echo "$pkgs" | grep -qx "$p" || fail "runtime packages lack $p: $pkgs"
done
echo "$pkgs" | grep -q -- '-dev$' && fail "a runtime package is a -dev package: $pkgs"
[ "$status" -eq 0 ] && echo "OK: runtime packages: $(echo "$pkgs" | tr "\n" " ")"
exit "$status"
