// results.ts — typed results of responses (whose shape depends on the request they answer) and
// the replies a server sends: subscribe, the boolean answers, and submit verdicts 20–25.
//
// verus-stratum.md §3.1 (both subscribe shapes), §3.3, §3.7 (error arrays of 2 or 3 elements,
// `result` null or false on rejection).

import { ProtocolError } from "./errors.ts";
import { isHex } from "./hex.ts";
import type { RpcError, RpcId, RpcResponse } from "./jsonrpc.ts";
import { EXTRANONCE1_HEX } from "./params.ts";
import { classifyReject, rejectToRpcError, type ShareReject } from "./reject.ts";

export interface SubscribeResult {
  /** The subscription id: v-nomp's "mining.notify" subscription, Miningcore's connection id, or null. */
  subscriptionId: string | null;
  /** Lowercase hex, 1..31 bytes. xn1 ‖ xn2 fills the 32-byte header nonce. */
  extranonce1: string;
  /** result[2] when present. Verus miners ignore it and use 32 − len(extranonce1). */
  extranonce2Size: number | null;
}

function badResult(why: string): ProtocolError {
  return new ProtocolError("E_BAD_RESULT", why);
}

function subscriptionIdOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (!Array.isArray(v)) throw badResult("subscribe result[0] must be null, a string or subscription pairs");
  // One ["mining.notify", id] pair, or a list of [method, id] pairs (v-nomp sends set_difficulty and notify).
  const pairs: unknown[] = typeof v[0] === "string" ? [v] : v;
  let first: string | null = null;
  for (const p of pairs) {
    if (!Array.isArray(p) || typeof p[0] !== "string" || typeof p[1] !== "string") {
      throw badResult("subscribe result[0] pairs must be [method, id] strings");
    }
    if (p[0] === "mining.notify") return p[1];
    first ??= p[1];
  }
  return first;
}

/**
 * Every result shape pools send: `[null, xn1]` (node-stratum-pool), `[subId, xn1]` (verusProxy),
 * `[[["mining.set_difficulty", id], ["mining.notify", id]], xn1, 8]` (v-nomp), `[connId, xn1, n]`.
 */
export function decodeSubscribeResult(result: unknown): SubscribeResult {
  if (!Array.isArray(result) || result.length < 2)
    throw badResult("subscribe result must be an array of at least 2 elements");
  const xn1 = result[1];
  if (
    typeof xn1 !== "string" ||
    !isHex(xn1) ||
    xn1.length < EXTRANONCE1_HEX.minChars ||
    xn1.length > EXTRANONCE1_HEX.maxChars
  ) {
    throw badResult("subscribe result[1] (extranonce1) must be 1 to 31 bytes of hex");
  }
  const size = result[2];
  if (
    size !== undefined &&
    size !== null &&
    !(typeof size === "number" && Number.isInteger(size) && size >= 0 && size <= 32)
  ) {
    throw badResult("subscribe result[2] (extranonce2 size) must be an integer 0..32");
  }
  return {
    subscriptionId: subscriptionIdOf(result[0]),
    extranonce1: xn1.toLowerCase(),
    extranonce2Size: typeof size === "number" ? size : null,
  };
}

/**
 * The canonical subscribe result: the 2-element `[subId, xn1]` every miner and verusProxy accept
 * (verus-stratum.md §3.1), or 3 elements when an extranonce2 size is given.
 */
export function encodeSubscribeResult(r: SubscribeResult): unknown[] {
  return r.extranonce2Size === null
    ? [r.subscriptionId, r.extranonce1]
    : [r.subscriptionId, r.extranonce1, r.extranonce2Size];
}

export function subscribeReply(id: RpcId, r: SubscribeResult): RpcResponse {
  return { kind: "response", id, result: encodeSubscribeResult(r), error: null };
}

/** authorize / extranonce.subscribe / pbaas.subscribe: ok only for `result: true` without an error. */
export function decodeBooleanResult(r: RpcResponse): { ok: boolean; error: RpcError | null } {
  if (r.result !== true && r.result !== false && r.result !== null)
    throw badResult("expected true, false or null");
  return { ok: r.result === true && r.error === null, error: r.error };
}

/** A boolean answer; node-stratum-pool answers an unsupported extranonce.subscribe with false + [20, "Not supported.", null]. */
export function booleanReply(id: RpcId, ok: boolean, error: RpcError | null = null): RpcResponse {
  return { kind: "response", id, result: ok, error };
}

export type SubmitOutcome = { accepted: true } | { accepted: false; reject: ShareReject };

/**
 * A pool's answer to mining.submit. An error always means rejected (even beside `result: true`);
 * `result` may be null or false on rejection. Note that the 2020 VerusCoin pool answers `true` to
 * everything (verus-stratum.md §3.7): `accepted` is what the pool said, not the truth.
 */
export function decodeSubmitResult(r: RpcResponse): SubmitOutcome {
  if (r.result !== true && r.result !== false && r.result !== null)
    throw badResult("submit result must be true, false or null");
  if (r.error !== null) return { accepted: false, reject: classifyReject(r.error) };
  if (r.result === true) return { accepted: true };
  return { accepted: false, reject: { code: -1, reason: "unspecified", message: "" } };
}

/** A submit reply in node-stratum-pool's shape; verusProxy uses `rejectResult: false`. */
export function submitReply(
  id: RpcId,
  outcome: SubmitOutcome,
  rejectResult: null | false = null,
): RpcResponse {
  return outcome.accepted
    ? { kind: "response", id, result: true, error: null }
    : { kind: "response", id, result: rejectResult, error: rejectToRpcError(outcome.reject) };
}

/** mining.ping answered the way ccminer does. */
export function pongReply(id: RpcId): RpcResponse {
  return { kind: "response", id, result: "pong", error: null };
}
