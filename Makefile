# Build, test and run billing-exporter. `make test` is the README's test command.
GO        ?= go
BINARY    ?= billing-exporter
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH    ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
VERSION_PKG := github.com/prometheus/common/version
# The same flags build the container image (Dockerfile calls `make build`).
LDFLAGS   := -s -w \
	-X $(VERSION_PKG).Version=$(VERSION) \
	-X $(VERSION_PKG).Revision=$(REVISION) \
	-X $(VERSION_PKG).Branch=$(BRANCH) \
	-X $(VERSION_PKG).BuildUser=$(shell id -un 2>/dev/null)@$(shell hostname 2>/dev/null) \
	-X $(VERSION_PKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)

.PHONY: all build test lint fmt demo e2e screenshots bench

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/billing-exporter

# -parallel 8: most parallel tests wait on a vendor's timeout or
# Retry-After, not on the CPU, so more of them than cores run at once.
test:
	$(GO) vet ./...
	$(GO) test -race -parallel 8 ./...
	cd charts && $(GO) vet ./... && $(GO) test ./...

# golangci-lint is the version go.mod's tool directive pins, set up by
# .golangci.yml. charts/ is a module of its own without the tool: `go tool -n`
# builds the root module's linter and prints its path, which runs there too.
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) tool golangci-lint run ./...
	linter=$$($(GO) tool -n golangci-lint) && cd charts && $(GO) vet ./... && "$$linter" run ./...
	$(GO) run github.com/google/go-jsonnet/cmd/jsonnetfmt --test $$(git ls-files '*.libsonnet' '*.jsonnet')

fmt:
	gofmt -w $$(git ls-files '*.go')
	$(GO) run github.com/google/go-jsonnet/cmd/jsonnetfmt -i $$(git ls-files '*.libsonnet' '*.jsonnet')

demo:
	$(GO) run ./cmd/billing-exporter --demo

e2e:
	bash scripts/e2e.sh

screenshots:
	bash scripts/e2e.sh --screenshots

# Benchmark harness (bench/, build tag "bench", not run in CI):
# writes bench/RESULTS.md. Takes ~15 minutes on 2 cores; see bench/README.md.
bench:
	$(GO) test -tags bench -count=1 -v -timeout 60m -run '^TestReport$$' -bench '^BenchmarkWarmScrape$$' -benchmem ./bench/ $(if $(BENCH_ARGS),-args $(BENCH_ARGS))
