/**
 * WasmHasher: a typed facade over one instance of the WebAssembly build of libverushash
 * (build/wasm/verushash.wasm, and verushash-simd.wasm with the wasm-simd implementation). The same
 * code runs in the browser miner's Web Workers, in Bun's tests and in bench/wasm.ts: it takes a
 * compiled WebAssembly.Module and does no I/O, so fetching or reading the bytes is the caller's.
 *
 * The module has no imports and no libc. Its linear memory is the instance's own: the context and
 * the argument buffers live at __heap_base (the first byte after the C data and stack), and the
 * input buffer at the end grows the memory when a longer input arrives. The context's size is the
 * module's (vh_ctx_bytes(): about 45 KB, a key copy per scan lane), never assumed here. One
 * instance per thread.
 */
import { HASH_BYTES, HASH_INPUT_BYTES, NONCE_TAIL_BYTES } from "../protocol/layout.ts";
import { ABI_VERSION, VH_ERR } from "./abi.ts";
import { checkInput, checkLanes, checkRange, checkSize, HashError } from "./errors.ts";

/** Implementation ids of native/verushash.h as the wasm builds know them. */
export const WASM_IMPLS = { auto: -1, portable: 0, "wasm-simd": 3 } as const;
export type WasmImplChoice = keyof typeof WASM_IMPLS;

/** File names of the two builds, as the bridge serves them (beside the page). */
export const WASM_FILE = "verushash.wasm";
export const WASM_SIMD_FILE = "verushash-simd.wasm";

interface Exports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  vh_abi_version(): number;
  vh_ctx_bytes(): number;
  vh_impl_available(impl: number): number;
  vh_impl_name(impl: number): number;
  vh_ctx_init(ctx: number, impl: number): number;
  vh_ctx_set_lanes(ctx: number, lanes: number): number;
  vh_hash(ctx: number, input: number, len: number, out: number): number;
  vh_hash_header(ctx: number, header: number, out: number): number;
  vh_preheader_hash(header: number, out: number): number;
  vh_job_prepare(ctx: number, header: number): number;
  vh_job_hash(ctx: number, tail: number, out: number): number;
  vh_scan(
    ctx: number,
    tail: number,
    start: number,
    count: number,
    target: number,
    found: number,
    maxFound: number,
  ): number;
}

/**
 * The smallest module that uses a SIMD instruction (i8x16.splat): engines without SIMD refuse it.
 * Magic and version 1; type section () -> v128; function section: one function of type 0;
 * code: i32.const 0; i8x16.splat; end.
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01,
  0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b,
]);

/** Whether this engine runs WebAssembly SIMD (then the SIMD build is the one to load). */
export function wasmSimdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

/** Scan results are capped per call; a share target finds a handful at most in one batch. */
export const MAX_FOUND = 64;
const ALIGN = 64;
const PAGE = 65536;

export class WasmHasher {
  /** The implementation this context runs ("auto" resolved): "portable" or "wasm-simd". */
  readonly impl: string;
  /** How many nonces one scan hashes at once (the lanes asked for, or the build's fastest). */
  readonly lanes: number;
  readonly #x: Exports;
  readonly #ctx: number;
  readonly #out: number;
  readonly #tail: number;
  readonly #target: number;
  readonly #found: number;
  readonly #input: number;
  #u8: Uint8Array;
  #jobReady = false;

  private constructor(x: Exports, impl: WasmImplChoice, lanes: number) {
    this.#x = x;
    const base = align(x.__heap_base.value as number);
    this.#ctx = base;
    this.#out = align(base + x.vh_ctx_bytes());
    this.#tail = this.#out + HASH_BYTES;
    this.#target = this.#tail + 16;
    this.#found = this.#target + HASH_BYTES;
    this.#input = align(this.#found + 4 * MAX_FOUND);
    this.#u8 = new Uint8Array(x.memory.buffer);
    this.#reserve(HASH_INPUT_BYTES);
    const id = WASM_IMPLS[impl];
    if (id === undefined)
      throw new HashError("E_IMPL_UNKNOWN", `unknown wasm implementation ${JSON.stringify(impl)}`);
    const rc = x.vh_ctx_init(this.#ctx, id);
    if (rc === VH_ERR.IMPL)
      throw new HashError("E_IMPL_UNAVAILABLE", `implementation ${impl} is not in this wasm build`);
    this.#check(rc, "vh_ctx_init");
    this.impl = this.#cString(x.vh_impl_name(rc));
    this.lanes = this.#check(x.vh_ctx_set_lanes(this.#ctx, lanes), "vh_ctx_set_lanes");
  }

  /**
   * Instantiates `module` (one of the two builds) and opens a context whose scans hash `lanes`
   * nonces at once (1..LANES_MAX; 0 = the build's fastest, VH_BEST_LANES). Throws E_LANES for
   * another count, E_NATIVE_ABI for a module built from another verushash.h and
   * E_IMPL_UNAVAILABLE for "wasm-simd" on the plain build.
   */
  static async create(
    module: WebAssembly.Module,
    impl: WasmImplChoice = "auto",
    lanes = 0,
  ): Promise<WasmHasher> {
    checkLanes(lanes);
    const instance = await WebAssembly.instantiate(module, {});
    const x = instance.exports as unknown as Exports;
    if (x.vh_abi_version() !== ABI_VERSION)
      throw new HashError(
        "E_NATIVE_ABI",
        `verushash wasm has ABI ${x.vh_abi_version()}, this code expects ${ABI_VERSION}`,
      );
    return new WasmHasher(x, impl, lanes);
  }

  /** Plain VerusHash 2.2 of `input` (≥ 32 bytes): no PBaaS clearing. */
  hash(input: Uint8Array): Uint8Array {
    checkInput(input);
    this.#reserve(input.length);
    this.#mem().set(input, this.#input);
    this.#check(this.#x.vh_hash(this.#ctx, this.#input, input.length, this.#out), "vh_hash");
    return this.#result();
  }

  /** Miner-rule hash of a 1487-byte header (spec §3.5); `cleared` tells whether clearing applied. */
  hashHeader(header: Uint8Array): { hash: Uint8Array; cleared: boolean } {
    checkSize(header, HASH_INPUT_BYTES, "E_HEADER_SIZE", "a header");
    this.#mem().set(header, this.#input);
    const rc = this.#check(this.#x.vh_hash_header(this.#ctx, this.#input, this.#out), "vh_hash_header");
    this.#jobReady = true; // vh_hash_header prepares the header's job as a side effect
    return { hash: this.#result(), cleared: rc === 1 };
  }

  /** BLAKE2b-256 of the PBaaS pre-header of a 1487-byte header (spec §3.1). */
  preheaderHash(header: Uint8Array): Uint8Array {
    checkSize(header, HASH_INPUT_BYTES, "E_HEADER_SIZE", "a header");
    this.#mem().set(header, this.#input);
    this.#check(this.#x.vh_preheader_hash(this.#input, this.#out), "vh_preheader_hash");
    return this.#result();
  }

  /** Prepares the job of a 1487-byte header (its last 15 bytes are ignored); true if cleared. */
  prepareJob(header: Uint8Array): boolean {
    checkSize(header, HASH_INPUT_BYTES, "E_HEADER_SIZE", "a header");
    this.#mem().set(header, this.#input);
    const rc = this.#check(this.#x.vh_job_prepare(this.#ctx, this.#input), "vh_job_prepare");
    this.#jobReady = true;
    return rc === 1;
  }

  /** One hash of the prepared job with this 15-byte tail. */
  jobHash(tail: Uint8Array): Uint8Array {
    this.#needJob();
    checkSize(tail, NONCE_TAIL_BYTES, "E_TAIL_SIZE", "a tail");
    this.#mem().set(tail, this.#tail);
    this.#check(this.#x.vh_job_hash(this.#ctx, this.#tail, this.#out), "vh_job_hash");
    return this.#result();
  }

  /**
   * Scans nonces start .. start+count−1 of the prepared job (tail[11..14] = the nonce, u32 LE) and
   * returns those whose hash is ≤ target (LE256), in order, at most maxFound of them.
   */
  scan(
    tail: Uint8Array,
    start: number,
    count: number,
    target: Uint8Array,
    maxFound = MAX_FOUND,
  ): Uint32Array {
    this.#needJob();
    checkSize(tail, NONCE_TAIL_BYTES, "E_TAIL_SIZE", "a tail");
    checkSize(target, HASH_BYTES, "E_TARGET_SIZE", "a target");
    checkRange(start, count, maxFound, MAX_FOUND);
    const mem = this.#mem();
    mem.set(tail, this.#tail);
    mem.set(target, this.#target);
    const n = this.#check(
      this.#x.vh_scan(this.#ctx, this.#tail, start, count, this.#target, this.#found, maxFound),
      "vh_scan",
    );
    return new Uint32Array(this.#mem().buffer.slice(this.#found, this.#found + 4 * n));
  }

  #needJob(): void {
    if (!this.#jobReady) throw new HashError("E_NO_JOB", "prepareJob first");
  }

  /** The bytes of the memory, re-viewed after a grow (which detaches the old buffer). */
  #mem(): Uint8Array {
    if (this.#u8.byteLength === 0) this.#u8 = new Uint8Array(this.#x.memory.buffer);
    return this.#u8;
  }

  #reserve(inputBytes: number): void {
    const need = this.#input + inputBytes;
    const have = this.#x.memory.buffer.byteLength;
    if (need > have) this.#x.memory.grow(Math.ceil((need - have) / PAGE));
    this.#u8 = new Uint8Array(this.#x.memory.buffer);
  }

  #result(): Uint8Array {
    return this.#mem().slice(this.#out, this.#out + HASH_BYTES);
  }

  /** The facade checks every argument first, so any error code from the module is a bug here. */
  #check(rc: number, fn: string): number {
    if (rc < 0) throw new HashError("E_NATIVE", `${fn} returned ${rc} in the wasm build`);
    return rc;
  }

  #cString(at: number): string {
    const mem = this.#mem();
    let end = at;
    while (mem[end] !== 0) end++;
    return new TextDecoder().decode(mem.subarray(at, end));
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
