// ws-json.ts — the seed's JSON WebSocket protocol, unchanged for the web miners written against it
// (docs/protocol.md §4), sans-IO: one text message in, a typed message or a WsFrameError out.
//
// Work is ccminer's `work` object: `data` is the 140-byte header as 35 little-endian u32 words
// (padded with zeros to 48), `target` the 256-bit share target as 8 LE u32 words (word 7 most
// significant), `solution` the 1344 solution bytes as numbers with the session's tail prefix in
// place. The miner writes its nonce as a u32 LE into the last 4 tail bytes (solution[1340..1343] =
// hash input bytes 1483..1486 — where the native scan loop counts too). From a share only
// `work.job_id` and `nonce` are read: the rest of the echoed work is never trusted.
//
// Additions that an old seed miner never sees unless it asks: `hello` (worker name; turns on
// `welcome`, `result`, `message` and `idle` messages). `error` messages go to anyone who sends a bad one.

import { WsFrameError, type WsErrorCode } from "./ws-errors.ts";
import { HASH_BYTES, NONCE_BYTES, NONCE_TAIL_BYTES, SOLUTION_BYTES, TAIL_COUNTER_OFFSET } from "./layout.ts";
import { checkTemplate, MAX_WORKER_CHARS, own, readJobId, type WireVerdict } from "./ws-msgpack.ts";

/** Sec-WebSocket-Protocol value that selects this protocol without waiting for the first frame. */
export const JSON_SUBPROTOCOL = "vbridge.json";
export const DATA_WORDS = 48;
export const HEADER_WORDS = 35;
export const TARGET_WORDS = 8;
/** The nonce is a u32 LE at tail bytes 11..14 (solution bytes 1340..1343), where the scan counts. */
const NONCE_AT = TAIL_COUNTER_OFFSET;
export const MAX_NONCE = 0xffff_ffff;
const MAX_ID_CHARS = 64;

export type JsonClientMessage =
  /** `id`: an optional correlation value the client added; echoed in the result. */
  | { type: "share"; jobId: string; nonce: number; id: string | number | null }
  | { type: "ping" }
  | { type: "hello"; worker: string | null };

export interface JsonWork {
  data: number[];
  target: number[];
  solution: number[];
  start_nonce: number;
  max_nonce: number;
  job_id: string;
  targetdiff: number;
}

export type JsonServerMessage =
  | { type: "work"; work: JsonWork }
  | { type: "pong" }
  | { type: "welcome"; session: number; worker: string }
  | {
      type: "result";
      job_id: string;
      nonce: number;
      id?: string | number;
      accepted: boolean;
      difficulty?: number;
      forwarded?: boolean;
      code?: number;
      error?: string;
    }
  | { type: "error"; code: string; message: string }
  | { type: "message"; text: string }
  /** No work can be had now (the pool is gone): stop hashing until the next work. After hello only. */
  | { type: "idle"; reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One JSON object with a non-empty string `type`, or E_BAD_FRAME. */
function parseMessage(text: string): { type: string; v: Record<string, unknown> } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new WsFrameError("E_BAD_FRAME", "not valid JSON", { length: text.length });
  }
  if (!isObject(v)) throw new WsFrameError("E_BAD_FRAME", "a message must be a JSON object");
  const type = own(v, "type");
  if (typeof type !== "string" || type === "")
    throw new WsFrameError("E_BAD_FRAME", "type must be a non-empty string");
  return { type, v };
}

/** One text message from a miner. */
export function decodeJsonClientMessage(text: string): JsonClientMessage {
  const { type, v } = parseMessage(text);
  switch (type) {
    case "share": {
      const work = own(v, "work");
      // The seed sends the job id inside the echoed work; a bare top-level job_id is read too.
      const jobId = readJobId(isObject(work) ? work : v, "job_id");
      const nonce = own(v, "nonce");
      if (typeof nonce !== "number" || !Number.isInteger(nonce) || nonce < 0 || nonce > MAX_NONCE) {
        throw new WsFrameError("E_BAD_FIELD", "nonce must be an integer 0..4294967295", { field: "nonce" });
      }
      const id = own(v, "id");
      if (
        id !== undefined &&
        id !== null &&
        !(typeof id === "number" && Number.isFinite(id)) &&
        !(typeof id === "string" && id.length <= MAX_ID_CHARS)
      ) {
        throw new WsFrameError(
          "E_BAD_FIELD",
          `id must be a number or a string of up to ${MAX_ID_CHARS} characters`,
          {
            field: "id",
          },
        );
      }
      return { type, jobId, nonce, id: id === undefined ? null : (id as string | number | null) };
    }
    case "ping":
      return { type };
    case "hello": {
      const worker = own(v, "worker");
      if (
        worker !== undefined &&
        worker !== null &&
        (typeof worker !== "string" || worker.length > MAX_WORKER_CHARS)
      ) {
        throw new WsFrameError(
          "E_BAD_FIELD",
          `worker must be a string of up to ${MAX_WORKER_CHARS} characters`,
          {
            field: "worker",
          },
        );
      }
      return { type, worker: typeof worker === "string" ? worker : null };
    }
    default:
      throw new WsFrameError("E_UNKNOWN_TYPE", "unknown message type", { type: type.slice(0, 32) });
  }
}

export function encodeJsonClientMessage(m: JsonClientMessage): string {
  switch (m.type) {
    case "share":
      // JSON.stringify leaves out the undefined members.
      return JSON.stringify({
        type: "share",
        work: { job_id: m.jobId },
        nonce: m.nonce,
        id: m.id ?? undefined,
      });
    case "ping":
      return '{"type":"ping"}';
    case "hello":
      return JSON.stringify({ type: "hello", worker: m.worker ?? undefined });
  }
}

/** The 15-byte tail of a share: the session's prefix, zeros, the nonce as u32 LE at 11..14. */
export function tailWithNonce(prefix: Uint8Array, nonce: number): Uint8Array {
  if (prefix.length < 1 || prefix.length > NONCE_AT)
    throw new RangeError(`prefix must be 1..${NONCE_AT} bytes`);
  if (!Number.isInteger(nonce) || nonce < 0 || nonce > MAX_NONCE) throw new RangeError("nonce must be a u32");
  const tail = new Uint8Array(NONCE_TAIL_BYTES);
  tail.set(prefix, 0);
  new DataView(tail.buffer).setUint32(NONCE_AT, nonce, true);
  return tail;
}

/** Bytes as LE u32 words (length a multiple of 4). */
export function bytesToWords(bytes: Uint8Array): number[] {
  if (bytes.length % 4 !== 0) throw new RangeError("length must be a multiple of 4");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Array<number>(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
}

/** LE u32 words back to bytes (what a miner does with `data` and `target`). */
export function wordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * words.length);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(4 * i, w >>> 0, true));
  return out;
}

/**
 * A job's work message, built once per job: the header words before the nonce and the solution
 * bytes before the tail are shared by every session, so only the session's nonce words, tail,
 * target and difficulty are serialised per miner (a full work message is ≈ 6 KB of JSON).
 */
export class JsonWorkTemplate {
  readonly jobId: string;
  readonly #dataHead: string;
  readonly #solutionHead: string;
  readonly #dataPad: string;

  constructor(jobId: string, head: Uint8Array, solution: Uint8Array) {
    checkTemplate(head, solution);
    this.jobId = jobId;
    this.#dataHead = bytesToWords(head).join(",");
    const padded = new Uint8Array(SOLUTION_BYTES);
    padded.set(solution);
    this.#solutionHead = Array.from(padded.subarray(0, SOLUTION_BYTES - NONCE_TAIL_BYTES)).join(",");
    this.#dataPad = new Array<number>(DATA_WORDS - HEADER_WORDS).fill(0).join(",");
  }

  /** The work message for a session: header nonce = prefix ‖ zeros, tail = prefix ‖ zeros. */
  encode(
    prefix: Uint8Array,
    target: Uint8Array,
    difficulty: number,
    startNonce = 0,
    maxNonce = MAX_NONCE,
  ): string {
    if (prefix.length < 1 || prefix.length > NONCE_AT)
      throw new RangeError(`prefix must be 1..${NONCE_AT} bytes`);
    if (target.length !== HASH_BYTES) throw new RangeError(`target must be ${HASH_BYTES} bytes`);
    const nonce = new Uint8Array(NONCE_BYTES);
    nonce.set(prefix);
    const tail = new Uint8Array(NONCE_TAIL_BYTES);
    tail.set(prefix);
    return (
      `{"type":"work","work":{"data":[${this.#dataHead},${bytesToWords(nonce).join(",")},${this.#dataPad}]` +
      `,"target":[${bytesToWords(target).join(",")}]` +
      `,"solution":[${this.#solutionHead},${Array.from(tail).join(",")}]` +
      `,"start_nonce":${startNonce},"max_nonce":${maxNonce},"job_id":${JSON.stringify(this.jobId)},"targetdiff":${JSON.stringify(difficulty)}}}`
    );
  }
}

export function encodeJsonServerMessage(m: JsonServerMessage): string {
  return JSON.stringify(m);
}

/** A result message for a share (only to clients that sent hello). */
export function jsonResult(jobId: string, nonce: number, id: string | number | null, v: WireVerdict): string {
  const base = { type: "result" as const, job_id: jobId, nonce, id: id ?? undefined };
  return encodeJsonServerMessage(
    v.accepted
      ? { ...base, accepted: true, difficulty: v.difficulty, forwarded: v.forwarded }
      : { ...base, accepted: false, code: v.code, error: v.message },
  );
}

export function jsonError(code: WsErrorCode, message: string): string {
  return encodeJsonServerMessage({ type: "error", code, message });
}

function words(v: unknown, n: number, field: string): number[] {
  if (
    !Array.isArray(v) ||
    v.length !== n ||
    !v.every((w) => typeof w === "number" && Number.isInteger(w) && w >= 0 && w <= 0xffff_ffff)
  ) {
    throw new WsFrameError("E_BAD_FIELD", `${field} must be ${n} u32 numbers`, { field });
  }
  return v as number[];
}

/** One text message from the bridge (what a seed miner or a test reads). */
export function decodeJsonServerMessage(text: string): JsonServerMessage {
  const { type, v } = parseMessage(text);
  if (type !== "work") return v as JsonServerMessage; // the small ones are read as sent
  const w = own(v, "work");
  if (!isObject(w)) throw new WsFrameError("E_BAD_FIELD", "work must be an object", { field: "work" });
  const solution = own(w, "solution");
  if (
    !Array.isArray(solution) ||
    solution.length !== SOLUTION_BYTES ||
    !solution.every((b) => typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 255)
  ) {
    throw new WsFrameError("E_BAD_FIELD", `solution must be ${SOLUTION_BYTES} byte values`, {
      field: "solution",
    });
  }
  const start = own(w, "start_nonce");
  const max = own(w, "max_nonce");
  const diff = own(w, "targetdiff");
  if (typeof start !== "number" || typeof max !== "number" || typeof diff !== "number")
    throw new WsFrameError("E_BAD_FIELD", "start_nonce, max_nonce and targetdiff must be numbers");
  return {
    type: "work",
    work: {
      data: words(own(w, "data"), DATA_WORDS, "data"),
      target: words(own(w, "target"), TARGET_WORDS, "target"),
      solution: solution as number[],
      start_nonce: start,
      max_nonce: max,
      job_id: readJobId(w, "job_id"),
      targetdiff: diff,
    },
  };
}
