// ws-dialect.ts — the two WebSocket protocols seen through one small interface, so the connection
// (ws-connection.ts) handles hello / share / ping once and encodes through whichever its client
// speaks. The codecs themselves are sans-IO in src/protocol; this only maps them onto the
// connection's events and the core's MinerWork, and owns the share correlation tokens.

import type { MinerWork, ShareResult } from "../bridge/contract.ts";
import type { WsErrorCode } from "../protocol/ws-errors.ts";
import {
  decodeJsonClientMessage,
  encodeJsonServerMessage,
  jsonError,
  jsonResult,
} from "../protocol/ws-json.ts";
import {
  decodeClientFrame,
  encodeServerFrame,
  errorFrame,
  MAX_IDLE_REASON_CHARS,
  type WireVerdict,
} from "../protocol/ws-msgpack.ts";
import { jsonWorkMessage, msgpackJobFrame } from "./work.ts";

export type WsMode = "msgpack" | "json";

/** The transport's correlation token for a share (MinerSession.submit's `token`). */
export type ShareToken = { seq: number } | { jobId: string; nonce: number; id: string | number | null };

/** A client frame, whichever protocol it came in. */
export type Inbound =
  | { kind: "hello"; worker: string | null; agent: string | null }
  /** `nonce`: msgpack's tail bytes after the prefix, or JSON's u32 for tail bytes 11..14. */
  | { kind: "share"; jobId: string; nonce: Uint8Array | number; token: ShareToken }
  | { kind: "ping"; seq: number | null };

export type Outbound = Uint8Array | string;

export interface WsDialect {
  readonly mode: WsMode;
  /** Throws a WsFrameError for an unusable frame. */
  decode(message: Uint8Array | string): Inbound;
  job(w: MinerWork, clean: boolean): Outbound;
  welcome(session: number, worker: string): Outbound;
  /** null when the token is not one of this protocol's (never sent then). */
  result(token: unknown, v: WireVerdict): Outbound | null;
  message(text: string): Outbound;
  /** The session's prefix changed (sent before the clean job); null: the protocol has no such frame. */
  lease(prefix: Uint8Array): Outbound | null;
  /** No work can be had now: stop hashing until the next job. */
  idle(reason: string): Outbound;
  pong(seq: number | null): Outbound;
  /** `seq`: the msgpack share's `i` the error concerns (JSON has no such field). */
  error(code: WsErrorCode, message: string, seq?: number | null): Outbound;
}

export const MSGPACK_DIALECT: WsDialect = {
  mode: "msgpack",
  decode(message) {
    const f = decodeClientFrame(message as Uint8Array);
    switch (f.type) {
      case "hello":
        return { kind: "hello", worker: f.worker, agent: f.agent };
      case "share":
        return { kind: "share", jobId: f.jobId, nonce: f.nonce, token: { seq: f.seq } };
      case "ping":
        return { kind: "ping", seq: f.seq };
    }
  },
  job: msgpackJobFrame,
  welcome: (session, worker) => encodeServerFrame({ type: "welcome", session, worker }),
  result(token, verdict) {
    const t = token as Partial<{ seq: number }>;
    return typeof t.seq === "number" ? encodeServerFrame({ type: "result", seq: t.seq, verdict }) : null;
  },
  message: (text) => encodeServerFrame({ type: "message", text }),
  lease: (prefix) => encodeServerFrame({ type: "lease", prefix }),
  idle: (reason) => encodeServerFrame({ type: "idle", reason }),
  pong: (seq) => encodeServerFrame({ type: "pong", seq }),
  error: (code, message, seq = null) => errorFrame(code, message, seq),
};

export const JSON_DIALECT: WsDialect = {
  mode: "json",
  decode(message) {
    const m = decodeJsonClientMessage(message as string);
    switch (m.type) {
      case "hello":
        return { kind: "hello", worker: m.worker, agent: null };
      case "share":
        return {
          kind: "share",
          jobId: m.jobId,
          nonce: m.nonce,
          token: { jobId: m.jobId, nonce: m.nonce, id: m.id },
        };
      case "ping":
        return { kind: "ping", seq: null };
    }
  },
  job: (w) => jsonWorkMessage(w),
  welcome: (session, worker) => encodeJsonServerMessage({ type: "welcome", session, worker }),
  result(token, v) {
    const t = token as Partial<{ jobId: string; nonce: number; id: string | number | null }>;
    return typeof t.jobId === "string" && typeof t.nonce === "number"
      ? jsonResult(t.jobId, t.nonce, t.id ?? null, v)
      : null;
  },
  message: (text) => encodeJsonServerMessage({ type: "message", text }),
  lease: () => null, // the next work message carries the new prefix in its data and solution
  idle: (reason) => encodeJsonServerMessage({ type: "idle", reason: reason.slice(0, MAX_IDLE_REASON_CHARS) }),
  pong: () => '{"type":"pong"}',
  error: (code, message) => jsonError(code, message),
};

/** The core's verdict as both protocols put it on the wire. */
export function wireVerdict(r: ShareResult): WireVerdict {
  const o = r.outcome;
  return o.status === "accepted"
    ? { accepted: true, difficulty: o.difficulty, forwarded: o.forwarded }
    : { accepted: false, code: o.reject.code, message: o.reject.message };
}
