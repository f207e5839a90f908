#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), Swift tests (XCTest / Swift Testing), then the
# Python referees (official Azure SDKs, headless browser). Exits non-zero on any failure and ends
# with each runner's summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/logs
bash scripts/setup.sh --test || { echo "test.sh: set-up failed" >&2; exit 1; }
export EDGEFACTOR_HOME="$PWD/var"

status=0
if [ ! -x .build/debug/edgefactor ]; then
  echo "==> first build (debug, with tests): $(nproc) cores here; on 2 cores this takes about 15-20 minutes, later builds seconds"
else
  echo "==> swift build --build-tests"
fi
swift build --build-tests 2>&1 | tee var/logs/build.log | grep -E 'error|warning: unre|Compiling|Build' | grep -v '^\[' || true
[ "${PIPESTATUS[0]}" = 0 ] || { tail -50 var/logs/build.log; echo "test.sh: build failed" >&2; exit 1; }

echo "==> swift test"
# Swift Testing runs the tests in parallel: each test brings up its own servers on ports the
# kernel picks and waits for conditions (never a fixed sleep), so they share the machine safely.
swift test --skip-build 2>&1 | tee var/logs/swift-test.log
swift_rc=${PIPESTATUS[0]}
[ "$swift_rc" = 0 ] || status=1

py_rc=0
if ls Tests/Python/test_*.py >/dev/null 2>&1; then
  echo "==> pytest (official SDKs, browser)"
  EDGEFACTOR_BIN="$(swift build --show-bin-path)/edgefactor" \
    .venv/bin/python -m pytest -q -p no:cacheprovider -n 3 --dist loadfile Tests/Python 2>&1 | tee var/logs/pytest.log
  py_rc=${PIPESTATUS[0]}
  [ "$py_rc" = 0 ] || status=1
fi

echo
echo "==> summary"
# XCTest's lines only when it ran something (new tests use Swift Testing), then Swift Testing's.
grep -E 'Executed [1-9][0-9]* tests?, with' var/logs/swift-test.log | tail -1 || true
grep -E 'Test run with [0-9]+ tests? ' var/logs/swift-test.log | tail -1 || true
[ -f var/logs/pytest.log ] && grep -E '^=*.*([0-9]+ (passed|failed|error)).*' var/logs/pytest.log | tail -1
exit $status
