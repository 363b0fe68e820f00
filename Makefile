# The two commands a new user needs: `make run` and `make test`. Only Go is required.
GO ?= go
ADDR ?= 127.0.0.1:8080

.PHONY: run test build fmt vet check-upstream bench

## run: serve the mock at http://$(ADDR) with the default organization
run:
	$(GO) run ./cmd/mixpeek-mock -addr $(ADDR)

## test: gofmt check, go vet, and every test under the race detector
test:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## build: the binaries into ./bin
build:
	$(GO) build -o bin/ ./cmd/...

## check-upstream: compare openapi.yaml with the upstream document (needs ../shared/reference)
check-upstream:
	$(GO) test -tags upstream -run Upstream -count=1 .

## bench: benchmarks of the request path
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./mockserver/
