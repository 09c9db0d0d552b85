#!/usr/bin/env bash
# README command 2 (and CI's): install what is missing, then build and test four configurations,
# each in its own directory and built once (docs/TESTING.md: what runs where, how long, why):
#   build       g++, RelWithDebInfo       the whole test suite (unit, integration, deploy)
#   build-asan  clang, ASan+UBSan         unit and integration tests
#   build-tsan  clang, TSan               unit and integration tests
#   build-fuzz  clang, libFuzzer+ASan+UBSan  every fuzzer for LLMPROBE_FUZZ_SECONDS (default 60)
# Environment:
#   LLMPROBE_TEST_CONFIGS   which of "gcc asan tsan fuzz" to run (default: all four, in that order)
#   LLMPROBE_FUZZ_SECONDS   seconds per fuzz target (default 60); LLMPROBE_FUZZ_JOBS: at a time
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

configs=${LLMPROBE_TEST_CONFIGS:-gcc asan tsan fuzz}
jobs=$(nproc)
start=$SECONDS
times=()

failed=()

# step NAME COMMAND...: runs and times one step; the times are printed at the end. A failed
# step is recorded and returns non-zero (the rest of its configuration is skipped; the other
# configurations still run, so that one CI run reports every failing configuration).
step() {
  local name=$1 t0=$SECONDS status=0
  shift
  echo "== $name"
  "$@" || status=$?
  local result=ok
  if [ "$status" -ne 0 ]; then
    result="FAILED (exit $status)"
    failed+=("$name")
  fi
  times+=("$(printf '%-24s %5d s  %s' "$name" $((SECONDS - t0)) "$result")")
  return "$status"
}

# Sanitizer builds: -O1 with line tables only compiles about twice as fast as the default -O2 -g
# and still gives file:line stacks; NDEBUG is left out so that assertions run as well.
san_cmake=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only")
san_targets="llmprobe unit_tests integration_tests"

# sanitized_ctest DIR LOG_PREFIX [ctest args...]: the unit and integration tests of DIR. Every
# sanitizer report is also written to DIR/sanitizer-logs/ (log_path): a report from a process
# whose exit status no test looks at (the daemon an integration test starts and stops) still
# fails the run.
sanitized_ctest() {
  # Absolute: the tests run in their own working directories.
  local dir logs
  dir=$(cd "$1" && pwd)
  logs=$dir/sanitizer-logs
  shift
  rm -rf "$logs"
  mkdir -p "$logs"
  local status=0
  ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:check_initialization_order=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    TSAN_OPTIONS="log_path=$logs/tsan:halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" -R '^(unit|integration)/' "$@" ||
    status=$?
  if compgen -G "$logs/*" >/dev/null; then
    echo "sanitizer reports in $logs:" >&2
    for f in "$logs"/*; do
      echo "--- $f" >&2
      cat "$f" >&2
    done
    status=1
  fi
  return "$status"
}

for config in $configs; do
  case "$config" in
    gcc)
      # Integration tests run serially (they measure timing); unit tests run in parallel.
      if step "gcc: build" scripts/build.sh build; then
        step "gcc: ctest (all)" ctest --test-dir build --output-on-failure -j "$jobs" || true
      fi
      ;;
    asan)
      if step "asan: build" env LLMPROBE_BUILD_TARGETS="$san_targets" \
        scripts/build.sh build-asan "${san_cmake[@]}" -DLLMPROBE_SANITIZE=address,undefined; then
        step "asan: unit+integration" sanitized_ctest build-asan || true
      fi
      ;;
    tsan)
      # Timing precision is asserted by the plain builds only: in sanitizer builds TIMING_CHECK
      # does nothing and bounds widen (tests/support/Timing.h, docs/TESTING.md).
      if step "tsan: build" env LLMPROBE_BUILD_TARGETS="$san_targets" \
        scripts/build.sh build-tsan "${san_cmake[@]}" -DLLMPROBE_SANITIZE=thread; then
        step "tsan: unit+integration" sanitized_ctest build-tsan || true
      fi
      ;;
    fuzz)
      if step "fuzz: build" env LLMPROBE_BUILD_TARGETS=fuzzers \
        scripts/build.sh build-fuzz "${san_cmake[@]}" -DLLMPROBE_FUZZ=ON -DBUILD_TESTING=OFF; then
        step "fuzz: run" tests/fuzz/run.sh build-fuzz || true
      fi
      ;;
    *)
      echo "test.sh: unknown configuration \"$config\" in LLMPROBE_TEST_CONFIGS" >&2
      exit 2
      ;;
  esac
done

echo "== times"
printf '%s\n' "${times[@]}"
printf '%-24s %5d s\n' "total" $((SECONDS - start))
if [ ${#failed[@]} -ne 0 ]; then
  echo "test.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
