// ws-upgrade.ts — the WebSocket upgrade checks of GET /ws (or / with Upgrade: websocket, where seed
// miners connect): the handshake itself (RFC 6455 §4.2.1), Origin, token, protocol choice. Pure:
// the connection (http-connection.ts) applies the decision. Connections refused after the upgrade
// are closed at once with a coded reason, because a browser cannot read the status of a failed
// upgrade; only a foreign Origin is refused with HTTP 403, so no other site's page ever gets a
// socket.

import type { RequestHead } from "../net/http1.ts";
import { acceptKey, validClientKey } from "../net/websocket.ts";
import { JSON_SUBPROTOCOL } from "../protocol/ws-json.ts";
import { MAX_AGENT_CHARS, MAX_WORKER_CHARS, MSGPACK_SUBPROTOCOL } from "../protocol/ws-msgpack.ts";
import { originAllowed, tokenMatches } from "./access.ts";
import { text, type HttpReply } from "./http.ts";
import type { WsMode } from "./ws-connection.ts";

export interface UpgradeOptions {
  origins: readonly string[];
  token: string;
}

/** What a trusted proxy said about the client's request (net/forwarded.ts); nulls otherwise. */
export interface ForwardedRequest {
  /** "https"/"http": said by a trusted proxy, or known from the listener (TLS); null: unknown. */
  proto: string | null;
  host: string | null;
}

export type UpgradeDecision =
  | { kind: "reply"; reply: HttpReply; refused: "E_ORIGIN" | null }
  | {
      kind: "switch";
      /** Sec-WebSocket-Accept. */
      accept: string;
      /** The subprotocol echoed, if the client offered one we speak. */
      protocol: string | null;
      mode: WsMode | null;
      worker: string | null;
      agent: string | null;
      /** The access token was wrong or missing: closed with E_UNAUTHORIZED once open. */
      unauthorized: boolean;
    };

const SUBPROTOCOLS: Readonly<Record<string, WsMode>> = {
  [MSGPACK_SUBPROTOCOL]: "msgpack",
  [JSON_SUBPROTOCOL]: "json",
};

export function isUpgrade(head: RequestHead): boolean {
  return (head.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}

export function decideUpgrade(head: RequestHead, fwd: ForwardedRequest, o: UpgradeOptions): UpgradeDecision {
  const h = head.headers;
  const connection = (h.get("connection") ?? "").toLowerCase();
  if (!isUpgrade(head) || head.method !== "GET" || !/\bupgrade\b/.test(connection))
    return { kind: "reply", reply: { ...upgradeExpected() }, refused: null };
  if (h.get("sec-websocket-version") !== "13") {
    const r = text("WebSocket version 13 only\n", 426);
    return {
      kind: "reply",
      reply: { ...r, headers: { ...r.headers, "Sec-WebSocket-Version": "13" } },
      refused: null,
    };
  }
  const key = h.get("sec-websocket-key") ?? null;
  if (!validClientKey(key))
    return { kind: "reply", reply: text("bad WebSocket handshake\n", 400), refused: null };
  // Behind a trusted proxy the client asked for the proxy's host: the same-origin check uses it.
  const host = fwd.host ?? h.get("host") ?? null;
  if (!originAllowed(h.get("origin") ?? null, host, o.origins, fwd.proto))
    return {
      kind: "reply",
      reply: text("E_ORIGIN: this page's origin may not connect\n", 403),
      refused: "E_ORIGIN",
    };
  const query = new URLSearchParams(head.query); // never logged: it may carry the token
  const offered = (h.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const chosen = offered.find((p) => p in SUBPROTOCOLS) ?? null;
  const asked = query.get("protocol");
  const mode: WsMode | null =
    chosen !== null ? SUBPROTOCOLS[chosen]! : asked === "msgpack" || asked === "json" ? asked : null;
  return {
    kind: "switch",
    accept: acceptKey(key!),
    protocol: chosen,
    mode,
    worker: bounded(query.get("worker"), MAX_WORKER_CHARS),
    agent: bounded(h.get("user-agent") ?? null, MAX_AGENT_CHARS),
    unauthorized: !tokenMatches(query.get("token"), o.token),
  };
}

function upgradeExpected(): HttpReply {
  const r = text("WebSocket upgrade expected\n", 426);
  return { ...r, headers: { ...r.headers, Upgrade: "websocket" } };
}

function bounded(s: string | null, max: number): string | null {
  return s === null || s === "" ? null : s.slice(0, max);
}
