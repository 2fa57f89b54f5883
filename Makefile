# h5kit — top-level driver around CMake.
#   make            build into build/ (CLI: build/h5kit)
#   make test       install deps, build, run every test (ends with ctest's summary)
#   make sanitize   build into build-asan/ with ASan+UBSan and run the tests there
#   make demo       install deps, build, list the sample file
#   make fuzz       build libFuzzer targets into build-fuzz/ (clang)
#   make install PREFIX=/usr/local
PREFIX ?= /usr/local
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE  ?= cmake

.PHONY: all build deps test sanitize demo fuzz install clean

all: build

build:
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@$(CMAKE) --build build -j $(JOBS)

deps:
	@bash scripts/deps.sh

test: deps build
	cd build && ctest --output-on-failure -j $(JOBS)

sanitize: deps
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DH5KIT_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

demo: deps build
	@bash scripts/demo.sh

fuzz: deps
	@CC=clang $(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DH5KIT_FUZZ=ON >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)

install: build
	@$(CMAKE) --install build --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-fuzz
