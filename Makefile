# xietong build and development targets. `make dev` runs the local cloud,
# `make test` runs vet and every test; see README.md.
GO        ?= go
FUNCTIONS := dingtalk-callback projects tasks contracts ledger reports notify

.PHONY: dev test bench build package tables deploy lint

dev:
	$(GO) run ./localdev up

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

bench:
	@mkdir -p build
	$(GO) test -p 1 -run '^$$' -bench . -benchtime 1x -count 1 ./... 2>&1 | tee build/bench.txt

build:
	@mkdir -p build
	@for f in $(FUNCTIONS); do \
		echo "build $$f"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='-s -w' \
			-o build/$$f/main ./functions/$$f || exit 1; \
	done

package: build
	$(GO) run ./localdev package build dist

tables:
	$(GO) run ./infra/tables apply

deploy: package
	s deploy -y

lint:
	$(GO) vet ./...
	gofmt -l . | (! grep .)
