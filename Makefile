# Latchkey developer and CI entry points (GNU make).
#
#   make run        build and start the server against the dev PostgreSQL
#   make test       set everything up and run the whole test suite
#   make help       list the targets
#
# The dev PostgreSQL cluster (deploy/dev/postgres.sh) lives in .data/pg and is
# installed, created and started on demand; `make pg-stop` stops it.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# The repository root, wherever make is run from (make -C / make -f).
REPO := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

GO       ?= go
GOTEST_FLAGS ?= -race -count=1 -timeout 20m
PKGS     ?= ./...
BIN      := $(REPO)/bin/latchkey
DATA_DIR := $(REPO)/.data
PG       := $(REPO)/deploy/dev/postgres.sh

LATCHKEY_ENV ?= development
export LATCHKEY_ENV

# Shell snippet: make sure DATABASE_URL is set and exported, starting the dev
# cluster when it is not given in the environment.
ensure_database_url = if [ -z "$${DATABASE_URL:-}" ]; then DATABASE_URL="$$("$(PG)" start)"; fi; export DATABASE_URL;

# Shell snippet for tests and benchmarks: always the dev cluster, so a
# DATABASE_URL left in a developer's shell is never used by tests (set
# TEST_DATABASE_URL to test against another server). $(1) = 1 turns
# synchronous_commit off (LATCHKEY_PG_FAST) for speed.
test_database_url = if [ -n "$${TEST_DATABASE_URL:-}" ]; then DATABASE_URL="$$TEST_DATABASE_URL"; \
	else DATABASE_URL="$$(LATCHKEY_PG_FAST=$(1) "$(PG)" start)"; fi; export DATABASE_URL;

.PHONY: help build run test test-deps bench vet fmt-check check pg-start pg-stop pg-url clean

help: ## list the targets
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/latchkey
	cd "$(REPO)" && $(GO) build -o "$(BIN)" ./cmd/latchkey

run: build ## build, set up PostgreSQL (unless DATABASE_URL is set) and start the server
	@$(ensure_database_url) \
	export LATCHKEY_DATA_DIR="$(DATA_DIR)"; \
	cd "$(REPO)"; \
	echo "starting bin/latchkey serve (LATCHKEY_ENV=$$LATCHKEY_ENV)" >&2; \
	exec "$(BIN)" serve

# Everything the test suite needs besides Go and PostgreSQL; this is where
# browser and front-end set-up goes (e.g. installing chromium for end-to-end
# tests, `npm ci` in web/). Keep each step idempotent and quick when already
# done, since every `make test` runs it.
#
# openid-client for the OAuth interop test (internal/oauth/interop_test.go):
# `npm ci` runs only when package.json or package-lock.json is newer than the
# installed tree (npm records it in node_modules/.package-lock.json).
INTEROP := $(REPO)/internal/oauth/interop
INTEROP_STAMP := $(INTEROP)/node_modules/.package-lock.json
# oidc-provider, the upstream OpenID Provider of the social-connection tests
# (internal/social/upstreamtest), installed the same way (after the interop
# install, which brings npm when it is missing).
UPSTREAM := $(REPO)/internal/social/upstreamtest/provider
UPSTREAM_STAMP := $(UPSTREAM)/node_modules/.package-lock.json

# Debian's chromium for the browser tests (internal/e2e), which fail, never
# skip, without it: installed only when /usr/bin/chromium is absent.
test-deps: $(INTEROP_STAMP) $(UPSTREAM_STAMP)
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing chromium for the browser tests (internal/e2e)" >&2; \
		sudo=""; if [ "$$(id -u)" -ne 0 ]; then sudo=sudo; fi; \
		$$sudo apt-get update; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

$(INTEROP_STAMP): $(INTEROP)/package.json $(INTEROP)/package-lock.json
	@if ! command -v npm >/dev/null; then \
		echo "installing Node.js and npm for the openid-client interop test" >&2; \
		sudo=""; if [ "$$(id -u)" -ne 0 ]; then sudo=sudo; fi; \
		$$sudo apt-get update; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; \
	fi
	@echo "npm ci --prefix internal/oauth/interop" >&2
	@npm ci --prefix "$(INTEROP)" --no-audit --no-fund --loglevel=error >/dev/null
	@touch "$@"

$(UPSTREAM_STAMP): $(UPSTREAM)/package.json $(UPSTREAM)/package-lock.json | $(INTEROP_STAMP)
	@echo "npm ci --prefix internal/social/upstreamtest/provider" >&2
	@npm ci --prefix "$(UPSTREAM)" --no-audit --no-fund --loglevel=error >/dev/null
	@touch "$@"

test: test-deps ## set everything up and run all tests (race detector on)
	@$(call test_database_url,1) \
	cd "$(REPO)"; \
	echo "go test $(GOTEST_FLAGS) $(PKGS)" >&2; \
	$(GO) test $(GOTEST_FLAGS) $(PKGS)

bench: test-deps ## run the benchmarks (no tests) against the dev PostgreSQL
	@$(call test_database_url,0) \
	cd "$(REPO)"; \
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

vet: ## go vet
	cd "$(REPO)" && $(GO) vet $(PKGS)

fmt-check: ## fail if any Go file needs gofmt
	@cd "$(REPO)"; \
	files="$$(find . \( -path ./.git -o -path ./.data -o -path ./bin -o -path ./test-artifacts \
			-o -name node_modules -o -name testdata \) -prune \
		-o -name '*.go' -type f -print | sort | xargs -r gofmt -l)"; \
	if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi

check: fmt-check vet test ## fmt-check, vet and test

pg-start: ## start the dev PostgreSQL and print its URL
	@"$(PG)" start

pg-stop: ## stop the dev PostgreSQL (data kept in .data/)
	@"$(PG)" stop

pg-url: ## print the dev PostgreSQL URL
	@"$(PG)" url

clean: ## remove build output (keeps .data/, the dev database)
	rm -rf "$(REPO)/bin"
