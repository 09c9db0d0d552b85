#!/usr/bin/env bash
# Installs the Debian 12 packages llmprobe needs to build and test, and nothing that is already
# there (idempotent: a second run installs nothing and does not touch apt's lists).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev
  # libraries
  prometheus-cpp-dev libcpp-httplib-dev libyaml-cpp-dev libssl-dev libspdlog-dev doctest-dev
  libcli11-dev nlohmann-json3-dev libsimdjson-dev libcrypt-dev
  # test tools: promtool and a real Prometheus server; xmllint, a JSON Schema validator and
  # headless Chromium for the bench report checks; systemd-analyze and shellcheck for deploy/;
  # the openssl CLI for the test certificates (TLS tests, llmprobe_perf --tls)
  prometheus ca-certificates libxml2-utils python3-jsonschema chromium systemd shellcheck
  openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
echo "install-deps: done"
