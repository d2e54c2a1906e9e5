// http-connection.ts — one socket of the bridge's HTTP/WebSocket port, after its doorway: HTTP/1.1
// requests (keep-alive, pipelined) answered by http.ts's routes, until an upgrade makes it a
// WebSocket whose messages go to a WsConnection (ws-connection.ts). Deadlines: a request head
// within bridge.handshake_timeout, the next request of a keep-alive connection within
// bridge.keepalive_timeout; a half-sent head or an idle keep-alive holds a slot only that long,
// and counts as pending (closed first when the cap needs room). Behind a trusted proxy, the
// client is the one its forwarding headers name (net/forwarded.ts), for the per-IP cap, the
// loopback-only routes and the logs.
//
// A route may answer with a promise (the operator API reads the ledger): the connection waits for
// it at most ROUTE_TIMEOUT_MS (then 503), holds what a pipelining client sends meanwhile (capped),
// and drops the answer if the socket closed first. A reply with a `stream` (Server-Sent Events)
// turns the connection into a one-way stream: a head without Content-Length, `Connection: close`,
// then the stream's events until it ends or the socket goes.

import type { AddressSet } from "../net/addresses.ts";
import { forwardedClient } from "../net/forwarded.ts";
import {
  HttpError,
  renderResponse,
  renderSwitch,
  RequestHeadReader,
  type RequestHead,
} from "../net/http1.ts";
import type { NetSocket } from "../net/listener.ts";
import { Outbox } from "../net/outbox.ts";
import { encodeClose, encodeFrame, WsProtocolError } from "../net/websocket.ts";
import { WsFrameReader, type WsFrameSink } from "../net/ws-frame-reader.ts";
import { WS_CLOSE_CODES, type RefusalCode } from "../protocol/close-codes.ts";
import { SHUT_DETAIL, type Client, type Inner, type ShutCode } from "./doorway.ts";
import type { GateVerdict } from "./gate.ts";
import type { EventStream } from "./api/live.ts";
import { route, text, type HttpReply, type HttpRoutes } from "./http.ts";
import { WsConnection, type WsContext, type WsPeer } from "./ws-connection.ts";
import { decideUpgrade, type UpgradeOptions } from "./ws-upgrade.ts";

export interface HttpConnectionContext {
  routes: HttpRoutes;
  upgrade: UpgradeOptions;
  ws: WsContext;
  trusted: AddressSet;
  /** The listener serves TLS: the scheme the client used is https. */
  tls: boolean;
  headerMs: number;
  keepAliveMs: number;
  maxHeadBytes: number;
  /** Bytes queued for one socket before it is a slow reader (the WebSocket cap is the session's). */
  maxOutboundBytes: number;
  nextWsId(): number;
  /** A WebSocket session opened (the server counts them). */
  opened(c: WsConnection): void;
  stopping(): boolean;
  refused(code: RefusalCode, ip: string, detail: string): void;
  now(): number;
}

/** Requests one keep-alive connection may carry (then it is closed, as nginx does by default). */
const MAX_REQUESTS = 1000;
/** A connection told to close that has not finished flushing is cut after this long. */
const CLOSE_GRACE_MS = 5000;
/** The longest a route's promise is waited for (a ledger read), then 503. */
export const ROUTE_TIMEOUT_MS = 10_000;

type Mode = "http" | "ws" | "stream" | "closing";

export class HttpConnection implements Inner, WsPeer, WsFrameSink {
  readonly #socket: NetSocket;
  readonly #client: Client;
  readonly #ctx: HttpConnectionContext;
  readonly #outbox: Outbox;
  #reader: RequestHeadReader | null;
  #frames: WsFrameReader | null = null;
  #ws: WsConnection | null = null;
  #mode: Mode = "http";
  #deadline: number;
  /** Waiting for the first byte of a keep-alive request (not inside a head). */
  #idle = false;
  #requests = 0;
  #gone = false;
  /** A route's promise is pending: input is held, not parsed, until it is answered. */
  #waiting = false;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #stream: EventStream | null = null;

  constructor(socket: NetSocket, client: Client, ctx: HttpConnectionContext) {
    this.#socket = socket;
    this.#client = client;
    this.#ctx = ctx;
    this.#outbox = new Outbox(ctx.maxOutboundBytes);
    this.#reader = new RequestHeadReader({ maxHeadBytes: ctx.maxHeadBytes, maxHeaders: 64 });
    this.#deadline = ctx.now() + ctx.headerMs;
  }

  // ------------------------------------------------------------------------- socket events (Inner)

  onData(chunk: Uint8Array): void {
    if (this.#gone) return;
    if (this.#mode === "ws") return this.#frameData(chunk);
    if (this.#mode === "closing" || this.#mode === "stream") return; // an event stream's client only listens
    if (this.#waiting) return this.#hold(chunk);
    if (this.#idle) {
      this.#idle = false;
      this.#deadline = this.#ctx.now() + this.#ctx.headerMs;
    }
    let input = chunk;
    for (;;) {
      let head: RequestHead | null;
      try {
        head = this.#reader!.push(input);
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        this.#ctx.refused(e.code, this.#client.ip, e.message);
        return this.#reply(
          { status: e.status, headers: { "Content-Type": "text/plain" }, body: `${e.code}\n` },
          false,
          false,
        );
      }
      if (head === null) return;
      this.#request(head);
      if (this.#waiting) return this.#hold(this.#reader!.takeRest());
      if (this.#mode !== "http") break;
      // Pipelined: the next request is already here.
      input = this.#reader!.takeRest();
      if (input.length === 0) return;
      this.#idle = false;
      this.#deadline = this.#ctx.now() + this.#ctx.headerMs;
    }
    const rest = this.#reader?.takeRest();
    this.#reader = null;
    if (this.#mode === "ws" && rest !== undefined && rest.length > 0) this.#frameData(rest);
  }

  onDrain(): void {
    if (this.#gone) return;
    const r = this.#outbox.flush(this.#socket);
    if (r === "flushed" && this.#mode === "closing") this.#socket.shutdown();
  }

  onClosed(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#outbox.clear();
    this.#held = [];
    this.#stream?.stop();
    this.#stream = null;
    this.#ws?.onPeerClose();
  }

  tick(now: number): void {
    if (this.#gone) return;
    if (this.#mode === "ws") return this.#ws!.tick(now);
    if (this.#mode === "stream" || this.#waiting) return; // bounded by the stream's end / ROUTE_TIMEOUT_MS
    if (now < this.#deadline) return;
    if (this.#mode === "closing") return this.terminate();
    this.#ctx.refused(
      this.#idle ? "E_KEEPALIVE_TIMEOUT" : "E_HEADER_TIMEOUT",
      this.#client.ip,
      this.#idle ? "keep-alive connection idle" : "no complete request head in time",
    );
    this.terminate();
  }

  shut(code: ShutCode): void {
    if (this.#gone) return;
    if (this.#ws !== null && this.#mode === "ws") return this.#ws.close(code, SHUT_DETAIL[code]);
    if (this.#mode === "stream") {
      // The server stopping (or needing room): the stream ends with a FIN, its events all written.
      this.#stopStream();
      return this.#closeAfterFlush();
    }
    this.#ctx.refused(code, this.#client.ip, "");
    this.terminate();
  }

  // ------------------------------------------------------------------------------- HTTP requests

  #request(head: RequestHead): void {
    this.#requests++;
    const fwd = this.#client.trustedPeer
      ? forwardedClient(this.#client.ip, this.#ctx.trusted, (n) => head.headers.get(n) ?? null)
      : null;
    const client = fwd?.client ?? this.#client.ip;
    const upgrade = (head.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
    if (head.path === "/ws" || (head.path === "/" && upgrade)) {
      const proto = fwd?.proto ?? (this.#ctx.tls ? "https" : null);
      const d = decideUpgrade(head, { proto, host: fwd?.host ?? null }, this.#ctx.upgrade);
      if (d.kind === "reply") {
        if (d.refused !== null) this.#ctx.ws.counters.refuse(d.refused);
        return this.#reply(d.reply, head.method === "HEAD", head.keepAlive);
      }
      let refusal: "E_BRIDGE_CLOSING" | "E_UNAUTHORIZED" | Exclude<GateVerdict, "ok"> | null = null;
      if (this.#ctx.stopping()) refusal = "E_BRIDGE_CLOSING";
      else if (d.unauthorized) refusal = "E_UNAUTHORIZED";
      else {
        const v = this.#client.slot.claim(client);
        if (v !== "ok") refusal = v;
      }
      this.#send(renderSwitch(d.accept, d.protocol));
      this.#mode = "ws";
      this.#frames = new WsFrameReader({ maxMessageBytes: this.#ctx.ws.jsonFrameBytes });
      const id = this.#ctx.nextWsId();
      if (refusal !== null) {
        this.#ctx.ws.counters.refuse(refusal);
        this.#ctx.ws.log.debug(`ws ${id} from ${client} refused: ${refusal}`);
        return this.#closeWith(WS_CLOSE_CODES[refusal], refusal);
      }
      this.#client.slot.settle();
      this.#ws = new WsConnection(this, this.#ctx.ws, {
        id,
        remote: client,
        mode: d.mode,
        worker: d.worker,
        agent: d.agent,
      });
      this.#ctx.ws.log.debug(`ws ${id} from ${client} connected (${d.mode ?? "protocol by first frame"})`);
      this.#ctx.opened(this.#ws);
      this.#ws.start();
      return;
    }
    const authorization = head.headers.get("authorization") ?? null;
    const reply = route(
      { method: head.method, path: head.path, query: head.query, client, authorization },
      this.#ctx.routes,
    );
    const answer = (r: HttpReply) => {
      const keepAlive = head.keepAlive && !this.#ctx.stopping() && this.#requests < MAX_REQUESTS;
      this.#reply(r, head.method === "HEAD", keepAlive);
    };
    if (!(reply instanceof Promise)) return answer(reply);
    this.#await(reply, answer);
  }

  /** A route's promise: answered when it settles (503 past ROUTE_TIMEOUT_MS), unless the socket went. */
  #await(reply: Promise<HttpReply>, answer: (r: HttpReply) => void): void {
    this.#waiting = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<HttpReply>((resolve) => {
      timer = setTimeout(
        () => resolve(text("the answer took too long (E_ROUTE_TIMEOUT)\n", 503)),
        ROUTE_TIMEOUT_MS,
      );
    });
    Promise.race([reply, timeout])
      .catch((e: unknown) => {
        this.#ctx.ws.log.error(
          `http route failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        return text("internal error\n", 500);
      })
      .then((r) => {
        clearTimeout(timer);
        this.#waiting = false;
        if (this.#gone || this.#mode !== "http") {
          r.stream?.stop(); // opened for a socket that is gone: give its place back
          return;
        }
        answer(r);
        // What a pipelining client sent meanwhile: the next requests.
        const held = this.#takeHeld();
        if (held.length > 0 && this.#mode === "http") this.onData(held);
      });
  }

  /** Input while a route's promise is pending: kept (at most a few heads' worth) for after it. */
  #hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > 4 * this.#ctx.maxHeadBytes) {
      this.#ctx.refused(
        "E_HTTP_TOO_LARGE",
        this.#client.ip,
        "too much pipelined while an answer was pending",
      );
      this.#held = [];
      return this.terminate();
    }
    this.#held.push(bytes.slice());
  }

  #takeHeld(): Uint8Array {
    const out = new Uint8Array(this.#heldBytes);
    let at = 0;
    for (const b of this.#held) {
      out.set(b, at);
      at += b.length;
    }
    this.#held = [];
    this.#heldBytes = 0;
    return out;
  }

  #reply(r: HttpReply, headOnly: boolean, keepAlive: boolean): void {
    if (r.stream !== undefined) return this.#startStream(r, headOnly);
    this.#send(renderResponse(r.status, r.headers, r.body, { head: headOnly, keepAlive }));
    if (!keepAlive) return this.#closeAfterFlush();
    this.#idle = true;
    this.#client.slot.unsettle();
    this.#deadline = this.#ctx.now() + this.#ctx.keepAliveMs;
  }

  // ---------------------------------------------------------------------------- event streams

  /** The head (no Content-Length: the body ends when the connection does), then the stream's events. */
  #startStream(r: HttpReply, headOnly: boolean): void {
    const stream = r.stream!;
    let head = `HTTP/1.1 ${r.status} OK\r\n`;
    for (const [k, v] of Object.entries(r.headers)) head += `${k}: ${v}\r\n`;
    this.#send(new TextEncoder().encode(`${head}Connection: close\r\n\r\n`));
    if (headOnly || this.#ctx.stopping()) {
      stream.stop();
      return this.#closeAfterFlush();
    }
    this.#mode = "stream";
    this.#stream = stream;
    this.#client.slot.unsettle();
    const encoder = new TextEncoder();
    stream.start({
      send: (text) => {
        if (this.#gone || this.#mode !== "stream") return false;
        // A reader too slow for a few hundred KiB of events is cut (the outbox's cap).
        const w = this.#outbox.send(encoder.encode(text), this.#socket);
        if (w === "overflow") {
          this.#stream = null;
          this.terminate();
          return false;
        }
        return true;
      },
      end: () => {
        if (this.#mode !== "stream") return;
        this.#stream = null;
        this.#closeAfterFlush();
      },
    });
  }

  #stopStream(): void {
    const s = this.#stream;
    this.#stream = null;
    s?.stop();
  }

  // ------------------------------------------------------------------------------- WebSocket

  #frameData(chunk: Uint8Array): void {
    try {
      this.#frames!.push(chunk, this);
    } catch (e) {
      if (!(e instanceof WsProtocolError)) throw e;
      this.#ctx.ws.counters.badFrames++;
      if (this.#ws !== null && !this.#ws.closed)
        this.#ws.close(e.code === "E_WS_TOO_LARGE" ? "E_FRAME_TOO_LARGE" : "E_MALFORMED", e.message);
      else this.#closeWith(e.closeCode, e.code);
    }
  }

  /** WsFrameSink: a whole message from the client. */
  frameMessage(data: string | Uint8Array): void {
    this.#ws?.onMessage(data);
  }

  /** WsFrameSink: a ping, answered with its payload (RFC 6455 §5.5.2). */
  framePing(payload: Uint8Array): void {
    this.#send(encodeFrame(10, payload));
  }

  framePong(): void {}

  /** WsFrameSink: the client's close, answered with its code (§5.5.1), then the socket ends. */
  frameClose(code: number | null): void {
    this.#closeWith(code, "");
    this.#ws?.onPeerClose();
  }

  // WsPeer: what WsConnection sends through.
  send(data: Uint8Array | string): number {
    if (this.#mode !== "ws") return -1;
    const frame = encodeFrame(typeof data === "string" ? 1 : 2, data);
    const r = this.#outbox.send(frame, this.#socket);
    return r === "written" ? frame.length : r === "overflow" ? 0 : -1;
  }

  bufferedAmount(): number {
    return this.#outbox.pendingBytes;
  }

  close(code: number, reason: string): void {
    this.#closeWith(code, reason);
  }

  terminate(): void {
    if (this.#gone) return;
    this.#stopStream();
    this.#socket.terminate();
  }

  /** A close frame (no code when null), then the socket ends once it is written. */
  #closeWith(code: number | null, reason: string): void {
    if (this.#mode === "closing" || this.#gone) return;
    this.#send(code === null ? encodeFrame(8, new Uint8Array(0)) : encodeClose(code, reason));
    this.#closeAfterFlush();
  }

  // ------------------------------------------------------------------------------------ helpers

  #send(bytes: Uint8Array): void {
    if (this.#gone || this.#mode === "closing") return;
    const r = this.#outbox.send(bytes, this.#socket);
    if (r === "overflow") this.terminate();
  }

  /**
   * Our side is done: a FIN once the queue is written, then reading on (and dropping) until the
   * peer closes, at most CLOSE_GRACE_MS. Closing with its bytes unread would make the kernel send
   * a reset, and a reset makes the peer drop what it had not read yet: our close frame, our
   * response (RFC 9112 §9.6). Meanwhile the socket may be closed to make room.
   */
  #closeAfterFlush(): void {
    this.#mode = "closing";
    this.#deadline = this.#ctx.now() + CLOSE_GRACE_MS;
    this.#client.slot.unsettle();
    if (this.#outbox.pendingBytes === 0) this.#socket.shutdown();
  }
}
