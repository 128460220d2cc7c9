# Willay. `make run` and `make test` are all a fresh machine needs.
GO ?= go
PKGS := ./...

.PHONY: run test check bench bench-go bench-load bench-import bench-sms bench-broadcast fuzz build

## run: start the service on :8080 with an in-process Redis and demo data
run:
	$(GO) run ./cmd/willay serve

## test: every test (against REDIS_URL when set, else an in-process Redis),
## with the tests' clock inside quiet hours (03:20), then outside (11:00).
## The second pass is -short: what it skips runs the real binary on real
## time, which no test clock reaches, and has just run in the first.
test:
	WILLAY_TEST_CLOCK=03:20 $(GO) test -count=1 $(PKGS)
	WILLAY_TEST_CLOCK=11:00 $(GO) test -count=1 -short $(PKGS)

## check: formatting, vet, and the shipped flows
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) run ./cmd/willay flows check

## build: the binary in bin/
build:
	$(GO) build -o bin/willay ./cmd/willay

## fuzz: a short run of every fuzz target
fuzz:
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=30s ./internal/ussd/africastalking
	$(GO) test -run=NONE -fuzz=FuzzHandle -fuzztime=30s ./internal/engine
	$(GO) test -run=NONE -fuzz=FuzzImport -fuzztime=30s ./internal/importer
	$(GO) test -run=NONE -fuzz=FuzzMatch -fuzztime=30s ./internal/keyword

## bench: Go benchmarks, the USSD, import, SMS and broadcast load commands
bench: bench-go bench-load bench-import bench-sms bench-broadcast

bench-go:
	$(GO) test -run=NONE -bench=. -benchmem ./internal/engine ./internal/gsm

bench-load:
	$(GO) run ./cmd/willay load ussd

bench-import:
	$(GO) run ./cmd/willay load import --participants 1000000

bench-sms:
	$(GO) run ./cmd/willay load sms --messages 20000
	$(GO) run ./cmd/willay load sms --rate 100 --duration 60s

bench-broadcast:
	$(GO) run ./cmd/willay load broadcast --recipients 10000
