// miner-messages.ts — everything a miner sends to a pool, typed (verus-stratum.md §3.1–3.3, §3.6,
// §3.8), plus responses passed through (a miner answers mining.ping / client.get_version).
//
// Used by the built-in pool and the bridge's miner servers (decode) and the pool client (encode).
// mining.submit is decoded structurally only (five strings): wrong lengths and bad hex are share
// rejects with the pool's exact texts, which the validator (validate.ts) produces in pool order.

import type { RpcId, RpcResponse } from "./jsonrpc.ts";
import { parseRpc, rpcCall, serializeRpc } from "./jsonrpc.ts";
import { expectCount, readHex, readOptionalString, readString } from "./params.ts";
import { targetFromHex, targetToHex } from "./target.ts";

export interface Subscribe {
  method: "mining.subscribe";
  id: RpcId;
  /** ["ccminer_CPU/3.8.3"], ["BloxMiner/1.0.0"], …; absent in a bare `[]`. */
  userAgent: string | null;
  /** The previous subscription id on reconnect (ccminer), or null. */
  sessionId: string | null;
  /** nheqminer's `[agent, null, host, port]`: where the miner thinks it connected. */
  host: string | null;
  port: string | null;
}

export interface Authorize {
  method: "mining.authorize";
  id: RpcId;
  /** ADDRESS[.WORKER] (see splitUser). */
  user: string;
  password: string | null;
}

export interface ExtranonceSubscribe {
  method: "mining.extranonce.subscribe";
  id: RpcId;
}

/** The five submit params, verbatim (see the module comment for why they are not checked here). */
export interface SubmitParams {
  worker: string;
  jobId: string;
  /** 8 hex digits, must equal the job's nTime. */
  nTime: string;
  /** Hex, 64 − len(extranonce1 hex) digits. */
  extranonce2: string;
  /** 2694 hex digits: "fd4005" + the 1344-byte solution. */
  solution: string;
}

export interface Submit extends SubmitParams {
  method: "mining.submit";
  id: RpcId;
}

export interface MinerPing {
  method: "mining.ping";
  id: RpcId;
}

/** Miningcore only: the miner asks for a share target. */
export interface SuggestTarget {
  method: "mining.suggest_target";
  id: RpcId;
  target: bigint;
}

/** Methods seen but without Verus semantics (verusProxy's pbaas.subscribe, get_transactions). */
export interface OpaqueCall {
  method: "mining.pbaas.subscribe" | "mining.get_transactions";
  id: RpcId;
  params: unknown[];
}

export interface UnknownMinerMethod {
  method: "unknown";
  name: string;
  id: RpcId;
  params: unknown[];
}

export type MinerMessage =
  | Subscribe
  | Authorize
  | ExtranonceSubscribe
  | Submit
  | MinerPing
  | SuggestTarget
  | OpaqueCall
  | UnknownMinerMethod;

/** Type the params of a miner → pool request or notification. */
export function decodeMinerCall(id: RpcId, method: string, params: unknown[]): MinerMessage {
  switch (method) {
    case "mining.subscribe": {
      const port = params[3];
      return {
        method,
        id,
        userAgent: readOptionalString(method, params, 0),
        sessionId: readOptionalString(method, params, 1),
        host: readOptionalString(method, params, 2),
        port:
          typeof port === "number" && Number.isInteger(port)
            ? String(port)
            : readOptionalString(method, params, 3),
      };
    }
    case "mining.authorize":
      expectCount(method, params, 1);
      return {
        method,
        id,
        user: readString(method, params, 0),
        password: readOptionalString(method, params, 1),
      };
    case "mining.extranonce.subscribe":
      return { method, id };
    case "mining.submit":
      // Extra params (none seen for Verus) are ignored, as node-stratum-pool reads params[0..4].
      expectCount(method, params, 5);
      return {
        method,
        id,
        worker: readString(method, params, 0),
        // Any string: an unknown (even empty) job id is the pool's "21 job not found", not a decode error.
        jobId:
          typeof params[1] === "number" && Number.isSafeInteger(params[1])
            ? String(params[1])
            : readString(method, params, 1),
        nTime: readString(method, params, 2),
        extranonce2: readString(method, params, 3),
        solution: readString(method, params, 4),
      };
    case "mining.ping":
      return { method, id };
    case "mining.suggest_target":
      expectCount(method, params, 1);
      return { method, id, target: targetFromHex(readHex(method, params, 0, { hexChars: 64 })) };
    case "mining.pbaas.subscribe":
    case "mining.get_transactions":
      return { method, id, params };
    default:
      return { method: "unknown", name: method, id, params };
  }
}

/** Decode one line received from a miner: a typed call, or a response for the caller to type. */
export function decodeFromMiner(line: string): MinerMessage | RpcResponse {
  const m = parseRpc(line);
  return m.kind === "response" ? m : decodeMinerCall(m.id, m.method, m.params);
}

/** Trailing nulls dropped: the shortest params that decode to the same value. */
function trimNulls(p: unknown[]): unknown[] {
  let n = p.length;
  while (n > 0 && p[n - 1] === null) n--;
  return p.slice(0, n);
}

export function submitParamsOf(s: SubmitParams): string[] {
  return [s.worker, s.jobId, s.nTime, s.extranonce2, s.solution];
}

function minerCallParams(m: MinerMessage): unknown[] {
  switch (m.method) {
    case "mining.subscribe":
      return trimNulls([m.userAgent, m.sessionId, m.host, m.port]);
    case "mining.authorize":
      return m.password === null ? [m.user] : [m.user, m.password];
    case "mining.extranonce.subscribe":
    case "mining.ping":
      return [];
    case "mining.submit":
      return submitParamsOf(m);
    case "mining.suggest_target":
      return [targetToHex(m.target)];
    case "mining.pbaas.subscribe":
    case "mining.get_transactions":
    case "unknown":
      return m.params;
  }
}

/** One canonical line (without "\n"). */
export function encodeMinerMessage(m: MinerMessage): string {
  return serializeRpc(rpcCall(m.id, m.method === "unknown" ? m.name : m.method, minerCallParams(m)));
}

/** Split ADDRESS[.WORKER] on the first "." (as the pools do). */
export function splitUser(user: string): { address: string; worker: string | null } {
  const dot = user.indexOf(".");
  return dot < 0
    ? { address: user, worker: null }
    : { address: user.slice(0, dot), worker: user.slice(dot + 1) };
}
