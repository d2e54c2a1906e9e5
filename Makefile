# vbridge: build, test, package.  `make run` and `make test` are the two entry points (README.md);
# each installs what it needs (npm packages; Debian cross tools with apt-get) on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := run
.SUFFIXES:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

BUN := node_modules/.bin/bun
TSC := node_modules/.bin/tsc
VECTORS := ../shared/vectors/verushash.json
# Written after a successful `npm ci`; newer package files make it stale.
DEPS_STAMP := node_modules/.vbridge-deps

# ---------------------------------------------------------------------------------------- native
# Targets are named like Bun's (linux-x64, linux-arm64). Every .c compiles for both: the ISA files
# are wrapped in #if and compile to nothing on the other architecture.
LIB_SRC := verushash dispatch portable x86_aesni x86_aesni_avx2 arm_crypto blake2b
# Header (and #include "x86_aesni.c") dependencies come from -MMD; the explicit list covers the
# first build, before any .d file exists.
NATIVE_DEPS := $(wildcard native/*.h native/*.inc)
DEPFLAGS := -MMD -MP

HOST_TARGET := $(if $(filter aarch64 arm64,$(shell uname -m)),linux-arm64,linux-x64)
CC_linux-x64 := $(if $(filter linux-x64,$(HOST_TARGET)),gcc,x86_64-linux-gnu-gcc)
CC_linux-arm64 := $(if $(filter linux-arm64,$(HOST_TARGET)),gcc,aarch64-linux-gnu-gcc)
CC_HOST := $(CC_$(HOST_TARGET))

# ISA flags go on their own file only (STYLE.md §5): a global -maes would let the compiler put AES
# instructions into the portable path. Never -march=native.
ISA_linux-x64_x86_aesni := -maes -mpclmul -mssse3 -msse4.1
# x86_aesni_avx2.c is x86_aesni.c again with VEX encodings; dispatch.c runs it only on AVX2 CPUs.
ISA_linux-x64_x86_aesni_avx2 := $(ISA_linux-x64_x86_aesni) -mavx2 -mbmi2
ISA_linux-arm64_arm_crypto := -march=armv8-a+crypto

WARN := -std=c11 -Wall -Wextra
LIB_CFLAGS := $(WARN) -O3 -fPIC -fvisibility=hidden
SAN_CFLAGS := $(WARN) -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

# An arm64 binary runs here under qemu-user; `-cpu max` emulates AES and PMULL (the armv8 path).
RUN_linux-arm64 := $(if $(filter linux-arm64,$(HOST_TARGET)),,qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu)

# $(1) = target: its objects, shared library and (statically linked) C test driver.
define native_target
build/obj/$(1)/%.o: native/%.c $(NATIVE_DEPS)
	@mkdir -p $$(@D)
	$$(CC_$(1)) $$(LIB_CFLAGS) $$(ISA_$(1)_$$*) $$(DEPFLAGS) -c $$< -o $$@

build/$(1)/libverushash.so: $(LIB_SRC:%=build/obj/$(1)/%.o)
	@mkdir -p $$(@D)
	$$(CC_$(1)) -shared -Wl,--no-undefined -Wl,-z,noexecstack -o $$@ $$^

build/$(1)/test_vectors: $(LIB_SRC:%=build/obj/$(1)/%.o) build/obj/$(1)/test_vectors.o
	@mkdir -p $$(@D)
	$$(CC_$(1)) -static -o $$@ $$^
endef
$(foreach t,linux-x64 linux-arm64,$(eval $(call native_target,$(t))))
-include $(wildcard build/obj/*/*.d)

# The library the TypeScript side loads in development and embeds on `make dist` for the host.
build/native/libverushash.so: build/$(HOST_TARGET)/libverushash.so
	@mkdir -p $(@D)
	cp $< $@

# Host test driver under ASan/UBSan: its own objects, same per-file ISA flags.
build/obj/san/%.o: native/%.c $(NATIVE_DEPS)
	@mkdir -p $(@D)
	$(CC_HOST) $(SAN_CFLAGS) $(ISA_$(HOST_TARGET)_$*) $(DEPFLAGS) -c $< -o $@

build/san/test_vectors: $(LIB_SRC:%=build/obj/san/%.o) build/obj/san/test_vectors.o
	@mkdir -p $(@D)
	$(CC_HOST) $(SAN_CFLAGS) -o $@ $^

# ------------------------------------------------------------------------------------------ wasm
# The browser miner's VerusHash: the same C compiled to WebAssembly by Debian's clang + lld (no
# Emscripten, no libc at run time: wasm_libc.c has the four functions the library calls, and
# native/wasm/string.h declares them). Two modules, embedded in the binary and served beside the
# page, which loads the SIMD one when the engine validates a SIMD instruction:
#   build/wasm/verushash.wasm        portable only: any WebAssembly engine
#   build/wasm/verushash-simd.wasm   portable + wasm-simd (native/wasm_simd.c), "auto" = wasm-simd
# Only wasm_simd.c gets -msimd128 (STYLE.md §5); dispatch.c learns of it through -DVH_WASM_SIMD.
# wasm32 has no 128-bit multiply without compiler-rt, hence portable.c's 32-bit clmul.
WASM_CC := clang
WASM_SRC := verushash dispatch portable blake2b wasm_libc
WASM_CFLAGS := --target=wasm32 $(WARN) -O3 -fvisibility=hidden -isystem native/wasm -DVH_PORTABLE_NO_INT128
WASM_LDFLAGS := --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export-dynamic -Wl,--export=__heap_base \
	-Wl,-z,stack-size=65536 -Wl,--strip-all
WASM_FLAGS_wasm_simd := -msimd128
WASM_FLAGS_wasm_libc := -fno-builtin # its byte loops must not become calls to themselves
WASM_VARIANT_wasm :=
WASM_VARIANT_wasm-simd := -DVH_WASM_SIMD

# $(1) = build (wasm, wasm-simd): objects with that build's defines.
define wasm_objects
build/obj/$(1)/%.o: native/%.c $(NATIVE_DEPS)
	@mkdir -p $$(@D)
	$$(WASM_CC) $$(WASM_CFLAGS) $$(WASM_VARIANT_$(1)) $$(WASM_FLAGS_$$*) $$(DEPFLAGS) -c $$< -o $$@
endef
$(foreach b,wasm wasm-simd,$(eval $(call wasm_objects,$(b))))

build/wasm/verushash.wasm: $(WASM_SRC:%=build/obj/wasm/%.o)
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_LDFLAGS) -o $@ $^

build/wasm/verushash-simd.wasm: $(WASM_SRC:%=build/obj/wasm-simd/%.o) build/obj/wasm-simd/wasm_simd.o
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_LDFLAGS) -o $@ $^

# Technique variants of the SIMD build, for bench/wasm.ts only (never embedded or served): the
# vector-permute AES, the table AES on vectors at every round, and portable.c's scalar clmul.
WASM_BENCH_VARIANTS := vperm-aes vector-table-aes scalar-clmul
WASM_BENCH_DEFS_vperm-aes := -DVH_WASM_AES=1
WASM_BENCH_DEFS_vector-table-aes := -DVH_WASM_AES_COLUMNS=0
WASM_BENCH_DEFS_scalar-clmul := -DVH_WASM_CLMUL=0
build/obj/wasm-bench/%/wasm_simd.o: native/wasm_simd.c $(NATIVE_DEPS)
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_CFLAGS) -DVH_WASM_SIMD -msimd128 $(WASM_BENCH_DEFS_$*) -c $< -o $@

.SECONDARY: $(WASM_BENCH_VARIANTS:%=build/obj/wasm-bench/%/wasm_simd.o)
build/wasm/bench/verushash-simd-%.wasm: $(WASM_SRC:%=build/obj/wasm-simd/%.o) build/obj/wasm-bench/%/wasm_simd.o
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_LDFLAGS) -o $@ $^

# The C benchmark links the objects of the host library bun:ffi loads, statically, so that it can
# also reach the hidden dispatch hooks (--x86 picks an older x86 build for an A/B in one run).
build/native/bench: native/bench.c native/verushash.h $(LIB_SRC:%=build/obj/$(HOST_TARGET)/%.o)
	$(CC_HOST) $(WARN) -O3 -o $@ $< $(LIB_SRC:%=build/obj/$(HOST_TARGET)/%.o)

# ------------------------------------------------------------------------------------------ deps
.PHONY: deps deps-apt
deps: $(DEPS_STAMP) deps-apt

$(DEPS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Cross compiler, arm64 libc (static, for the C test driver) and qemu-user; only what is missing.
deps-apt:
	@scripts/apt-deps.sh

# ----------------------------------------------------------------------------------------- build
.PHONY: native native-all wasm web dist
native: build/native/libverushash.so
wasm: build/wasm/verushash.wasm build/wasm/verushash-simd.wasm
web: build/web/app.js

# The browser miner's page script and worker, bundled for the browser (scripts/build-web.ts).
# The bundles import from these three folders (directly or through each other).
WEB_SOURCES := $(wildcard web/*.ts src/hash/*.ts src/protocol/*.ts src/util/*.ts) scripts/build-web.ts
build/web/app.js build/web/miner-worker.js build/web/dashboard.js &: $(WEB_SOURCES) $(DEPS_STAMP)
	$(BUN) scripts/build-web.ts
native-all: build/native/libverushash.so build/linux-x64/libverushash.so build/linux-arm64/libverushash.so

TS_SOURCES := $(shell find src -name '*.ts' -o -name '*.json') package.json bunfig.toml scripts/build.ts web/index.html web/dashboard.html

dist: dist/vbridge-linux-x64 dist/vbridge-linux-arm64

# Each binary embeds its own target's library (scripts/build.ts maps the import), and both embed
# the browser miner (page, bundles, .wasm).
dist/vbridge-%: build/%/libverushash.so $(TS_SOURCES) $(DEPS_STAMP) build/web/app.js build/wasm/verushash.wasm build/wasm/verushash-simd.wasm
	$(BUN) scripts/build.ts $*

# ------------------------------------------------------------------------------------------ test
.PHONY: test check typecheck fmt fmt-check test-c test-c-host test-c-lanes test-c-x64-old-cpus test-c-arm64 test-bun test-browser
# All suites, continuing past failures; the last line is "N passed, M failed".
test:
	@scripts/test-all.sh

# Day-to-day: type check, format check, the C vectors on this CPU (sanitizers), every bun test.
# About four and a half minutes here (real PostgreSQL and Redis included); `make test` adds the 2^20-nonce lane check, the emulated CPUs, arm64, the binaries and Chromium.
check: typecheck fmt-check test-c-host test-bun

# `bun fmt` with bunfig.toml's [fmt] (Prettier's rules, 110 columns) on the TypeScript (the page,
# web/index.html, keeps its hand layout). fmt-check fails on any file
# that is not formatted; `make fmt` formats them.
FMT_PATHS := src test bench scripts $(wildcard web/*.ts)
fmt: $(DEPS_STAMP)
	$(BUN) fmt $(FMT_PATHS)

fmt-check: $(DEPS_STAMP)
	$(BUN) fmt --check $(FMT_PATHS)

typecheck: $(DEPS_STAMP)
	$(TSC) --noEmit -p .
	$(TSC) --noEmit -p web

test-c: test-c-host test-c-lanes test-c-x64-old-cpus test-c-arm64

# The x86 build of aesni this CPU should get, by the kernel's reading of CPUID (/proc/cpuinfo).
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
cpu_has = $(filter $(1),$(CPU_FLAGS))
HOST_X86_BUILD := $(if $(and $(call cpu_has,aes),$(call cpu_has,pclmulqdq)),$(if \
	$(call cpu_has,avx2),avx2,sse),none)

# Every vector through every implementation and x86 build under ASan/UBSan, every lane count
# against one lane (20,000 random nonces each).
test-c-host: build/san/test_vectors
	build/san/test_vectors $(VECTORS) $(if $(filter linux-x64,$(HOST_TARGET)),--expect-x86 $(HOST_X86_BUILD))

# The same on the optimised build with 2^20 random nonces per lane count (about a minute).
test-c-lanes: build/$(HOST_TARGET)/test_vectors
	build/$(HOST_TARGET)/test_vectors $(VECTORS) --lane-nonces 1048576

# Emulated x86 CPUs prove the dispatch: without AES-NI "auto" is portable and nothing executes an
# AES instruction (no SIGILL); with AES-NI but no AVX (Westmere) the SSE build of aesni runs.
# Haswell has AVX2 but no AVX-512: the AVX2 build runs. (QEMU's TCG warns on stderr about the
# model's features it does not emulate, such as TSX.)
test-c-x64-old-cpus: build/linux-x64/test_vectors
	qemu-x86_64 -cpu qemu64 build/linux-x64/test_vectors $(VECTORS) --expect-best portable --expect-x86 none
	qemu-x86_64 -cpu Westmere build/linux-x64/test_vectors $(VECTORS) --expect-best aesni --expect-x86 sse
	qemu-x86_64 -cpu Haswell build/linux-x64/test_vectors $(VECTORS) --expect-best aesni --expect-x86 avx2

test-c-arm64: build/linux-arm64/test_vectors
	$(RUN_linux-arm64) build/linux-arm64/test_vectors $(VECTORS) --impl armv8 --impl portable

test-bun: build/native/libverushash.so build/web/app.js build/wasm/verushash.wasm build/wasm/verushash-simd.wasm $(DEPS_STAMP) deps-apt
	$(BUN) test

# Headless Chromium (Debian's, via playwright-core): the wasm vectors in the browser's engine, and
# the miner page end to end against `vbridge bridge` on the built-in pool — from source, or the
# binary named by VBRIDGE_BIN. Not part of `bun test` (it needs chromium and takes a while).
BROWSER_TESTS := test/browser/wasm-vectors.chromium.ts test/browser/miner.chromium.ts \
  test/browser/https.chromium.ts test/browser/dashboard.chromium.ts
test-browser: build/native/libverushash.so build/web/app.js build/wasm/verushash.wasm build/wasm/verushash-simd.wasm $(DEPS_STAMP) deps-apt
	$(BUN) test $(BROWSER_TESTS:%=./%)

# ------------------------------------------------------------------------------------ run, bench
.PHONY: run bench clean
# The bridge on the built-in pool in the same process (config.toml as shipped): offline, no wallet.
run: $(DEPS_STAMP) build/native/libverushash.so build/web/app.js build/wasm/verushash.wasm build/wasm/verushash-simd.wasm
	$(BUN) src/main.ts bridge

# The scan loop driven from C beside the same loop through bun:ffi, in one run; then the Stratum
# layer's costs (notify decode, submit decode + share validation).
bench: $(DEPS_STAMP) build/native/bench
	$(BUN) bench/run.ts
	@echo
	$(BUN) bench/protocol.ts

# VerusHash in WebAssembly, per technique and lane count: Bun's engine and one Web Worker in
# headless Chromium (bench/wasm.ts; BENCH_SECONDS per lane count, default 3).
.PHONY: bench-wasm
bench-wasm: $(DEPS_STAMP) deps-apt build/wasm/verushash.wasm build/wasm/verushash-simd.wasm \
		$(WASM_BENCH_VARIANTS:%=build/wasm/bench/verushash-simd-%.wasm)
	$(BUN) bench/wasm.ts $(if $(BENCH_SECONDS),--seconds $(BENCH_SECONDS))

# `vbridge mine --threads 2` against the built-in pool beside `vbridge bench --threads 2`, in one run
# (bench/miner.ts; BENCH_SECONDS=10 for a short run).
.PHONY: bench-miner
bench-miner: $(DEPS_STAMP) build/native/libverushash.so
	$(BUN) bench/miner.ts $(if $(BENCH_SECONDS),--seconds $(BENCH_SECONDS))

clean:
	rm -rf build dist test-artifacts
# bench/ws-load.ts: 10,000 WebSocket sessions from a separate generator process (soft fd limit raised to the hard one).
.PHONY: bench-bridge
bench-bridge: $(DEPS_STAMP) build/native/libverushash.so ; ulimit -n $$(ulimit -Hn) 2>/dev/null; $(BUN) bench/ws-load.ts
# bench/outage.ts: issue 10's numbers on fault pools (pool down 25 s → fresh work; primary killed every minute for 5 minutes → stale %, time to the backup). BENCH_SECONDS=N for a short run.
.PHONY: bench-outage
bench-outage: $(DEPS_STAMP) build/native/libverushash.so ; $(BUN) bench/outage.ts $(if $(BENCH_SECONDS),--seconds $(BENCH_SECONDS))
# bench/wss.ts: issue 11's numbers: ws/wss conn/s on one core and RSS per idle session, beside the Bun.serve baseline (1d68933, a temporary git worktree).
.PHONY: bench-wss
bench-wss: $(DEPS_STAMP) build/native/libverushash.so ; $(BUN) bench/wss.ts
# bench/ledger.ts: issue 12's ledger numbers: credited shares/s with full durability, SQLite and a real PostgreSQL (deps-apt installs it), p50/p99 acknowledgement latency.
.PHONY: bench-ledger
bench-ledger: $(DEPS_STAMP) deps-apt ; $(BUN) bench/ledger.ts
# bench/fanout.ts: issue 12's fan-out: 10,000 WebSocket sessions, pool notify → last receipt, `vbridge bridge` with workers = 1 and 2 (a subprocess on an in-process pool) beside the bare Bun floor (1 and 2 processes), and RSS per idle session. BENCH_SESSIONS=N for a short run.
.PHONY: bench-fanout
bench-fanout: $(DEPS_STAMP) build/native/libverushash.so ; ulimit -n $$(ulimit -Hn) 2>/dev/null; $(BUN) bench/fanout.ts $(if $(BENCH_SESSIONS),--sessions $(BENCH_SESSIONS))
# bench/solo.ts: issue 13's numbers on the verusd simulator: tip change → clean job at a miner, block found → submit sent (p50/p99).
.PHONY: bench-solo
bench-solo: $(DEPS_STAMP) build/native/libverushash.so ; $(BUN) bench/solo.ts
