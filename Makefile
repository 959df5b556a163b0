# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
HOST ?= 127.0.0.1
PORT ?= 8080
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps configure build run test bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

# Configure once; later runs reuse the build folder (and ccache, when present).
$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/aicc-chat --demo --set server.host=$(HOST) --set server.port=$(PORT)

test: test-deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@scripts/run-tests.sh $(BUILD_DIR)

bench: build
	@scripts/run-bench.sh $(BUILD_DIR)

fuzz: test-deps
	@scripts/run-fuzz.sh 300

clean:
	rm -rf $(BUILD_DIR) build-fuzz
