# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
HOST ?= 127.0.0.1
PORT ?= 8080
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps bench-deps cluster-deps configure build run test package bench bench-full fuzz lint format clean cluster cluster-down

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

bench-deps:
	@scripts/install-deps.sh --bench

cluster-deps:
	@scripts/install-deps.sh --cluster

# Configure once; later runs reuse the build folder (and ccache, when present).
$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the server and the pages, so a first start does not wait for the tests and benchmarks.
run: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target aicc-chat web
	$(BUILD_DIR)/aicc-chat --demo --set server.host=$(HOST) --set server.port=$(PORT)

# Builds what the suites need and runs them all (scripts/run-tests.sh).
test: test-deps configure
	@scripts/run-tests.sh $(BUILD_DIR)

# The Debian package $(BUILD_DIR)/aicc-chat_<version>_<arch>.deb: the server and the pages of the
# Release build, the systemd unit, the configuration and the maintainer scripts of packaging/debian/
# (README, "Deploying").
package: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target aicc-chat web
	@packaging/debian/build-deb.sh $(BUILD_DIR)

# Three nodes behind HAProxy on http://localhost:8080, with a private PostgreSQL and Redis, in demo
# mode (see README, "Several nodes"); pids and logs in $(BUILD_DIR)/cluster/.
cluster: cluster-deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@scripts/cluster.sh up $(BUILD_DIR)

cluster-down:
	@scripts/cluster.sh down $(BUILD_DIR)

# The micro-benchmarks and a short side-by-side run against RabbitMQ and ActiveMQ (a few minutes,
# report in build/bench-results); `make bench-full` is the long run docs/BENCHMARKS.md holds.
bench: bench-deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@scripts/run-bench.sh $(BUILD_DIR) --short

bench-full: bench-deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@scripts/run-bench.sh $(BUILD_DIR) --full

# Every fuzzer for 10 minutes in the fuzzing tree (build-fuzz/: coverage-guided), then each one's
# execs/s and findings.
fuzz: test-deps
	@scripts/run-fuzz.sh 600

# clang-tidy with the checks of .clang-tidy over src/ and fuzz/ (a few minutes).
lint: test-deps
	@scripts/lint.sh

# Formats every C++ file in place (make test checks it).
format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-sanitize build-fuzz
