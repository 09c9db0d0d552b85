#!/usr/bin/env bash
# Runs the libFuzzer targets of a fuzz build (tests/fuzz/CMakeLists.txt) for a bounded time
# each, with their seed corpora and dictionaries. Fails if any target crashes: a sanitizer
# report, a FUZZ_CHECK, an uncaught exception, a leak, a timeout or running out of memory.
#
#   tests/fuzz/run.sh BUILD_DIR [TARGET...]     (default: every fuzz_* target of BUILD_DIR)
#
# Environment:
#   LLMPROBE_FUZZ_SECONDS  seconds per target (default 60)
#   LLMPROBE_FUZZ_JOBS     targets run at the same time (default: nproc)
#   LLMPROBE_FUZZ_TIMEOUT  seconds one input may take before it counts as a hang (default 25)
#
# Per target, BUILD_DIR/fuzz/TARGET/ holds corpus/ (inputs found so far; it grows across runs),
# seeds/ (symlinks to the fixtures, remade each run), log, and the input of any crash
# (crash-*, leak-*, timeout-*, oom-*). Reproduce one with: BUILD_DIR/tests/fuzz/TARGET FILE
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [TARGET...]}
shift
build=$(cd "$build" && pwd)
seconds=${LLMPROBE_FUZZ_SECONDS:-60}
jobs=${LLMPROBE_FUZZ_JOBS:-$(nproc)}
timeout=${LLMPROBE_FUZZ_TIMEOUT:-25}
bin_dir=$build/tests/fuzz

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$bin_dir"/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f")"); done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz_* targets in $bin_dir (configure with -DLLMPROBE_FUZZ=ON and clang)" >&2
  exit 1
fi

# Seeds (referenced, not copied: symlinks to the fixtures) and dictionary of each target.
seed_files() {
  case "$1" in
    fuzz_sse_parser | fuzz_decoder_*)
      printf '%s\n' "$root"/tests/testdata/streams/*.sse "$root"/tests/testdata/streams/*.ndjson \
        "$root"/tests/fuzz/seeds/stream/*
      ;;
    fuzz_http_response_parser) printf '%s\n' "$root"/tests/fuzz/seeds/http_response_parser/* ;;
    fuzz_http_request_parser) printf '%s\n' "$root"/tests/fuzz/seeds/http_request_parser/* ;;
    fuzz_config_loader)
      printf '%s\n' "$root"/tests/testdata/*.yaml "$root"/config/*.yaml "$root"/tests/fuzz/seeds/config/*
      ;;
    fuzz_duration) printf '%s\n' "$root"/tests/fuzz/seeds/duration/* ;;
    *) echo "fuzz: no seeds listed for $1 in tests/fuzz/run.sh" >&2 ;;
  esac
}
dict_file() {
  case "$1" in
    fuzz_sse_parser | fuzz_decoder_*) echo "$root/tests/fuzz/dicts/stream.dict" ;;
    fuzz_http_response_parser | fuzz_http_request_parser) echo "$root/tests/fuzz/dicts/http.dict" ;;
    fuzz_config_loader) echo "$root/tests/fuzz/dicts/config.dict" ;;
  esac
}

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

run_one() {
  local t=$1 dir=$build/fuzz/$1
  mkdir -p "$dir/corpus"
  rm -rf "$dir/seeds"
  mkdir -p "$dir/seeds"
  local f seeds
  mapfile -t seeds < <(seed_files "$t")
  for f in "${seeds[@]}"; do [ -e "$f" ] && ln -s "$f" "$dir/seeds/$(basename "$f")"; done
  local args=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix="$dir/")
  local dict
  dict=$(dict_file "$t")
  [ -n "$dict" ] && args+=(-dict="$dict")
  "$bin_dir/$t" "${args[@]}" "$dir/corpus" "$dir/seeds" </dev/null >"$dir/log" 2>&1
}

summary() {
  # "#123456 DONE cov: 812 ft: 2301 corp: 140/31Kb ..." -> runs and coverage.
  local line
  line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$1" | tail -1 || true)
  [ -n "$line" ] || line=$(grep -E '^#[0-9]+' "$1" | tail -1 || true)
  echo "$line" | awk '{printf "%s runs, %s %s %s %s, %s %s", substr($1,2), $3, $4, $5, $6, $7, $8}'
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, ${jobs} at a time"
declare -A target_of=()  # pid -> target
failed=()
report() {  # report TARGET STATUS
  local t=$1 status=$2
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $t ok: $(summary "$build/fuzz/$t/log")"
    return
  fi
  failed+=("$t")
  echo "fuzz: $t FAILED (exit $status); the end of $build/fuzz/$t/log:" >&2
  tail -n 60 "$build/fuzz/$t/log" >&2
  local a
  for a in "$build/fuzz/$t"/crash-* "$build/fuzz/$t"/leak-* "$build/fuzz/$t"/timeout-* \
    "$build/fuzz/$t"/oom-*; do
    if [ -e "$a" ]; then echo "fuzz: reproduce: $bin_dir/$t $a" >&2; fi
  done
  return 0  # (an `[ -e ] && ...` as the last command made the function fail under set -e,
            # which ended the whole run at the first failing target)
}
wait_one() {  # waits for any running target and reports it
  local pid status=0
  wait -n -p pid "${!target_of[@]}" || status=$?
  report "${target_of[$pid]}" "$status"
  unset "target_of[$pid]"
}
for t in "${targets[@]}"; do
  if [ ! -x "$bin_dir/$t" ]; then
    echo "fuzz: $bin_dir/$t is missing" >&2
    failed+=("$t")
    continue
  fi
  while [ ${#target_of[@]} -ge "$jobs" ]; do wait_one; done
  run_one "$t" &
  target_of[$!]=$t
done
while [ ${#target_of[@]} -gt 0 ]; do wait_one; done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds} s without a crash"
