// ws-msgpack.ts — the bridge's binary WebSocket protocol (docs/protocol.md §3), sans-IO: one
// WebSocket message in, a typed frame or a WsFrameError out; and back.
//
// Every frame is one msgpack map with `v` (protocol version, 1) and `t` (frame type), other keys
// one letter each, binary fields as msgpack bin (never arrays of numbers). Unknown keys are ignored
// (a newer peer may add some); an unknown `v` is fatal (E_VERSION). Sizes (measured by the tests):
// a PBaaS v7 job frame ≈ 330 bytes (budget 400), a share frame ≈ 40 bytes (budget 64), against
// the seed's ≈ 6–10 KB of JSON per job.
//
// Both directions are here, so the browser client (web/) and the tests use the same code as the
// server. Job frames go to every miner on every job, so they are built from a per-job template
// (MsgpackJobTemplate) and only the session's own fields are encoded per miner.

import { Decoder, Encoder } from "@msgpack/msgpack";
import { bytesEqual } from "./hex.ts";
import { HASH_BYTES, HEADER_HEAD_BYTES, NONCE_TAIL_BYTES, SOLUTION_BYTES } from "./layout.ts";
import { WsFrameError, type WsErrorCode } from "./ws-errors.ts";

export const MSGPACK_VERSION = 1;
/** Sec-WebSocket-Protocol value that selects this protocol without waiting for the first frame. */
export const MSGPACK_SUBPROTOCOL = "vbridge.msgpack.v1";
export const MAX_WORKER_CHARS = 64;
export const MAX_AGENT_CHARS = 64;
export const MAX_JOB_ID_CHARS = 64;
/** A share target, compared with a hash as 32 LE bytes. */
const TARGET_BYTES = HASH_BYTES;

export type MsgpackClientFrame =
  | { type: "hello"; worker: string | null; agent: string | null }
  /** `nonce`: tail bytes prefix.length..14, exactly 15 − prefix.length of them. */
  | { type: "share"; seq: number; jobId: string; nonce: Uint8Array }
  | { type: "ping"; seq: number | null };

export interface MsgpackJob {
  jobId: string;
  clean: boolean;
  /** Header bytes 0..107; the header's nonce is prefix ‖ zeros (32 bytes). */
  head: Uint8Array;
  /** The 1344-byte solution template with trailing zero bytes trimmed (pad back with zeros). */
  solution: Uint8Array;
  /** This session's extranonce1: tail bytes 0..prefix.length−1, and the start of the header nonce. */
  prefix: Uint8Array;
  /** Share target, 32 bytes little-endian (byte 31 most significant): hash ≤ target as LE256. */
  target: Uint8Array;
  difficulty: number;
}

export type WireVerdict =
  | { accepted: true; difficulty: number; forwarded: boolean }
  | { accepted: false; code: number; message: string };

export type MsgpackServerFrame =
  | { type: "welcome"; session: number; worker: string }
  | ({ type: "job" } & MsgpackJob)
  | { type: "result"; seq: number; verdict: WireVerdict }
  | { type: "pong"; seq: number | null }
  /** `code` is a WsErrorCode; decoded as any string, so an older client survives new codes. */
  | { type: "error"; code: string; message: string; seq: number | null }
  | { type: "message"; text: string }
  /** This session's prefix changed (the pool reconnected with a new extranonce1): drop older work. */
  | { type: "lease"; prefix: Uint8Array }
  /** No work can be had now (the pool is gone): stop hashing until the next job. */
  | { type: "idle"; reason: string };

/** Longest idle reason sent (the core's text, cut). */
export const MAX_IDLE_REASON_CHARS = 256;

const encoder = new Encoder({ ignoreUndefined: true });
// Client frames are tiny: anything bigger than a share's few bytes is refused while decoding.
const clientDecoder = new Decoder({
  maxStrLength: 256,
  maxBinLength: 64,
  maxArrayLength: 16,
  maxMapLength: 16,
  maxExtLength: 0,
});
const serverDecoder = new Decoder({
  maxStrLength: 4096,
  maxBinLength: SOLUTION_BYTES,
  maxArrayLength: 16,
  maxMapLength: 16,
  maxExtLength: 0,
});

type Fields = Record<string, unknown>;

/** One map with v = 1 and a string t, or a coded error. */
function open(bytes: Uint8Array, decoder: Decoder): { type: string; f: Fields } {
  let v: unknown;
  try {
    v = (decoder === clientDecoder ? smallMap(bytes) : null) ?? decoder.decode(bytes);
  } catch (e) {
    throw new WsFrameError("E_BAD_FRAME", "not a single msgpack value within the size limits", {
      reason: e instanceof Error ? e.message : String(e),
    });
  }
  if (typeof v !== "object" || v === null || Array.isArray(v) || ArrayBuffer.isView(v))
    throw new WsFrameError("E_BAD_FRAME", "a frame must be a msgpack map");
  const f = v as Fields;
  const version = own(f, "v");
  if (version !== MSGPACK_VERSION)
    throw new WsFrameError("E_VERSION", `protocol version ${MSGPACK_VERSION} only`, {
      version: typeof version === "number" ? version : String(typeof version),
    });
  const type = own(f, "t");
  if (typeof type !== "string" || type === "")
    throw new WsFrameError("E_BAD_FRAME", "t (the frame type) must be a non-empty string");
  return { type, f };
}

/**
 * A client frame as the decoder would read it, for the shapes clients send — a fixmap of one-letter
 * keys and small values (ints, ASCII strings, bin8, booleans, nil) — without its general machinery
 * (a share frame arrives per share). null for anything else, which then takes the decoder, so
 * errors and limits stay the decoder's. Later duplicate keys win, as in the decoder.
 */
function smallMap(b: Uint8Array): Fields | null {
  const n = b.length === 0 ? -1 : b[0]! - 0x80;
  if (n < 0 || n > 15) return null;
  const f: Fields = {};
  let at = 1;
  for (let e = 0; e < n; e++) {
    if (at + 2 > b.length || b[at] !== 0xa1 || b[at + 1]! >= 0x80) return null;
    const key = String.fromCharCode(b[at + 1]!);
    at += 2;
    if (at >= b.length) return null;
    const t = b[at]!;
    let value: unknown;
    let size = 1;
    if (t <= 0x7f) value = t;
    else if (t >= 0xe0) value = t - 0x100;
    else if (t === 0xc0) value = null;
    else if (t === 0xc2 || t === 0xc3) value = t === 0xc3;
    else if (t === 0xcc || t === 0xcd || t === 0xce) {
      size = 1 + (1 << (t - 0xcc));
      if (at + size > b.length) return null;
      value = 0;
      for (let i = 1; i < size; i++) value = (value as number) * 256 + b[at + i]!;
    } else if ((t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xc4) {
      const head = t === 0xd9 || t === 0xc4 ? 2 : 1;
      if (at + head > b.length) return null;
      const len = head === 1 ? t - 0xa0 : b[at + 1]!;
      size = head + len;
      if (at + size > b.length || (t === 0xc4 && len > 64)) return null;
      if (t === 0xc4) {
        // A copy (≤ 64 bytes): cheaper here than a view into the frame.
        const bin = new Uint8Array(len);
        for (let i = 0; i < len; i++) bin[i] = b[at + 2 + i]!;
        value = bin;
      } else {
        let text = "";
        for (let i = at + head; i < at + size; i++) {
          if (b[i]! >= 0x80) return null;
          text += String.fromCharCode(b[i]!);
        }
        value = text;
      }
    } else return null;
    f[key] = value;
    at += size;
  }
  return at === b.length ? f : null;
}

/** A frame's own property (never one inherited from Object.prototype). */
export function own(f: Fields, key: string): unknown {
  return Object.hasOwn(f, key) ? f[key] : undefined;
}

function str(f: Fields, key: string, max: number, optional: true): string | null;
function str(f: Fields, key: string, max: number, optional?: false): string;
function str(f: Fields, key: string, max: number, optional = false): string | null {
  const v = own(f, key);
  if ((v === undefined || v === null) && optional) return null;
  if (typeof v !== "string" || v.length > max || (!optional && v === ""))
    throw new WsFrameError("E_BAD_FIELD", `${key} must be a string of 1..${max} characters`, { field: key });
  return v;
}

/** Job ids are opaque strings; a numeric one (liberal in) is read as its decimal text. */
export function readJobId(f: Fields, key: string): string {
  const v = own(f, key);
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0
    ? String(v)
    : str(f, key, MAX_JOB_ID_CHARS);
}

function u32(f: Fields, key: string, optional: true): number | null;
function u32(f: Fields, key: string, optional?: false): number;
function u32(f: Fields, key: string, optional = false): number | null {
  const v = own(f, key);
  if ((v === undefined || v === null) && optional) return null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff)
    throw new WsFrameError("E_BAD_FIELD", `${key} must be an integer 0..2^32-1`, { field: key });
  return v;
}

function bin(f: Fields, key: string, min: number, max: number): Uint8Array {
  const v = own(f, key);
  if (!(v instanceof Uint8Array) || v.length < min || v.length > max)
    throw new WsFrameError("E_BAD_FIELD", `${key} must be ${min}..${max} bytes of msgpack bin`, {
      field: key,
    });
  return v;
}

function num(f: Fields, key: string): number {
  const v = own(f, key);
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new WsFrameError("E_BAD_FIELD", `${key} must be a finite number`, { field: key });
  return v;
}

function bool(f: Fields, key: string): boolean {
  const v = own(f, key);
  if (typeof v !== "boolean")
    throw new WsFrameError("E_BAD_FIELD", `${key} must be a boolean`, { field: key });
  return v;
}

// ------------------------------------------------------------------------------ client → server

export function decodeClientFrame(bytes: Uint8Array): MsgpackClientFrame {
  const { type, f } = open(bytes, clientDecoder);
  switch (type) {
    case "hello":
      return { type, worker: str(f, "w", MAX_WORKER_CHARS, true), agent: str(f, "a", MAX_AGENT_CHARS, true) };
    case "share": {
      const seq = u32(f, "i");
      try {
        return { type, seq, jobId: readJobId(f, "j"), nonce: bin(f, "n", 1, NONCE_TAIL_BYTES) };
      } catch (e) {
        // The error frame carries the share's i, so the client can drop it from its pending ones.
        if (e instanceof WsFrameError) throw new WsFrameError(e.code, e.message, e.detail, seq);
        throw e;
      }
    }
    case "ping":
      return { type, seq: u32(f, "i", true) };
    default:
      throw new WsFrameError("E_UNKNOWN_TYPE", "unknown frame type", { type: type.slice(0, 32) });
  }
}

export function encodeClientFrame(frame: MsgpackClientFrame): Uint8Array {
  const base = { v: MSGPACK_VERSION, t: frame.type };
  switch (frame.type) {
    case "hello":
      return encoder.encode({ ...base, w: frame.worker ?? undefined, a: frame.agent ?? undefined });
    case "share":
      return encoder.encode({ ...base, i: frame.seq, j: frame.jobId, n: frame.nonce });
    case "ping":
      return encoder.encode({ ...base, i: frame.seq ?? undefined });
  }
}

// ------------------------------------------------------------------------------ server → client

/** Trailing zero bytes off: the miner pads the template back to 1344 bytes (notify param 8 rule). */
export function trimTemplate(solution: Uint8Array): Uint8Array {
  let n = solution.length;
  while (n > 0 && solution[n - 1] === 0) n--;
  return solution.subarray(0, n);
}

/** A job's header bytes 0..107 and solution template, as both protocols' job templates take them. */
export function checkTemplate(head: Uint8Array, solution: Uint8Array): void {
  if (head.length !== HEADER_HEAD_BYTES)
    throw new RangeError(`head must be ${HEADER_HEAD_BYTES} bytes, got ${head.length}`);
  if (solution.length > SOLUTION_BYTES)
    throw new RangeError(`solution template longer than ${SOLUTION_BYTES} bytes`);
}

/**
 * The parts of a job frame every session shares, encoded once per job; encode() adds the
 * session's own (clean, prefix, target, difficulty). A msgpack fixmap is a one-byte count
 * followed by its entries, so two maps' entries concatenate into one map.
 *
 * A new job goes to every session at once, and sessions of one pool connection mostly share
 * clean, target and difficulty: then their frames differ only in the prefix bytes. So the last
 * frame built is kept, and the next session with the same settings gets a copy of it with its own
 * prefix written in — one copy per session instead of one msgpack encode (bench/ws-load.ts).
 */
export class MsgpackJobTemplate {
  readonly jobId: string;
  readonly #shared: Uint8Array;
  #last: {
    clean: boolean;
    prefixLength: number;
    target: Uint8Array;
    difficulty: number;
    frame: Uint8Array;
    prefixAt: number;
  } | null = null;

  constructor(jobId: string, head: Uint8Array, solution: Uint8Array) {
    checkTemplate(head, solution);
    this.jobId = jobId;
    this.#shared = encoder.encode({
      v: MSGPACK_VERSION,
      t: "job",
      j: jobId,
      h: head,
      s: trimTemplate(solution),
    });
  }

  encode(clean: boolean, prefix: Uint8Array, target: Uint8Array, difficulty: number): Uint8Array {
    if (prefix.length < 1 || prefix.length >= NONCE_TAIL_BYTES)
      throw new RangeError(`prefix must be 1..${NONCE_TAIL_BYTES - 1} bytes`);
    if (target.length !== TARGET_BYTES) throw new RangeError(`target must be ${TARGET_BYTES} bytes`);
    const last = this.#last;
    if (
      last !== null &&
      last.clean === clean &&
      last.prefixLength === prefix.length &&
      last.difficulty === difficulty &&
      bytesEqual(last.target, target)
    ) {
      const out = last.frame.slice();
      out.set(prefix, last.prefixAt);
      return out;
    }
    // Own entries in this order: c (3 bytes: key, bool), then x, whose bin8 value (c4, length)
    // starts 4 bytes later — so the prefix bytes sit at a fixed place in the frame.
    const own = encoder.encode({ c: clean, x: prefix, g: target, d: difficulty });
    const out = new Uint8Array(this.#shared.length + own.length - 1);
    out.set(this.#shared, 0);
    out[0] = 0x80 | (5 + 4); // fixmap of the 5 shared and 4 own entries
    out.set(own.subarray(1), this.#shared.length);
    const prefixAt = this.#shared.length + 3 + 4;
    this.#last = {
      clean,
      prefixLength: prefix.length,
      target: target.slice(),
      difficulty,
      frame: out.slice(),
      prefixAt,
    };
    return out;
  }
}

export function encodeServerFrame(frame: MsgpackServerFrame): Uint8Array {
  const base = { v: MSGPACK_VERSION, t: frame.type === "message" ? "msg" : frame.type };
  switch (frame.type) {
    case "welcome":
      return encoder.encode({ ...base, s: frame.session, w: frame.worker });
    case "job":
      return new MsgpackJobTemplate(frame.jobId, frame.head, frame.solution).encode(
        frame.clean,
        frame.prefix,
        frame.target,
        frame.difficulty,
      );
    case "result": {
      const v = frame.verdict;
      if (v.accepted) return acceptedFrame(frame.seq, v.difficulty, v.forwarded);
      return encoder.encode({ ...base, i: frame.seq, a: false, c: v.code, m: v.message });
    }
    case "pong":
      return encoder.encode({ ...base, i: frame.seq ?? undefined });
    case "error":
      return encoder.encode({ ...base, c: frame.code, m: frame.message, i: frame.seq ?? undefined });
    case "message":
      return encoder.encode({ ...base, m: frame.text });
    case "lease":
      if (frame.prefix.length < 1 || frame.prefix.length >= NONCE_TAIL_BYTES)
        throw new RangeError(`prefix must be 1..${NONCE_TAIL_BYTES - 1} bytes`);
      return encoder.encode({ ...base, x: frame.prefix });
    case "idle":
      return encoder.encode({ ...base, r: frame.reason.slice(0, MAX_IDLE_REASON_CHARS) });
  }
}

/**
 * An accepted result, {v, t: "result", i, a: true, d, f}, byte for byte as the encoder writes it:
 * the entries before `i` are fixed, and those after it are the same for every share a session gets
 * at one difficulty — so they are encoded once per (difficulty, forwarded) and the frame is three
 * copies, not an encode (one goes out per share: the hot path of the reply).
 */
function acceptedFrame(seq: number, difficulty: number, forwarded: boolean): Uint8Array {
  let after = forwarded ? lastAccepted.forwarded : lastAccepted.kept;
  if (lastAccepted.difficulty !== difficulty || after === null) {
    if (lastAccepted.difficulty !== difficulty) lastAccepted = { difficulty, forwarded: null, kept: null };
    after = encoder.encode({ a: true, d: difficulty, f: forwarded }).slice(1); // without the map header
    if (forwarded) lastAccepted.forwarded = after;
    else lastAccepted.kept = after;
  }
  const i = encoder.encode(seq); // a u32, 1..5 bytes
  const out = new Uint8Array(RESULT_HEAD.length + i.length + after.length);
  out.set(RESULT_HEAD, 0);
  out.set(i, RESULT_HEAD.length);
  out.set(after, RESULT_HEAD.length + i.length);
  return out;
}

/** fixmap(6), "v" 1, "t" "result", "i" — then the seq and the rest (acceptedFrame). */
const RESULT_HEAD = (() => {
  const whole = encoder.encode({ v: MSGPACK_VERSION, t: "result", i: 0 });
  const head = whole.slice(0, whole.length - 1); // without the 0
  head[0] = 0x80 | 6;
  return head;
})();
let lastAccepted: { difficulty: number; forwarded: Uint8Array | null; kept: Uint8Array | null } = {
  difficulty: NaN,
  forwarded: null,
  kept: null,
};

/** An error frame (the transport's reply to a bad frame). */
export function errorFrame(code: WsErrorCode, message: string, seq: number | null = null): Uint8Array {
  return encodeServerFrame({ type: "error", code, message, seq });
}

export function decodeServerFrame(bytes: Uint8Array): MsgpackServerFrame {
  const { type, f } = open(bytes, serverDecoder);
  switch (type) {
    case "welcome":
      return { type, session: u32(f, "s"), worker: str(f, "w", MAX_WORKER_CHARS, true) ?? "" };
    case "job":
      return {
        type,
        jobId: readJobId(f, "j"),
        clean: bool(f, "c"),
        head: bin(f, "h", HEADER_HEAD_BYTES, HEADER_HEAD_BYTES),
        solution: bin(f, "s", 0, SOLUTION_BYTES),
        prefix: bin(f, "x", 1, NONCE_TAIL_BYTES - 1),
        target: bin(f, "g", TARGET_BYTES, TARGET_BYTES),
        difficulty: num(f, "d"),
      };
    case "result": {
      const seq = u32(f, "i");
      const verdict: WireVerdict = bool(f, "a")
        ? { accepted: true, difficulty: num(f, "d"), forwarded: own(f, "f") === true }
        : { accepted: false, code: num(f, "c"), message: str(f, "m", 4096, true) ?? "" };
      return { type, seq, verdict };
    }
    case "pong":
      return { type, seq: u32(f, "i", true) };
    case "error":
      return { type, code: str(f, "c", 64), message: str(f, "m", 4096, true) ?? "", seq: u32(f, "i", true) };
    case "msg":
      return { type: "message", text: str(f, "m", 4096, true) ?? "" };
    case "lease":
      return { type, prefix: bin(f, "x", 1, NONCE_TAIL_BYTES - 1) };
    case "idle":
      return { type, reason: str(f, "r", 4096, true) ?? "" };
    default:
      throw new WsFrameError("E_UNKNOWN_TYPE", "unknown frame type", { type: type.slice(0, 32) });
  }
}
