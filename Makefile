# The two commands a new user needs: `make run` and `make test`. Only Go is required.
GO ?= go
ADDR ?= 127.0.0.1:8080
# UPSTREAM is the path of an upstream OpenAPI document for check-upstream.
UPSTREAM ?=
# FUZZTIME is how long make fuzz runs each target. FUZZMINIMIZETIME bounds the minimizing of
# each new or failing input, here to 1000 calls (go test's default, a minute, stalls a short
# run: minimizing a 300-byte input takes some 45,000 calls).
FUZZTIME ?= 30s
FUZZMINIMIZETIME ?= 1000x
# Every fuzz target of the module, as package:target (a test in mockserver holds this list to
# the Fuzz functions of every _test.go file).
FUZZ_TARGETS = ./mockserver:FuzzBody ./mockserver:FuzzPathParams ./mockserver:FuzzQuery \
	./mockserver:FuzzAuthorization ./mockserver:FuzzFixtures ./mockserver:FuzzControl \
	./internal/proxy:FuzzUpstream ./internal/replay:FuzzParseRecording ./internal/specdiff:FuzzSpecDiffReader

# The release targets of make dist, and the version stamped into them: the VCS tag (or the
# commit, with -dirty for local changes) when this is a git checkout, else the build info's.
PLATFORMS = linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS = -s -w$(if $(VERSION), -X github.com/mixpeekkit/mixpeekkit/internal/cli.Stamped=$(VERSION))

.PHONY: run test test-all build dist check-upstream bench fuzz load

## run: serve the mock at http://$(ADDR) with the default organization
run:
	$(GO) run ./cmd/mixpeek-mock -addr $(ADDR)

## test: gofmt check, go vet, and every package's tests under the race detector, in their short form (-short)
test:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -short -count=1 ./...

## test-all: every test in its long form too, under the race detector: the explorations of thousands of steps and every mutant against the whole suite
test-all:
	$(GO) test -race -count=1 ./...

## build: the binaries into ./bin
build:
	$(GO) build -o bin/ ./cmd/...

## dist: both commands, static (CGO_ENABLED=0), for linux, darwin and windows on amd64 and arm64, into dist/ with SHA256SUMS; -version prints $(VERSION)
dist:
	rm -rf dist && mkdir -p dist
	@for p in $(PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		for cmd in mixpeek-mock mixpeek-conformance; do \
			echo "GOOS=$$os GOARCH=$$arch $(GO) build -o dist/$${cmd}_$${os}_$${arch}$$ext ./cmd/$$cmd"; \
			CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/$${cmd}_$${os}_$${arch}$$ext ./cmd/$$cmd || exit 1; \
		done; \
	done
	cd dist && if command -v sha256sum >/dev/null; then sha256sum mixpeek-* > SHA256SUMS; else shasum -a 256 mixpeek-* > SHA256SUMS; fi
	@echo "dist/: $$(ls dist | wc -l) files; dist/SHA256SUMS"

## check-upstream: compare openapi.yaml with an upstream OpenAPI document (spec-diff, against cmd/mixpeek-conformance/upstream-divergences.yaml), and check the mock's answers against it (UPSTREAM=path)
check-upstream:
	@if [ -z "$(UPSTREAM)" ]; then \
		echo "check-upstream: no upstream document given, nothing compared (make check-upstream UPSTREAM=path/to/openapi.json)"; \
	else \
		echo "$(GO) run ./cmd/mixpeek-conformance spec-diff -upstream $(UPSTREAM)"; \
		$(GO) run ./cmd/mixpeek-conformance spec-diff -upstream "$(UPSTREAM)" || exit $$?; \
		echo "MIXPEEK_UPSTREAM_SPEC=$(abspath $(UPSTREAM)) $(GO) test -tags upstream -run Upstream -count=1 ."; \
		MIXPEEK_UPSTREAM_SPEC="$(abspath $(UPSTREAM))" $(GO) test -tags upstream -run Upstream -count=1 .; \
	fi

## bench: benchmarks of the request path
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./mockserver/... ./fixtures/ ./internal/keyring/

## fuzz: each fuzz target in turn, FUZZTIME each (30s by default: make fuzz FUZZTIME=5m); a failing input is written to the package's testdata/fuzz/
fuzz:
	@status=0; for entry in $(FUZZ_TARGETS); do pkg=$${entry%%:*}; target=$${entry##*:}; \
		echo "$(GO) test -run '^$$' -fuzz '^$$target\$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg/"; \
		$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg/ || status=1; \
	done; exit $$status

## load: the load harness: the mock binary, a bare net/http ceiling and Prism (installed with npm into .load/ when npm is there), on loopback; results in .load/results.json
load:
	$(GO) run ./internal/load
