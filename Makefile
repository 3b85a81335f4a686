# Mailpen: `make run` builds and starts the server on the defaults; `make test` runs the whole suite.
SWIFT ?= swift
PYTHON ?= python3
RELEASE_BINARY := .build/release/mailpen
DEBUG_BINARY := .build/debug/mailpen

PREFIX ?= /usr/local

.PHONY: run test deps deps-run build release install format lint test-swift test-e2e test-ui bench bench-smtp bench-api bench-checks bench-ui clean bench-postgres \
	bench-smtp-instructions test-instructions

run: deps-run release
	$(RELEASE_BINARY) serve $(ARGS)

# The PostgreSQL store's tests need a server: a throw-away cluster on a loopback port
# (scripts/test-postgres.sh) unless MAILPEN_TEST_POSTGRES already names one.
test: deps lint
	$(SWIFT) build --build-tests
	if [ -z "$$MAILPEN_TEST_POSTGRES" ]; then env=$$(scripts/test-postgres.sh start --no-fsync) && eval "$$env"; fi && \
	$(MAKE) test-swift test-e2e test-ui test-web test-fuzz-mime test-fuzz-smtp test-fuzz-search test-fuzz-pop3 test-fuzz-imap \
		test-instructions

# The XCTest cases (MailpenTesting's XCTest style) run in a process of their own, so that servers they
# start and stop never share a process with the Swift Testing suites running side by side. See
# scripts/run-swift-tests.sh for what happens when the test process itself dies.
test-swift:
	scripts/run-swift-tests.sh --disable-xctest
	scripts/run-swift-tests.sh --disable-swift-testing

test-e2e:
	MAILPEN_BINARY=$(abspath $(DEBUG_BINARY)) $(PYTHON) -m pytest -q Tests/e2e

test-ui:
	MAILPEN_BINARY=$(abspath $(DEBUG_BINARY)) $(PYTHON) -m pytest -q Tests/ui

deps:
	@scripts/install-deps.sh test

deps-run:
	@scripts/install-deps.sh run

build: deps-run
	$(SWIFT) build --product mailpen

release: deps-run
	$(SWIFT) build -c release --product mailpen

# Links the release binary into $(PREFIX)/bin (it finds its web UI through the link) and, as `sendmail`,
# into $(PREFIX)/sbin when nothing else is there.
install: release
	ln -sf $(abspath $(RELEASE_BINARY)) $(PREFIX)/bin/mailpen
	@if [ ! -e $(PREFIX)/sbin/sendmail ]; then ln -s $(abspath $(RELEASE_BINARY)) $(PREFIX)/sbin/sendmail && echo "linked $(PREFIX)/sbin/sendmail"; fi

bench: deps release
	$(SWIFT) build -c release --product mailpen-ceiling
	mkdir -p out
	$(MAKE) bench-smtp bench-smtp-instructions bench-api bench-mime bench-checks bench-ui

bench-smtp:
	$(PYTHON) scripts/bench_smtp.py --binary $(RELEASE_BINARY) --ceiling .build/release/mailpen-ceiling --json out/bench-smtp.json

# Instructions per SMTP connection and per message under callgrind (repeatable on a busy machine, to
# compare commits); `make test` checks the debug build's against fixtures/instructions.json.
bench-smtp-instructions: deps release
	mkdir -p out
	$(PYTHON) scripts/bench_instructions.py --binary $(RELEASE_BINARY) --messages 1000 --json out/bench-instructions.json

test-instructions:
	$(PYTHON) scripts/bench_instructions.py --binary $(DEBUG_BINARY) --messages 300 --check fixtures/instructions.json

bench-api:
	$(PYTHON) scripts/bench_api.py --binary $(RELEASE_BINARY) --json out/bench-api.json

# The four checks on the 100 KB newsletter, against their 50 ms budget (the `bench-checks` target).
bench-checks:
	$(SWIFT) build -c release --product bench-checks
	mkdir -p out
	.build/release/bench-checks $(CURDIR) --json out/bench-checks.json

bench-ui:
	$(PYTHON) scripts/ui_bench.py --binary $(RELEASE_BINARY) --json out/bench-ui.json

# Formatting follows .swift-format (4 spaces, 120 columns); `make lint` fails on anything `make format`
# would change or any rule it cannot fix, and runs first in `make test`.
SWIFT_SOURCES := Package.swift Sources Tests scripts/mime-bench

format:
	$(SWIFT) format --in-place --parallel --recursive $(SWIFT_SOURCES)

lint:
	$(SWIFT) format lint --strict --parallel --recursive $(SWIFT_SOURCES)

clean:
	rm -rf .build out

# ---- Fuzzers: SwiftPM executable targets under libFuzzer and AddressSanitizer ----
# `make fuzz-NAME` (mime, smtp, pop3, imap, search) runs until stopped (FUZZ_SECONDS=N limits them); `make test` runs
# each for 60 s. They exit non-zero on any crash, sanitizer report, timeout, OOM or broken invariant,
# and the input lands in .build/<name>-tools/fuzz-artifacts/.
#
# The pattern, for a fuzzer of module M named NAME:
# - an executable target `NAME-fuzzer` in Package.swift with `path: "Tests/Fuzz/NAME"` depending on M (its
#   public API only: the fuzz build is a release build, without @testable);
# - one file there defining `@_cdecl("LLVMFuzzerTestOneInput")`, plus an `@main` stub inside `#if !FUZZING`
#   so that a plain `swift build` links it without libFuzzer, while the fuzz build (-DFUZZING) leaves
#   `main` to libFuzzer;
# - seeds in fixtures/NAME, and two rules below calling build-fuzzer and run-fuzzer.
# Fuzz builds use their own scratch path, so they never disturb the normal build's products.
FUZZ_SCRATCH := .build/fuzz
FUZZ_SECONDS ?= 0

# $(call build-fuzzer,NAME): builds $(FUZZ_SCRATCH)/release/NAME-fuzzer (SwiftPM rebuilds only what changed).
# `--sanitize fuzzer` makes SwiftPM leave `main` to libFuzzer; the sanitizers themselves go in one
# -sanitize flag, because of several (as `--sanitize address` would add) swiftc keeps only the last.
build-fuzzer = $(SWIFT) build -c release --scratch-path $(FUZZ_SCRATCH) --product $(1)-fuzzer \
	--sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
# $(call run-fuzzer,NAME,MAX_LEN,SECONDS): runs the fuzzer seeded with fixtures/NAME.
run-fuzzer = @mkdir -p .build/$(1)-tools/fuzz-corpus .build/$(1)-tools/fuzz-artifacts && \
	$(FUZZ_SCRATCH)/release/$(1)-fuzzer .build/$(1)-tools/fuzz-corpus fixtures/$(1) -max_len=$(2) -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix=.build/$(1)-tools/fuzz-artifacts/ -print_final_stats=1 -max_total_time=$(3)

# MailpenMIME: the parser and every view of a parsed message.
fuzz-mime:
	$(call build-fuzzer,mime)
	$(call run-fuzzer,mime,65536,$(FUZZ_SECONDS))

test-fuzz-mime:
	$(call build-fuzzer,mime)
	$(call run-fuzzer,mime,65536,60)

# MailpenSMTPCore: the session state machine and its input framing. An input's first byte sets the
# session's options; the rest is what the client sends.
fuzz-smtp:
	$(call build-fuzzer,smtp)
	$(call run-fuzzer,smtp,8192,$(FUZZ_SECONDS))

test-fuzz-smtp:
	$(call build-fuzzer,smtp)
	$(call run-fuzzer,smtp,8192,60)

# MailpenPOP3Core and MailpenIMAPCore: the session state machines and their input framing. An input's
# first byte sets the session's options (see each fuzzer's file); the rest is what the client sends.
fuzz-pop3:
	$(call build-fuzzer,pop3)
	$(call run-fuzzer,pop3,8192,$(FUZZ_SECONDS))

test-fuzz-pop3:
	$(call build-fuzzer,pop3)
	$(call run-fuzzer,pop3,8192,60)

fuzz-imap:
	$(call build-fuzzer,imap)
	$(call run-fuzzer,imap,8192,$(FUZZ_SECONDS))

test-fuzz-imap:
	$(call build-fuzzer,imap)
	$(call run-fuzzer,imap,8192,60)

# MailpenStore's search grammar: parsing, printing and the store's SQL for each query against the real
# schema. It reaches the store's internals (@testable), so it is a debug build, and its target exists only
# when MAILPEN_FUZZ is set, in a scratch path of its own.
SEARCH_FUZZ_BUILD := MAILPEN_FUZZ=1 $(SWIFT) build --scratch-path .build/fuzz-search --product mailpen-search-fuzzer \
                     --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld

build-search-fuzzer:
	$(SEARCH_FUZZ_BUILD)
	@mkdir -p .build/search-tools && ln -sf "$$($(SEARCH_FUZZ_BUILD) --show-bin-path)/mailpen-search-fuzzer" \
		.build/search-tools/search-fuzzer

# On a crash, Swift's own backtracer would outlive the fuzzer, holding its output open.
fuzz-search test-fuzz-search: export SWIFT_BACKTRACE = enable=no

fuzz-search: build-search-fuzzer
	$(call run-search-fuzzer,$(FUZZ_SECONDS))

test-fuzz-search: build-search-fuzzer
	$(call run-search-fuzzer,60)

run-search-fuzzer = @mkdir -p .build/search-tools/fuzz-corpus .build/search-tools/fuzz-artifacts && \
	.build/search-tools/search-fuzzer .build/search-tools/fuzz-corpus fixtures/search -max_len=4096 -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix=.build/search-tools/fuzz-artifacts/ -print_final_stats=1 -max_total_time=$(1)

# ---- MailpenMIME: parse benchmark ----
# Parse benchmark: Swift vs Python's email on fixtures/mime and on a 25 MB attachment.
bench-mime:
	$(SWIFT) build -c release --product mime-bench
	mkdir -p out
	$(PYTHON) scripts/bench_mime.py --swift .build/release/mime-bench --json out/bench-mime.json

.PHONY: fuzz-mime test-fuzz-mime bench-mime fuzz-smtp test-fuzz-smtp fuzz-pop3 test-fuzz-pop3 fuzz-imap test-fuzz-imap \
	build-search-fuzzer fuzz-search test-fuzz-search

# ---- Web UI: the message list's model under node's own test runner (no packages) ----
NODE ?= node

test-web:
	$(NODE) --test Tests/web/

.PHONY: test-web bench-postgres

# SMTP ingest on PostgreSQL against SQLite in one run (8 and 32 sessions, new and reused connections), then
# list/search/wait latency and memory at 100k messages on each (with a second node for PostgreSQL), on a
# throw-away cluster unless MAILPEN_TEST_POSTGRES names one.
bench-postgres: deps release
	mkdir -p out
	db=mailpen_bench_api_$$$$; \
	if [ -z "$$MAILPEN_TEST_POSTGRES" ]; then env=$$(scripts/test-postgres.sh start) && eval "$$env"; fi && \
	$(PYTHON) scripts/bench_postgres.py --binary $(RELEASE_BINARY) --json out/bench-postgres.json && \
	$(PYTHON) scripts/bench_api.py --binary $(RELEASE_BINARY) --label "SQLite      " --json out/bench-api-sqlite.json && \
	psql "$$MAILPEN_TEST_POSTGRES" -qc "CREATE DATABASE $$db" && \
	$(PYTHON) scripts/bench_api.py --binary $(RELEASE_BINARY) --label "PostgreSQL  " \
		--db "$${MAILPEN_TEST_POSTGRES%/*}/$$db" --json out/bench-api-postgres.json; \
	status=$$?; psql "$$MAILPEN_TEST_POSTGRES" -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)"; exit $$status
