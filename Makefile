# Lore's developer entry points. `make test` is what CI runs.

GO ?= go
PKGS := ./...
export LORE_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lore_test?sslmode=disable

.PHONY: test postgres chromium vet fmt-check unit demo build eval bench

## test: everything CI checks: PostgreSQL with pgvector and Chromium ready, vet, gofmt, race-enabled tests.
test: postgres chromium vet fmt-check unit

## postgres: build and install pgvector if missing, start PostgreSQL, create the test database.
postgres:
	bash deploy/postgres/setup-pgvector.sh

## chromium: install Debian's Chromium for the dashboard's browser test, if missing.
chromium:
	bash deploy/chromium/ensure-chromium.sh

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -timeout 20m $(PKGS)

build:
	$(GO) build -o bin/lore ./cmd/lore

## demo: chat with Lore about the bundled sample handbook.
demo:
	$(GO) run ./cmd/lore chat

SHARED ?= ../shared/testdata/retrieval

## eval: retrieval quality on SciFact and OR-ShARC (docs/benchmarks.md).
eval: build
	bin/lore eval --corpus $(SHARED)/scifact/corpus.jsonl --queries $(SHARED)/scifact/queries-test.jsonl --qrels $(SHARED)/scifact/qrels-test.tsv
	bin/lore eval --corpus $(SHARED)/or-sharc-dev/corpus.jsonl --queries $(SHARED)/or-sharc-dev/queries.jsonl --qrels $(SHARED)/or-sharc-dev/qrels.tsv

## bench: ingest and search speed at 100,000 chunks (docs/benchmarks.md).
bench: build
	bin/lore bench --chunks 100000
