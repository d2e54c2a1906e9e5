// outgoing.ts — every line the pool client writes: its four requests (subscribe, authorize,
// extranonce.subscribe, submit) in canonical form, and its answers to the pool's requests
// (verus-stratum.md §3.8) as a pure function. ccminer's behaviour is the model for the answers:
// show_message → true, get_version → our agent, mining.ping → "pong" (we never ping a pool
// ourselves: v-nomp does not answer, §7), an unknown method with an id → [20, "unknown method"] as
// verusProxy answers. client.reconnect is honoured (a Redirect). Lines are without "\n".

import {
  encodeMinerMessage,
  pongReply,
  serializeRpc,
  type RpcId,
  type RpcResponse,
} from "../protocol/index.ts";
import type { GetVersion, Ping, Reconnect, ShowMessage, UnknownMethod } from "../protocol/index.ts";

import type { UpstreamShare } from "./events.ts";

/** ccminer's form: [agent] on a first connect, [agent, previous subscription id] on a reconnect. */
export function subscribeLine(id: number, userAgent: string, sessionId: string | null): string {
  return encodeMinerMessage({ method: "mining.subscribe", id, userAgent, sessionId, host: null, port: null });
}

export function authorizeLine(id: number, user: string, password: string): string {
  return encodeMinerMessage({ method: "mining.authorize", id, user, password });
}

export function extranonceSubscribeLine(id: number): string {
  return encodeMinerMessage({ method: "mining.extranonce.subscribe", id });
}

/** [worker, job id, nTime, extranonce2, solution], all verbatim (verus-stratum.md §3.6). */
export function submitLine(id: number, worker: string, s: UpstreamShare): string {
  const { jobId, nTime, extranonce2, solution } = s;
  return encodeMinerMessage({ method: "mining.submit", id, worker, jobId, nTime, extranonce2, solution });
}

export type PoolRequest = Reconnect | ShowMessage | GetVersion | Ping | UnknownMethod;

/** Where and when to reconnect, as client.reconnect asked (null host/port: the same). */
export interface Redirect {
  host: string | null;
  port: number | null;
  waitMs: number;
}

export interface RequestAnswer {
  /** One canonical line (without "\n"), or null for a notification. */
  reply: string | null;
  /** client.show_message text. */
  message: string | null;
  redirect: Redirect | null;
  /** A note for the log (an unknown method, a clamped wait). */
  note: string | null;
}

/** Longest client.reconnect wait we honour; a longer one is clamped (and noted). */
export const MAX_REDIRECT_WAIT_MS = 10 * 60_000;

function respond(id: RpcId, r: Omit<RpcResponse, "kind" | "id">): string | null {
  return id === null ? null : serializeRpc({ kind: "response", id, ...r });
}

export function answerPoolRequest(m: PoolRequest, userAgent: string): RequestAnswer {
  const none = { reply: null, message: null, redirect: null, note: null };
  switch (m.method) {
    case "client.reconnect": {
      const wait = Math.max(0, (m.waitSeconds ?? 0) * 1000);
      const note = wait > MAX_REDIRECT_WAIT_MS ? `client.reconnect wait of ${m.waitSeconds} s clamped` : null;
      return {
        ...none,
        note,
        redirect: { host: m.host, port: m.port, waitMs: Math.min(wait, MAX_REDIRECT_WAIT_MS) },
      };
    }
    case "client.show_message":
      return { ...none, message: m.message, reply: respond(m.id, { result: true, error: null }) };
    case "client.get_version":
      return { ...none, reply: respond(m.id, { result: userAgent, error: null }) };
    case "mining.ping":
      return { ...none, reply: m.id === null ? null : serializeRpc(pongReply(m.id)) };
    case "unknown":
      return {
        ...none,
        note: `unknown method ${m.name.slice(0, 64)} from the pool`,
        reply: respond(m.id, { result: null, error: { code: 20, message: "unknown method" } }),
      };
  }
}
