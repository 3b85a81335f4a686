#!/usr/bin/env bash
# Runs `swift test --skip-build "$@"` and, when the test process itself dies (a signal or a hang), runs it
# again, twice at most. Swift Testing 6.3's runner on Linux has crashed now and then in `destroyTask` as a
# test case ended (seen under a debugger, in the runner's own task, with no test code on the stack), and
# Swift's backtracer then hung instead of exiting; Foundation's `Process` on Linux now and then crashes
# the test process as it starts a program (it copies a fixed 256 bytes of each `/proc/self/fd` entry's
# name, past the end of short ones). A stall is run again too, but it is a bug to find: the one seen so
# far was a PostgreSQL store waiting forever as it closed (see `PostgresConnection.open`). A test that
# fails is never run again.
# The backtracer stays off so that a crash ends the process at once, and a run is stopped after 5 minutes
# (the suite takes under one); the tests still under way then are listed, to say where it stalled.
# `swift test` relays the test process's output through a buffer of its own, which a stopped run would
# lose (and with it which tests ended): stdbuf makes it pass each line on at once.
set -uo pipefail

log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
    SWIFT_BACKTRACE=enable=no timeout --kill-after=30 "${SWIFT_TEST_TIMEOUT:-300}" \
        stdbuf -oL -eL swift test --skip-build "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

# The tests that started and never ended (Swift Testing's and XCTest's; one name can be in several suites).
under_way() {
    local started ended
    started=$(grep -v -e '◇ Test case passing' -e '◇ Test run started' "$log" |
        sed -nE 's/^.*◇ Test (.*) started\.$/\1/p; s/^Test Case .(.*). started at .*$/\1/p' | sort)
    ended=$(sed -nE 's/ with [0-9]+ test cases? (passed|failed|skipped)/ \1/
        s/^.*[✔✘] Test (.*) (passed|failed|skipped) .*$/\1/p
        s/^Test Case .(.*). (passed|failed|skipped) .*$/\1/p' "$log" | sort)
    comm -23 <(echo "$started") <(echo "$ended")
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
    echo "run-swift-tests: the test process died (exit status $status) rather than failing a test; under way then:" >&2
    under_way | sed 's/^/    /' >&2
    echo "run-swift-tests: running the suite again (attempt $attempt of 3)" >&2
    # A hung test process outlives `timeout`, which stops only `swift test`.
    pkill -KILL -f 'PackageTests.xctest' 2>/dev/null || true
    run "$@"
    status=$?
done
if [ "$status" -ne 0 ] && died "$status"; then
    echo "run-swift-tests: the test process died (exit status $status) on the last attempt; under way then:" >&2
    under_way | sed 's/^/    /' >&2
    pkill -KILL -f 'PackageTests.xctest' 2>/dev/null || true
fi
exit "$status"
