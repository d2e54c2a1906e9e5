// pool-messages.ts — everything a pool sends to a miner, typed: the notifications and requests
// of verus-stratum.md §3.3–3.5 and §3.8, plus responses passed through for the caller to type
// (results.ts), since a response's shape depends on the request it answers.
//
// Used by the pool client (decode) and by the built-in pool and the bridge's miner servers (encode).

import type { RpcId, RpcResponse } from "./jsonrpc.ts";
import { parseRpc, rpcCall, serializeRpc } from "./jsonrpc.ts";
import { decodeNotify, NOTIFY, notifyParams, type Notify } from "./notify.ts";
import {
  badParams,
  EXTRANONCE1_HEX,
  expectCount,
  readHex,
  readInteger,
  readNumber,
  readOptionalString,
  readPort,
  readString,
} from "./params.ts";
import { targetFromHex, targetToHex } from "./target.ts";

export type { Notify } from "./notify.ts";

export interface SetTarget {
  method: "mining.set_target";
  id: RpcId;
  /** The share target (set_target sends it as 64 hex digits, big-endian). */
  target: bigint;
}

/** Sent by some Equihash-family pools instead of set_target; convert with difficultyToTarget. */
export interface SetDifficulty {
  method: "mining.set_difficulty";
  id: RpcId;
  difficulty: number;
}

export interface SetExtranonce {
  method: "mining.set_extranonce";
  id: RpcId;
  extranonce1: string;
  /** Verus miners ignore it and use 32 − len(extranonce1). */
  extranonce2Size: number | null;
}

export interface Reconnect {
  method: "client.reconnect";
  id: RpcId;
  /** null: the same host. */
  host: string | null;
  /** null: the same port. Read as a number or a string; sent as a string (nheqminer needs it). */
  port: number | null;
  waitSeconds: number | null;
}

export interface ShowMessage {
  method: "client.show_message";
  id: RpcId;
  message: string;
}

export interface Ping {
  method: "mining.ping";
  id: RpcId;
}

export interface GetVersion {
  method: "client.get_version";
  id: RpcId;
}

/** A method this module does not know; the caller decides (v-nomp ignores, verusProxy answers 20). */
export interface UnknownMethod {
  method: "unknown";
  name: string;
  id: RpcId;
  params: unknown[];
}

export type PoolMessage =
  | SetTarget
  | SetDifficulty
  | Notify
  | SetExtranonce
  | Reconnect
  | ShowMessage
  | Ping
  | GetVersion
  | UnknownMethod;

/** Type the params of a pool → miner request or notification. */
export function decodePoolCall(id: RpcId, method: string, params: unknown[]): PoolMessage {
  switch (method) {
    case "mining.set_target":
      expectCount(method, params, 1);
      return { method, id, target: targetFromHex(readHex(method, params, 0, { hexChars: 64 })) };
    case "mining.set_difficulty": {
      expectCount(method, params, 1);
      const difficulty = readNumber(method, params, 0);
      if (difficulty <= 0) throw badParams(method, 0, "difficulty must be > 0");
      return { method, id, difficulty };
    }
    case NOTIFY:
      return decodeNotify(id, params);
    case "mining.set_extranonce":
      expectCount(method, params, 1);
      return {
        method,
        id,
        extranonce1: readHex(method, params, 0, EXTRANONCE1_HEX),
        extranonce2Size:
          params[1] === undefined || params[1] === null ? null : readInteger(method, params, 1, 0, 32),
      };
    case "client.reconnect": {
      const host = readOptionalString(method, params, 0, 255);
      return {
        method,
        id,
        host: host === "" ? null : host,
        port: readPort(method, params, 1),
        waitSeconds: params[2] === undefined || params[2] === null ? null : readNumber(method, params, 2),
      };
    }
    case "client.show_message":
      expectCount(method, params, 1);
      return { method, id, message: readString(method, params, 0) };
    case "mining.ping":
    case "client.get_version":
      return { method, id };
    default:
      return { method: "unknown", name: method, id, params };
  }
}

/** Decode one line received from a pool: a typed call, or a response for the caller to type. */
export function decodeFromPool(line: string): PoolMessage | RpcResponse {
  const m = parseRpc(line);
  return m.kind === "response" ? m : decodePoolCall(m.id, m.method, m.params);
}

function poolCallParams(m: PoolMessage): unknown[] {
  switch (m.method) {
    case "mining.set_target":
      return [targetToHex(m.target)];
    case "mining.set_difficulty":
      return [m.difficulty];
    case NOTIFY:
      return notifyParams(m);
    case "mining.set_extranonce":
      return m.extranonce2Size === null ? [m.extranonce1] : [m.extranonce1, m.extranonce2Size];
    case "client.reconnect": {
      if (m.host === null && m.port === null && m.waitSeconds === null) return [];
      const p: unknown[] = [m.host ?? "", m.port === null ? "" : String(m.port)];
      if (m.waitSeconds !== null) p.push(m.waitSeconds);
      return p;
    }
    case "client.show_message":
      return [m.message];
    case "mining.ping":
    case "client.get_version":
      return [];
    case "unknown":
      return m.params;
  }
}

/** One canonical line (without "\n"). Notifications should carry id null (verus-stratum.md §1). */
export function encodePoolMessage(m: PoolMessage): string {
  return serializeRpc(rpcCall(m.id, m.method === "unknown" ? m.name : m.method, poolCallParams(m)));
}
