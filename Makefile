# The two commands of the README: `make up` and `make test`. `make setup` is the shared,
# idempotent installation step both start with.
DATA ?= $(CURDIR)/.kiln
LISTEN ?= 127.0.0.1:7070

.PHONY: setup up test bench lint format build screenshots
setup:
	bash scripts/setup.sh

build:
	npm run build

up: setup
	./bin/kiln serve --data "$(DATA)" --listen "$(LISTEN)"

test: setup
	bash scripts/extra-deps.sh test
	bash scripts/test.sh

bench: setup
	bash scripts/extra-deps.sh bench
	node dist/bench/run.js $(BENCH)

# Regenerates docs/screenshots (the web UI on realistic data, photographed by headless Chromium).
screenshots: setup
	bash scripts/extra-deps.sh test
	bash scripts/screenshots.sh

lint:
	npm run lint

format:
	npm run format
