# tlsrpt: build, test, benchmark and demo targets. Every target needs only Go;
# the IMAP integration tests also need Dovecot (Debian package dovecot-imapd),
# which .ci/run installs.

GO      ?= go
BIN     ?= bin
CMDS    := tlsrpt-fetch tlsrpt-extract tlsrpt-ingest tlsrpt-summary
FUZZTIME ?= 10s

.PHONY: all build test vet bench bench-extract bench-ingest bench-summary bench-fetch fuzz install demo clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...

# The CLI tests live beside each command (cmd/*/..._test.go) and run the
# real command on buffers and on built binaries, so "go test ./..." covers them.
test: vet
	$(GO) test -race -count=1 ./...

bench: bench-extract bench-ingest bench-summary bench-fetch

bench-extract:
	sh scripts/bench-extract.sh

bench-ingest:
	sh scripts/bench-ingest.sh

bench-summary:
	sh scripts/bench-summary.sh

# Fetches a 50,000-message mailbox from a Dovecot started on loopback; needs
# the Debian package dovecot-imapd (skipped without it).
bench-fetch:
	$(GO) test -run '^$$' -bench FetchDovecot -benchtime 3x -benchmem ./cmd/tlsrpt-fetch

# A short run of every fuzz target; FUZZTIME sets the time for each.
fuzz:
	sh scripts/fuzz.sh $(FUZZTIME)

install:
	$(GO) install ./cmd/...

# The demo serves testdata/corpus from an in-memory IMAP server on 127.0.0.1
# and runs the whole pipeline on it; it needs nothing but Go.
demo: build
	$(GO) run ./internal/demo -bin $(BIN)

clean:
	rm -rf $(BIN)
