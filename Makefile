# Mailpen: `make run` builds and starts the server on the defaults; `make test` runs the whole suite.
SWIFT ?= swift
PYTHON ?= python3
RELEASE_BINARY := .build/release/mailpen
DEBUG_BINARY := .build/debug/mailpen

PREFIX ?= /usr/local

.PHONY: run test deps build release install test-swift test-e2e test-ui bench bench-smtp bench-api bench-checks bench-ui clean

run: deps release
	$(RELEASE_BINARY) serve $(ARGS)

test: deps
	$(SWIFT) build --build-tests
	$(MAKE) test-swift test-e2e test-ui test-fuzz-mime

test-swift:
	$(SWIFT) test --skip-build

test-e2e:
	MAILPEN_BINARY=$(abspath $(DEBUG_BINARY)) $(PYTHON) -m pytest -q Tests/e2e

test-ui:
	MAILPEN_BINARY=$(abspath $(DEBUG_BINARY)) $(PYTHON) -m pytest -q Tests/ui

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build --product mailpen

release: deps
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

bench-checks:
	scripts/bench_checks.sh --json out/bench-checks.json

bench-ui:
	$(PYTHON) scripts/ui_bench.py --binary $(RELEASE_BINARY) --json out/bench-ui.json

clean:
	rm -rf .build out

# ---- MailpenMIME: fuzzing and parse benchmark (swiftc straight from the module's sources) ----
MIME_TOOLS   := .build/mime-tools
MIME_SOURCES := $(wildcard Sources/MailpenMIME/*.swift)
SWIFT_MODE   := -swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility
FUZZ_SECONDS ?= 0
MIME_FUZZ     = $(MIME_TOOLS)/mime-fuzzer $(MIME_TOOLS)/fuzz-corpus fixtures/mime \
                -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
                -artifact_prefix=$(MIME_TOOLS)/fuzz-artifacts/ -print_final_stats=1

$(MIME_TOOLS)/mime-fuzzer: $(MIME_SOURCES) Tests/Fuzz/MIMEFuzzer.swift
	@mkdir -p $(MIME_TOOLS)
	swiftc -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld $(SWIFT_MODE) \
		$(MIME_SOURCES) Tests/Fuzz/MIMEFuzzer.swift -o $@

# Fuzz the MIME parser seeded with fixtures/mime; runs until stopped (FUZZ_SECONDS=N limits it).
# Exits non-zero on any crash, sanitizer report, timeout or OOM; the input lands in fuzz-artifacts/.
fuzz-mime: $(MIME_TOOLS)/mime-fuzzer
	@mkdir -p $(MIME_TOOLS)/fuzz-corpus $(MIME_TOOLS)/fuzz-artifacts
	$(MIME_FUZZ) -max_total_time=$(FUZZ_SECONDS)

# The 60-second fuzz run that `make test` includes.
test-fuzz-mime: $(MIME_TOOLS)/mime-fuzzer
	@mkdir -p $(MIME_TOOLS)/fuzz-corpus $(MIME_TOOLS)/fuzz-artifacts
	$(MIME_FUZZ) -max_total_time=60

$(MIME_TOOLS)/bench-mime: $(MIME_SOURCES) scripts/bench_mime.swift
	@mkdir -p $(MIME_TOOLS)
	swiftc -O -wmo -parse-as-library -module-name MIMEBench $(SWIFT_MODE) \
		$(MIME_SOURCES) scripts/bench_mime.swift -o $@

# Parse benchmark: Swift vs Python's email on fixtures/mime and on a 25 MB attachment.
bench-mime: $(MIME_TOOLS)/bench-mime
	mkdir -p out
	$(PYTHON) scripts/bench_mime.py --swift $(MIME_TOOLS)/bench-mime --json out/bench-mime.json

.PHONY: fuzz-mime test-fuzz-mime bench-mime
