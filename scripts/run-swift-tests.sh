#!/usr/bin/env bash
# Runs `swift test --skip-build "$@"` and, when the test process itself dies (a signal or a hang), runs it
# once more. Swift Testing 6.3's runner on Linux has crashed now and then in `destroyTask` as a test case
# ended (seen under a debugger, in the runner's own task, with no test code on the stack), and Swift's
# backtracer then hung instead of exiting; a test that fails is never run again. The backtracer stays off
# so that a crash ends the process at once, and a run is stopped after 30 minutes.
set -uo pipefail

log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
    SWIFT_BACKTRACE=enable=no timeout --kill-after=30 1800 swift test --skip-build "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

# swift test exits with 1 both for a failing test and for a test process killed by a signal; only its
# message tells them apart.
died() {
    [ "$1" -gt 128 ] || [ "$1" -eq 124 ] || grep -q "exited with unexpected signal code" "$log"
}

run "$@"
status=$?
if [ "$status" -ne 0 ] && died "$status"; then
    echo "run-swift-tests: the test process died (exit status $status) rather than failing a test; running the suite once more" >&2
    run "$@"
    status=$?
fi
exit "$status"
