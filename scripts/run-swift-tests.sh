#!/usr/bin/env bash
# Runs `swift test --skip-build "$@"` and, when the test process itself dies (a signal or a hang), runs it
# again, twice at most. Swift Testing 6.3's runner on Linux has crashed now and then in `destroyTask` as a
# test case ended (seen under a debugger, in the runner's own task, with no test code on the stack), and
# Swift's backtracer then hung instead of exiting; Foundation's `Process` on Linux now and then crashes
# the test process as it starts a program (it copies a fixed 256 bytes of each `/proc/self/fd` entry's
# name, past the end of short ones); and the whole suite has stalled with every thread idle and tests of
# both stores in flight, cause not found (a suite takes about 40 s). A test that fails is never run again.
# The backtracer stays off so that a crash ends the process at once, and a run is stopped after 10 minutes.
set -uo pipefail

log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
    SWIFT_BACKTRACE=enable=no timeout --kill-after=30 600 swift test --skip-build "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

# swift test exits with 1 both for a failing test and for a test process killed by a signal; only its
# message tells them apart.
died() {
    [ "$1" -gt 128 ] || [ "$1" -eq 124 ] || grep -q "exited with unexpected signal code" "$log"
}

run "$@"
status=$?
for attempt in 2 3; do
    if [ "$status" -eq 0 ] || ! died "$status"; then break; fi
    echo "run-swift-tests: the test process died (exit status $status) rather than failing a test; running the suite again (attempt $attempt of 3)" >&2
    # A hung test process outlives `timeout`, which stops only `swift test`.
    pkill -KILL -f 'PackageTests.xctest' 2>/dev/null || true
    run "$@"
    status=$?
done
exit "$status"
