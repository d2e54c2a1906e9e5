/**
 * Hasher: a typed facade over one libverushash context (one per thread, caller-owned memory).
 *
 * Hot paths (hashHeaderInto, jobHashInto, scanInto) allocate nothing: the share-verdict path must
 * sustain hundreds of thousands of calls per second per core. The allocating variants are
 * conveniences for cold paths (CLI, tests). Typed arrays are passed straight to FFI pointer args.
 */
import { checkInput, checkLanes, checkRange, checkSize, HashError } from "./errors.ts";
import { implId, implName, parseImpl, resolveImpl, type ImplChoice, type ImplName } from "./impl.ts";
import { HASH_BYTES, HASH_INPUT_BYTES, NONCE_TAIL_BYTES } from "../protocol/layout.ts";
import { LANES_MAX, MIN_INPUT_BYTES, VH_ERR } from "./abi.ts";
import { native, type NativeSymbols } from "./native.ts";

/** Default cap on nonces returned by one scan; a real target finds far fewer per call. */
const DEFAULT_MAX_FOUND = 64;

export type HeaderHash = { hash: Uint8Array; cleared: boolean };

export class Hasher {
  /** VH_LANES_MAX: the most lanes `open` and `setLanes` take (0 = the implementation's fastest). */
  static readonly LANES_MAX = LANES_MAX;
  /** The concrete implementation this context runs ("auto" already resolved). */
  readonly impl: ImplName;
  readonly #lib: NativeSymbols;
  /** vh_ctx_bytes() of caller memory; the library keeps its job and key here. */
  #ctx: Uint8Array | null;
  #lanes: number;
  #found = new Uint32Array(DEFAULT_MAX_FOUND);

  private constructor(lib: NativeSymbols, ctx: Uint8Array, impl: ImplName, lanes: number) {
    this.#lib = lib;
    this.#ctx = ctx;
    this.impl = impl;
    this.#lanes = lanes;
  }

  /**
   * Opens a context scanning `lanes` nonces at once (0: the implementation's fastest). Throws
   * E_LANES, E_IMPL_UNAVAILABLE / E_NATIVE_LOAD / E_NATIVE_ABI, and E_IMPL_UNKNOWN for a name that
   * is not an ImplChoice (callers outside TypeScript's checks).
   */
  static open(impl: ImplChoice = "auto", lanes = 0): Hasher {
    const choice = parseImpl(impl);
    checkLanes(lanes);
    resolveImpl(choice);
    const lib = native();
    // An ArrayBuffer of its own: the memory must stay put and alive as long as the Hasher.
    const ctx = new Uint8Array(new ArrayBuffer(lib.vh_ctx_bytes()));
    const rc = checked(lib.vh_ctx_init(ctx, implId(choice)), "vh_ctx_init");
    const effective = checked(lib.vh_ctx_set_lanes(ctx, lanes), "vh_ctx_set_lanes");
    return new Hasher(lib, ctx, implName(rc), effective);
  }

  /** Nonces one scan hashes at once, as the library put it in effect (1..LANES_MAX, never 0). */
  get lanes(): number {
    return this.#lanes;
  }

  /**
   * Changes the lane count of later scans (0: the implementation's fastest); returns the count now
   * in effect. Results never change with it, only speed. Throws E_LANES / E_CLOSED.
   */
  setLanes(lanes: number): number {
    const ctx = this.#open();
    checkLanes(lanes);
    this.#lanes = checked(this.#lib.vh_ctx_set_lanes(ctx, lanes), "vh_ctx_set_lanes");
    return this.#lanes;
  }

  /** Plain VerusHash 2.2 of `input` (≥ 32 bytes): no PBaaS clearing. */
  hash(input: Uint8Array): Uint8Array {
    return this.hashInto(input, new Uint8Array(HASH_BYTES));
  }

  hashInto(input: Uint8Array, out: Uint8Array): Uint8Array {
    const ctx = this.#open();
    checkInput(input);
    checkOut(out);
    checked(this.#lib.vh_hash(ctx, input, input.length, out), "vh_hash");
    return out;
  }

  /** Miner-rule hash of a 1487-byte header (spec §3.5): the hash a bridge checks shares with. */
  hashHeader(header: Uint8Array): HeaderHash {
    const hash = new Uint8Array(HASH_BYTES);
    return { hash, cleared: this.hashHeaderInto(header, hash) };
  }

  /**
   * As hashHeader, into `out`; returns whether PBaaS clearing applied. The context keeps one job:
   * a header of the prepared job costs one hash, a header of another job replaces it.
   */
  hashHeaderInto(header: Uint8Array, out: Uint8Array): boolean {
    const ctx = this.#open();
    checkSize(header, HASH_INPUT_BYTES, "E_HEADER_SIZE", "header");
    checkOut(out);
    return checked(this.#lib.vh_hash_header(ctx, header, out), "vh_hash_header") === 1;
  }

  /** Prepares a mining job (its last 15 bytes are ignored); returns whether it was cleared. */
  prepareJob(header: Uint8Array): boolean {
    const ctx = this.#open();
    checkSize(header, HASH_INPUT_BYTES, "E_HEADER_SIZE", "header");
    return checked(this.#lib.vh_job_prepare(ctx, header), "vh_job_prepare") === 1;
  }

  /** One hash of the prepared job with this 15-byte tail (input bytes 1472..1486). */
  jobHash(tail: Uint8Array): Uint8Array {
    return this.jobHashInto(tail, new Uint8Array(HASH_BYTES));
  }

  jobHashInto(tail: Uint8Array, out: Uint8Array): Uint8Array {
    const ctx = this.#open();
    checkSize(tail, NONCE_TAIL_BYTES, "E_TAIL_SIZE", "nonce tail");
    checkOut(out);
    checked(this.#lib.vh_job_hash(ctx, tail, out), "vh_job_hash");
    return out;
  }

  /**
   * Scans nonces start..start+count-1 of the prepared job (uint32 LE counter in tail[11..14]) and
   * returns those whose hash ≤ target (both little-endian 256-bit), at most maxFound, ascending.
   */
  scan(
    tail: Uint8Array,
    start: number,
    count: number,
    target: Uint8Array,
    maxFound = DEFAULT_MAX_FOUND,
  ): Uint32Array {
    if (maxFound > this.#found.length) this.#found = new Uint32Array(maxFound);
    const n = this.scanInto(tail, start, count, target, this.#found.subarray(0, maxFound));
    return this.#found.slice(0, n);
  }

  /** As scan, writing into `found` (its length is max_found); returns how many were found. */
  scanInto(tail: Uint8Array, start: number, count: number, target: Uint8Array, found: Uint32Array): number {
    const ctx = this.#open();
    checkSize(tail, NONCE_TAIL_BYTES, "E_TAIL_SIZE", "nonce tail");
    checkSize(target, HASH_BYTES, "E_TARGET_SIZE", "target");
    checkRange(start, count, found.length);
    if (count === 0) return 0;
    return checked(this.#lib.vh_scan(ctx, tail, start, count, target, found, found.length), "vh_scan");
  }

  /** The free preheaderHash (it needs no context), so that a Hasher fits where a WasmHasher does. */
  preheaderHash(header: Uint8Array): Uint8Array {
    return preheaderHash(header);
  }

  /** Drops the context memory; every later call throws E_CLOSED. */
  close(): void {
    this.#ctx = null;
  }

  #open(): Uint8Array {
    if (this.#ctx === null) throw new HashError("E_CLOSED", "this Hasher was closed");
    return this.#ctx;
  }
}

/** BLAKE2b-256 "VerusDefaultHash" of the 196-byte PBaaS pre-header (spec §3.1) of a header. */
export function preheaderHash(header: Uint8Array): Uint8Array {
  checkSize(header, HASH_INPUT_BYTES, "E_HEADER_SIZE", "header");
  const out = new Uint8Array(HASH_BYTES);
  checked(native().vh_preheader_hash(header, out), "vh_preheader_hash");
  return out;
}

function checkOut(out: Uint8Array): void {
  if (out.length < HASH_BYTES) {
    throw new HashError("E_OUT_SIZE", `output buffer is ${out.length} bytes; it must hold ${HASH_BYTES}`);
  }
}

/** `rc`, unless it is a negative VH_ERR_*: then its coded error. The checks above make most unreachable. */
function checked(rc: number, op: string): number {
  switch (rc) {
    case VH_ERR.IMPL:
      throw new HashError("E_IMPL_UNAVAILABLE", `${op}: implementation not available on this CPU`);
    case VH_ERR.SHORT:
      throw new HashError("E_INPUT_SHORT", `${op}: input shorter than ${MIN_INPUT_BYTES} bytes`);
    case VH_ERR.NO_JOB:
      throw new HashError("E_NO_JOB", `${op}: no job prepared (call prepareJob first)`);
  }
  if (rc < 0) throw new HashError("E_NATIVE", `${op} failed with code ${rc}`);
  return rc;
}
