#!/usr/bin/env bash
# Benchmarks the message checks (DESIGN §6, issue 6): spam (built-in engine), html, links
# (no following) and lint on the 100 KB newsletter fixture; target: all four under 50 ms.
#
# Compiles MailpenMIME and MailpenChecks (without its Network/ files, which need NIO and
# AsyncHTTPClient) straight with `swiftc -O`, so it does not touch SwiftPM's .build.
# Usage: scripts/bench_checks.sh [--json out/bench-checks.json] [--iterations N]
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFTC=${SWIFTC:-swiftc}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mailpen-bench-checks.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FLAGS=(-O -wmo -swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility)

"$SWIFTC" "${FLAGS[@]}" -parse-as-library -module-name MailpenMIME -emit-module -emit-module-path "$WORK/MailpenMIME.swiftmodule" \
    -emit-library -static -o "$WORK/libMailpenMIME.a" Sources/MailpenMIME/*.swift
mapfile -t CHECKS < <(find Sources/MailpenChecks -name '*.swift' -not -path '*/Network/*' | sort)
"$SWIFTC" "${FLAGS[@]}" -parse-as-library -module-name MailpenChecks -I "$WORK" -emit-module \
    -emit-module-path "$WORK/MailpenChecks.swiftmodule" -emit-library -static -o "$WORK/libMailpenChecks.a" "${CHECKS[@]}"
"$SWIFTC" "${FLAGS[@]}" -parse-as-library -module-name BenchChecks -I "$WORK" -L "$WORK" -lMailpenChecks -lMailpenMIME \
    scripts/bench_checks.swift -o "$WORK/bench_checks"
"$WORK/bench_checks" "$PWD" "$@"
