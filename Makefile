# Mailpen: `make run` builds and starts the server on the defaults; `make test` runs the whole suite.
SWIFT ?= swift
PYTHON ?= python3
RELEASE_BINARY := .build/release/mailpen
DEBUG_BINARY := .build/debug/mailpen

PREFIX ?= /usr/local

.PHONY: run test deps deps-run build release install test-swift test-e2e test-ui bench bench-smtp bench-api bench-checks bench-ui clean

run: deps-run release
	$(RELEASE_BINARY) serve $(ARGS)

test: deps
	$(SWIFT) build --build-tests
	$(MAKE) test-swift test-e2e test-ui test-web test-fuzz-mime test-fuzz-smtp test-fuzz-search test-fuzz-pop3 test-fuzz-imap

test-swift:
	$(SWIFT) test --skip-build

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
	$(MAKE) bench-smtp bench-api bench-mime bench-checks bench-ui

bench-smtp:
	$(PYTHON) scripts/bench_smtp.py --binary $(RELEASE_BINARY) --ceiling .build/release/mailpen-ceiling --json out/bench-smtp.json

bench-api:
	$(PYTHON) scripts/bench_api.py --binary $(RELEASE_BINARY) --json out/bench-api.json

# The four checks on the 100 KB newsletter, against their 50 ms budget (the `bench-checks` target).
bench-checks:
	$(SWIFT) build -c release --product bench-checks
	mkdir -p out
	.build/release/bench-checks $(CURDIR) --json out/bench-checks.json

bench-ui:
	$(PYTHON) scripts/ui_bench.py --binary $(RELEASE_BINARY) --json out/bench-ui.json

clean:
	rm -rf .build out

# ---- Fuzzers (swiftc straight from a module's pure sources, under libFuzzer and AddressSanitizer) ----
# `make fuzz-mime` / `make fuzz-smtp` / `make fuzz-search` run until stopped (FUZZ_SECONDS=N limits them); `make test` runs
# each for 60 s. They exit non-zero on any crash, sanitizer report, timeout, OOM or broken invariant,
# and the input lands in .build/<name>-tools/fuzz-artifacts/.
SWIFT_MODE   := -swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility \
                -package-name mailpen
FUZZ_SECONDS ?= 0

# $(call build-fuzzer): the fuzzer at $@ from the prerequisites' sources.
build-fuzzer = @mkdir -p $(dir $@) && \
	swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld $(SWIFT_MODE) $^ -o $@
# $(call run-fuzzer,NAME,MAX_LEN,SECONDS): runs .build/NAME-tools/NAME-fuzzer seeded with fixtures/NAME.
run-fuzzer = @mkdir -p .build/$(1)-tools/fuzz-corpus .build/$(1)-tools/fuzz-artifacts && \
	.build/$(1)-tools/$(1)-fuzzer .build/$(1)-tools/fuzz-corpus fixtures/$(1) -max_len=$(2) -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix=.build/$(1)-tools/fuzz-artifacts/ -print_final_stats=1 -max_total_time=$(3)

# MailpenMIME: the parser and every view of a parsed message.
MIME_TOOLS   := .build/mime-tools
MIME_SOURCES := $(wildcard Sources/MailpenMIME/*.swift)

$(MIME_TOOLS)/mime-fuzzer: $(MIME_SOURCES) Tests/Fuzz/MIMEFuzzer.swift
	$(build-fuzzer)

fuzz-mime: $(MIME_TOOLS)/mime-fuzzer
	$(call run-fuzzer,mime,65536,$(FUZZ_SECONDS))

test-fuzz-mime: $(MIME_TOOLS)/mime-fuzzer
	$(call run-fuzzer,mime,65536,60)

# MailpenSMTP: the session state machine and its input framing, which need no NIO. An input's first
# byte sets the session's options; the rest is what the client sends.
SMTP_SOURCES := $(addprefix Sources/MailpenSMTP/,SMTPSessionStateMachine.swift SMTPSessionInput.swift \
                  SMTPCommand.swift SMTPCommandParser.swift SMTPParameterRules.swift SMTPReply.swift \
                  SMTPEnvelope.swift SMTPCredentials.swift SMTPDeliveryResult.swift DotUnstuffer.swift LineFramer.swift)

.build/smtp-tools/smtp-fuzzer: $(SMTP_SOURCES) Tests/Fuzz/SMTPSessionFuzzer.swift
	$(build-fuzzer)

fuzz-smtp: .build/smtp-tools/smtp-fuzzer
	$(call run-fuzzer,smtp,8192,$(FUZZ_SECONDS))

test-fuzz-smtp: .build/smtp-tools/smtp-fuzzer
	$(call run-fuzzer,smtp,8192,60)

# MailpenStore's search grammar: parsing, printing and the store's SQL for each query against the real
# schema. The SQL needs GRDB, so SwiftPM builds this one (with everything it links instrumented) in a
# scratch path of its own; MAILPEN_FUZZ adds its target to the package. swiftc keeps only the last
# -sanitize= it is given, so both sanitizers go in one, after the one `--sanitize fuzzer` adds (which
# also leaves `main` to libFuzzer).
SEARCH_FUZZ_BUILD := MAILPEN_FUZZ=1 $(SWIFT) build --scratch-path .build/fuzz --product mailpen-search-fuzzer \
                     --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld

build-search-fuzzer:
	$(SEARCH_FUZZ_BUILD)
	@mkdir -p .build/search-tools && ln -sf "$$($(SEARCH_FUZZ_BUILD) --show-bin-path)/mailpen-search-fuzzer" \
		.build/search-tools/search-fuzzer

# On a crash, Swift's own backtracer would outlive the fuzzer, holding its output open and make waiting.
fuzz-search test-fuzz-search: export SWIFT_BACKTRACE = enable=no

fuzz-search: build-search-fuzzer
	$(call run-fuzzer,search,4096,$(FUZZ_SECONDS))

test-fuzz-search: build-search-fuzzer
	$(call run-fuzzer,search,4096,60)

# ---- MailpenMIME: parse benchmark ----
$(MIME_TOOLS)/bench-mime: $(MIME_SOURCES) scripts/bench_mime.swift
	@mkdir -p $(MIME_TOOLS)
	swiftc -O -wmo -parse-as-library -module-name MIMEBench $(SWIFT_MODE) \
		$(MIME_SOURCES) scripts/bench_mime.swift -o $@

# Parse benchmark: Swift vs Python's email on fixtures/mime and on a 25 MB attachment.
bench-mime: $(MIME_TOOLS)/bench-mime
	mkdir -p out
	$(PYTHON) scripts/bench_mime.py --swift $(MIME_TOOLS)/bench-mime --json out/bench-mime.json

.PHONY: fuzz-mime test-fuzz-mime bench-mime fuzz-smtp test-fuzz-smtp build-search-fuzzer fuzz-search test-fuzz-search

# ---- Web UI: the message list's model under node's own test runner (no packages) ----
NODE ?= node

test-web:
	$(NODE) --test Tests/web/

.PHONY: test-web

# MailpenPOP3Core: the session state machine and its line framing. An input's first byte sets the
# session's options (see Tests/Fuzz/POP3SessionFuzzer.swift); the rest is what the client sends.
POP3_SOURCES := $(wildcard Sources/MailpenPOP3Core/*.swift)

.build/pop3-tools/pop3-fuzzer: $(POP3_SOURCES) Tests/Fuzz/POP3SessionFuzzer.swift
	$(build-fuzzer)

fuzz-pop3: .build/pop3-tools/pop3-fuzzer
	$(call run-fuzzer,pop3,8192,$(FUZZ_SECONDS))

test-fuzz-pop3: .build/pop3-tools/pop3-fuzzer
	$(call run-fuzzer,pop3,8192,60)

# MailpenIMAPCore imports MailpenMIME, so MailpenMIME is built first as a module of its own (instrumented
# like the rest); the fuzzer answers the session's requests from a small inbox
# (see Tests/Fuzz/IMAPSessionFuzzer.swift).
IMAP_TOOLS   := .build/imap-tools
IMAP_SOURCES := $(wildcard Sources/MailpenIMAPCore/*.swift)

$(IMAP_TOOLS)/MailpenMIME.o: $(MIME_SOURCES)
	@mkdir -p $(IMAP_TOOLS)
	swiftc -sanitize=fuzzer,address -parse-as-library -O -g -wmo $(SWIFT_MODE) -module-name MailpenMIME \
		-emit-module -emit-module-path $(IMAP_TOOLS)/MailpenMIME.swiftmodule -c $(MIME_SOURCES) -o $@

$(IMAP_TOOLS)/imap-fuzzer: $(IMAP_SOURCES) Tests/Fuzz/IMAPSessionFuzzer.swift $(IMAP_TOOLS)/MailpenMIME.o
	swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld $(SWIFT_MODE) -I $(IMAP_TOOLS) $^ -o $@

fuzz-imap: $(IMAP_TOOLS)/imap-fuzzer
	$(call run-fuzzer,imap,8192,$(FUZZ_SECONDS))

test-fuzz-imap: $(IMAP_TOOLS)/imap-fuzzer
	$(call run-fuzzer,imap,8192,60)

.PHONY: fuzz-pop3 test-fuzz-pop3 fuzz-imap test-fuzz-imap
