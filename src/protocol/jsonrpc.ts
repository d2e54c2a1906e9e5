// jsonrpc.ts — the Stratum JSON-RPC envelope: one line in, a request, notification or response out;
// and back to one canonical line.
//
// Liberal in (STYLE.md principle 11): any key order (ccminer puts "id" after "params"), ids that
// are numbers, strings or null, missing params, errors as [code, msg], [code, msg, data],
// {code, message, data}, a bare string, or `true` (node-stratum-pool's get_transactions reply).
// Canonical out: keys in the order id, method, params / id, result, error; errors as arrays.

import { ProtocolError } from "./errors.ts";

export type RpcId = number | string | null;

/** A JSON-RPC error. `data` is kept only when the sender included a third element / member. */
export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

export interface RpcRequest {
  kind: "request";
  id: number | string;
  method: string;
  params: unknown[];
}

/** A request without an id (Stratum sends "id": null; a missing id is read the same way). */
export interface RpcNotification {
  kind: "notification";
  id: null;
  method: string;
  params: unknown[];
}

export interface RpcResponse {
  kind: "response";
  id: RpcId;
  result: unknown;
  error: RpcError | null;
}

export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readId(v: unknown): RpcId {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  throw new ProtocolError("E_BAD_ID", "id must be a number, a string or null", { type: typeof v });
}

function readCode(v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d{1,9}$/.test(v)) return Number(v);
  throw new ProtocolError("E_BAD_ERROR", "error code must be a number", { type: typeof v });
}

function readMessage(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  throw new ProtocolError("E_BAD_ERROR", "error message must be a string", { type: typeof v });
}

/** Normalise the `error` member of a response. */
export function readRpcError(v: unknown): RpcError | null {
  if (v === undefined || v === null || v === false) return null;
  if (v === true) return { code: -1, message: "" };
  if (typeof v === "string") return { code: -1, message: v };
  if (Array.isArray(v)) {
    if (v.length === 0 || v.length > 3)
      throw new ProtocolError("E_BAD_ERROR", "error array must have 1 to 3 elements", { length: v.length });
    const e: RpcError = { code: readCode(v[0]), message: readMessage(v[1]) };
    if (v.length === 3) e.data = v[2];
    return e;
  }
  if (isObject(v)) {
    const e: RpcError = { code: readCode(v.code), message: readMessage(v.message) };
    if ("data" in v && v.data !== undefined) e.data = v.data;
    return e;
  }
  throw new ProtocolError("E_BAD_ERROR", "error must be null, an array or an object", { type: typeof v });
}

/** Classify an already-parsed JSON value (e.g. one element of a daemon RPC batch). */
export function toRpcMessage(v: unknown): RpcMessage {
  if (!isObject(v))
    throw new ProtocolError("E_NOT_OBJECT", "a JSON-RPC message must be a JSON object", {
      type: Array.isArray(v) ? "array" : v === null ? "null" : typeof v,
    });
  if (v.method !== undefined && v.method !== null) {
    const method = v.method;
    if (typeof method !== "string" || method.length === 0)
      throw new ProtocolError("E_BAD_METHOD", "method must be a non-empty string", { type: typeof method });
    const rawParams = v.params;
    let params: unknown[];
    if (rawParams === undefined || rawParams === null) params = [];
    else if (Array.isArray(rawParams)) params = rawParams;
    else
      throw new ProtocolError("E_BAD_PARAMS", "params must be an array", { method, type: typeof rawParams });
    return rpcCall(readId(v.id), method, params);
  }
  if ("result" in v || "error" in v) {
    return {
      kind: "response",
      id: readId(v.id),
      result: v.result === undefined ? null : v.result,
      error: readRpcError(v.error),
    };
  }
  throw new ProtocolError("E_NOT_RPC", "neither a request (method) nor a response (result/error)");
}

/** Parse one line (without its "\n"). */
export function parseRpc(line: string): RpcMessage {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ProtocolError("E_BAD_JSON", "line is not valid JSON", { length: line.length });
  }
  return toRpcMessage(v);
}

/** The JSON value of an error in canonical form: [code, message] or [code, message, data]. */
export function rpcErrorToJson(e: RpcError): unknown[] {
  return e.data === undefined ? [e.code, e.message] : [e.code, e.message, e.data];
}

/** One canonical line (without "\n"). */
export function serializeRpc(m: RpcMessage): string {
  if (m.kind === "response") {
    return JSON.stringify({
      id: m.id,
      result: m.result,
      error: m.error === null ? null : rpcErrorToJson(m.error),
    });
  }
  return JSON.stringify({ id: m.id, method: m.method, params: m.params });
}

/** Build a request (id non-null) or notification (id null). */
export function rpcCall(id: RpcId, method: string, params: unknown[]): RpcRequest | RpcNotification {
  return id === null ? { kind: "notification", id, method, params } : { kind: "request", id, method, params };
}
