// tls-clients.ts — the TLS clients of the end-to-end tests (tls.test.ts, tls-reload.test.ts), each
// trusting the test CA: a wss miner (msgpack or JSON subprotocol) that can prove its connection still
// works with a ping, a stratum+ssl miner speaking JSON-RPC lines over node:tls, and a bare handshake
// that reports which certificate a server presents (how the reload tests tell leaf A from leaf B).
// Everything received is capped; every wait is bounded.

import { createHash } from "node:crypto";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import {
  decodeJsonServerMessage,
  encodeJsonClientMessage,
  JSON_SUBPROTOCOL,
} from "../../src/protocol/ws-json.ts";
import {
  decodeServerFrame,
  encodeClientFrame,
  MSGPACK_SUBPROTOCOL,
  type MsgpackServerFrame,
} from "../../src/protocol/ws-msgpack.ts";
import { until } from "./stack.ts";

/** Lowercase hex SHA-256 of the certificate the server at `port` presents (chain not checked). */
export function presentedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect(
      { host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false },
      () => {
        const raw = s.getPeerCertificate().raw;
        s.destroy();
        resolve(createHash("sha256").update(raw).digest("hex"));
      },
    );
    s.once("error", reject);
    s.setTimeout(5_000, () => s.destroy(new Error("TLS handshake timed out")));
  });
}

const MAX_QUEUED = 1_000;

/** A wss miner on `/ws` that trusts `ca`: msgpack (hello → welcome, job) or JSON (work → hello → welcome). */
export class WssMiner {
  readonly frames: (MsgpackServerFrame | { type: string })[] = [];
  isClosed = false;
  readonly #ws: WebSocket;
  readonly kind: "msgpack" | "json";

  private constructor(kind: "msgpack" | "json", ws: WebSocket) {
    this.kind = kind;
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      if (this.frames.length >= MAX_QUEUED) this.frames.splice(0, MAX_QUEUED / 2);
      this.frames.push(
        typeof e.data === "string"
          ? decodeJsonServerMessage(e.data)
          : decodeServerFrame(new Uint8Array(e.data as ArrayBuffer)),
      );
    };
    ws.onclose = () => (this.isClosed = true);
  }

  /** Connects and waits for the welcome and a job (work); rejects when the handshake fails. */
  static async open(kind: "msgpack" | "json", port: number, ca: string): Promise<WssMiner> {
    const protocol = kind === "msgpack" ? MSGPACK_SUBPROTOCOL : JSON_SUBPROTOCOL;
    // Bun's WebSocket takes `tls` like fetch does; the DOM typing lacks it.
    const init = { protocols: [protocol], tls: { ca } } as unknown as string[];
    const m = new WssMiner(kind, new WebSocket(`wss://127.0.0.1:${port}/ws`, init));
    await new Promise<void>((resolve, reject) => {
      m.#ws.onopen = () => resolve();
      m.#ws.onerror = () => reject(new Error(`wss ${kind}: the connection failed`));
    });
    if (kind === "msgpack") {
      m.#ws.send(encodeClientFrame({ type: "hello", worker: "RAddr.tls", agent: "tls-e2e" }));
      await m.until((f) => f.type === "job", "a job frame");
      await m.until((f) => f.type === "welcome", "the welcome");
    } else {
      await m.until((f) => f.type === "work", "a work message");
      m.#ws.send(encodeJsonClientMessage({ type: "hello", worker: "RAddr.tls" }));
      await m.until((f) => f.type === "welcome", "the welcome");
    }
    return m;
  }

  get protocol(): string {
    return this.#ws.protocol;
  }

  /** Sends a ping and waits for its pong: the connection works both ways. */
  async ping(seq: number): Promise<void> {
    const before = this.frames.length;
    this.#ws.send(
      this.kind === "msgpack"
        ? encodeClientFrame({ type: "ping", seq })
        : encodeJsonClientMessage({ type: "ping" }),
    );
    await this.until(
      (f, i) => i >= before && f.type === "pong" && (this.kind === "json" || ("seq" in f && f.seq === seq)),
      `pong ${seq}`,
    );
  }

  async until(
    ok: (f: { type: string }, index: number) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<void> {
    await until(
      () => {
        if (this.frames.some(ok)) return true;
        if (this.isClosed) throw new Error(`wss ${this.kind} closed while waiting for ${what}`);
        return false;
      },
      `wss ${this.kind}: ${what}`,
      timeoutMs,
    );
  }

  close(): void {
    if (!this.isClosed) this.#ws.close();
  }
}

/** A stratum+ssl miner: JSON-RPC lines over node:tls, trusting `ca`. */
export class StratumTlsMiner {
  readonly lines: { id?: unknown; method?: string; result?: unknown; error?: unknown }[] = [];
  isClosed = false;
  readonly #s: TLSSocket;
  #buffer = "";
  #id = 1;

  private constructor(s: TLSSocket) {
    this.#s = s;
    s.setEncoding("utf8");
    s.on("data", (chunk: string) => {
      this.#buffer += chunk;
      if (this.#buffer.length > 1 << 20) return void s.destroy(new Error("over 1 MiB without a newline"));
      let nl: number;
      while ((nl = this.#buffer.indexOf("\n")) >= 0) {
        const line = this.#buffer.slice(0, nl).trim();
        this.#buffer = this.#buffer.slice(nl + 1);
        if (line === "") continue;
        if (this.lines.length >= MAX_QUEUED) this.lines.splice(0, MAX_QUEUED / 2);
        this.lines.push(JSON.parse(line) as StratumTlsMiner["lines"][number]);
      }
    });
    s.on("close", () => (this.isClosed = true));
    s.on("error", () => (this.isClosed = true));
  }

  /** Connects (chain verified against `ca`), subscribes and authorizes; resolves at the first job. */
  static async open(port: number, ca: string, user = "RAddr.stratum"): Promise<StratumTlsMiner> {
    const s = tlsConnect({ host: "127.0.0.1", port, ca, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      s.once("secureConnect", () => resolve());
      s.once("error", reject);
    });
    const m = new StratumTlsMiner(s);
    await m.call("mining.subscribe", ["tls-e2e/1.0"]);
    await m.call("mining.authorize", [user, "x"]);
    await m.until((l) => l.method === "mining.notify", "a mining.notify");
    return m;
  }

  /** Sends a call and resolves with its answer (a line with the same id). */
  async call(method: string, params: unknown[]): Promise<StratumTlsMiner["lines"][number]> {
    const id = this.#id++;
    this.#s.write(`${JSON.stringify({ id, method, params })}\n`);
    await this.until((l) => l.id === id && l.method === undefined, `the answer to ${method}`);
    return this.lines.find((l) => l.id === id && l.method === undefined)!;
  }

  async until(
    ok: (l: StratumTlsMiner["lines"][number]) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<void> {
    await until(
      () => {
        if (this.lines.some(ok)) return true;
        if (this.isClosed) throw new Error(`stratum+ssl closed while waiting for ${what}`);
        return false;
      },
      `stratum+ssl: ${what}`,
      timeoutMs,
    );
  }

  close(): void {
    this.#s.destroy();
  }
}
