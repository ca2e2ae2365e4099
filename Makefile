# Bulwark — build, test, demo. See README.md.
GO      ?= go
BIN     := bin/bulwark
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/bulwark-security/bulwark/internal/cli.Version=$(VERSION)
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: build test unit demo bench clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/bulwark

## test: vet, unit, the demo, integration (installs and starts what it needs; root on Debian 12)
test:
	scripts/test.sh

## unit: the fast tier only (no daemons, no network)
unit:
	$(GO) vet ./... && $(GO) test ./...

## demo: offline end to end — build, build a DB from the bundled feed slices, build a small real image, scan it
demo: build
	scripts/demo.sh

bench:
	scripts/bench-scan.sh

clean:
	rm -rf bin
