// outage-stack.ts — the fault tests' stack: fault pools (test/support/fault-pool.ts) as upstream of
// a real bridge wired as `vbridge bridge` wires it (startBridgeStack + startDownstream, in this
// process, ephemeral loopback ports), and light miners of every kind that record what they were
// sent and when: msgpack and seed-JSON WebSocket clients, Stratum clients with and without
// mining.extranonce.subscribe. Also used by bench/outage.ts. Times are performance.now() ms.

import { decode } from "@msgpack/msgpack";
import type { Socket } from "bun";
import { startBridgeStack, downstreamOptions, type BridgeStack } from "../../src/cli/compose.ts";
import { startDownstream, type Downstream } from "../../src/downstream/index.ts";
import type { PoolClientOptions } from "../../src/upstream/index.ts";
import { encodeClientFrame, MSGPACK_SUBPROTOCOL } from "../../src/protocol/ws-msgpack.ts";
import { encodeJsonClientMessage, wordsToBytes } from "../../src/protocol/ws-json.ts";
import type { Logger } from "../../src/util/log.ts";
import { ADDRESS, testConfig } from "../bridge/harness.ts";
import type { FaultPool } from "../support/fault-pool.ts";

export { ADDRESS };

/** A log line with its level and time, kept in a bounded array. */
export interface LogLine {
  at: number;
  level: "debug" | "info" | "warn" | "error";
  text: string;
}

export function recordingLogger(lines: LogLine[], max = 20_000): Logger {
  const push = (level: LogLine["level"]) => (m: string, f?: Record<string, unknown>) => {
    if (lines.length >= max) lines.splice(0, max >> 1);
    lines.push({ at: performance.now(), level, text: f === undefined ? m : `${m} ${JSON.stringify(f)}` });
  };
  return { debug: push("debug"), info: push("info"), warn: push("warn"), error: push("error") };
}

export interface OutageStack {
  stack: BridgeStack;
  ds: Downstream;
  logs: LogLine[];
  health(): Promise<{ status: number; body: string }>;
  stats(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The bridge on these pools (failover order) with its HTTP/WS and Stratum servers. */
export function startOutageStack(
  pools: FaultPool[],
  values: Record<string, unknown> = {},
  client: Partial<PoolClientOptions> = {},
): OutageStack {
  const config = testConfig({
    "upstream.pools": pools.map((p) => p.url),
    "upstream.user": `${ADDRESS}.bridge`,
    "bridge.ws_difficulty": 0.001,
    "bridge.tcp_difficulty": 0.001,
    "bridge.max_connections_per_ip": 5000,
    ...values,
  });
  const logs: LogLine[] = [];
  const log = recordingLogger(logs);
  const stack = startBridgeStack(config, { log, client, tuning: { summaryIntervalSeconds: null } });
  let ds: Downstream;
  try {
    ds = startDownstream(stack.bridge, downstreamOptions({ ...config.bridge, port: 0 }), log, {
      stratumEphemeral: true,
      detectMs: 200,
    });
  } catch (e) {
    void stack.stop();
    throw e;
  }
  let stopped: Promise<void> | null = null;
  return {
    stack,
    ds,
    logs,
    async health() {
      try {
        const r = await fetch(`http://127.0.0.1:${ds.port}/health`, { signal: AbortSignal.timeout(3000) });
        return { status: r.status, body: await r.text() };
      } catch (e) {
        return { status: 0, body: String(e) };
      }
    },
    async stats() {
      const r = await fetch(`http://127.0.0.1:${ds.port}/stats`, { signal: AbortSignal.timeout(3000) });
      return (await r.json()) as Record<string, unknown>;
    },
    stop() {
      stopped ??= ds.stop().then(() => stack.stop());
      return stopped;
    },
  };
}

/** /health sampled every `everyMs` in the background until stop(). */
export class HealthWatch {
  readonly samples: { at: number; status: number; body: string }[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(s: OutageStack, everyMs = 100) {
    this.#done = (async () => {
      while (this.#running) {
        const h = await s.health();
        this.samples.push({ at: performance.now(), ...h });
        if (this.samples.length > 10_000) this.samples.splice(0, 5000);
        await Bun.sleep(everyMs);
      }
    })();
  }

  /** The first sample at or after `t` with this status, or null. */
  first(status: number, t: number): { at: number; status: number; body: string } | null {
    return this.samples.find((x) => x.at >= t && x.status === status) ?? null;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

/** Polls `f` until true; the timeout is a bound, never what a test measures. */
export async function until(f: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!f()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(5);
  }
}

export interface Work {
  at: number;
  jobId: string;
  /** The session's extranonce1 / prefix (hex). */
  prefix: string;
  clean: boolean;
}

/** What every light miner records. */
export interface LightMiner {
  readonly kind: string;
  readonly works: Work[];
  /** Everything else it was sent: [time, type or method]. */
  readonly others: { at: number; type: string; body: unknown }[];
  readonly closedAt: number | null;
  /** Work received at or after t. */
  workSince(t: number): Work | null;
  close(): void;
}

abstract class Recorder {
  readonly works: Work[] = [];
  readonly others: { at: number; type: string; body: unknown }[] = [];
  closedAt: number | null = null;
  workSince(t: number): Work | null {
    return this.works.find((w) => w.at >= t) ?? null;
  }
  protected note(type: string, body: unknown): void {
    if (this.others.length < 1000) this.others.push({ at: performance.now(), type, body });
  }
  protected addWork(w: Omit<Work, "at">): void {
    if (this.works.length >= 1000) this.works.splice(0, 500);
    this.works.push({ at: performance.now(), ...w });
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/**
 * A WebSocket miner that never hashes: msgpack (hello, then job frames; any other frame type —
 * results, errors, a pause or new-lease extension — is noted by its `t`) or the seed's JSON (work
 * messages; the prefix read from the work's nonce tail is not needed, the job id and time are).
 */
export class WsLight extends Recorder implements LightMiner {
  readonly ws: WebSocket;
  closeCode: number | null = null;

  private constructor(
    readonly kind: "msgpack" | "json",
    ws: WebSocket,
  ) {
    super();
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => this.#message(e.data as ArrayBuffer | string);
    ws.onclose = (e) => {
      this.closedAt = performance.now();
      this.closeCode = e.code;
    };
  }

  static open(kind: "msgpack" | "json", port: number, worker: string): Promise<WsLight> {
    const ws =
      kind === "msgpack"
        ? new WebSocket(`ws://127.0.0.1:${port}/ws`, [MSGPACK_SUBPROTOCOL])
        : new WebSocket(`ws://127.0.0.1:${port}/`);
    const m = new WsLight(kind, ws);
    return new Promise((resolve, reject) => {
      ws.onopen = () => {
        if (kind === "msgpack") ws.send(encodeClientFrame({ type: "hello", worker, agent: "outage" }));
        resolve(m);
      };
      ws.onerror = () => reject(new Error(`${kind} WebSocket failed to open`));
    });
  }

  /** The JSON miner's opt-in hello (after its first work, as ws-miner.ts does). */
  helloJson(worker: string): void {
    this.ws.send(encodeJsonClientMessage({ type: "hello", worker }));
  }

  close(): void {
    if (this.closedAt === null) this.ws.close();
  }

  #message(data: ArrayBuffer | string): void {
    if (typeof data !== "string") {
      let f: Record<string, unknown>;
      try {
        f = decode(new Uint8Array(data)) as Record<string, unknown>;
      } catch {
        return this.note("undecodable", null);
      }
      if (f.t === "job") {
        const prefix = f.x instanceof Uint8Array ? hex(f.x) : "";
        this.addWork({ jobId: String(f.j), prefix, clean: f.c === true });
      } else this.note(String(f.t), f);
      return;
    }
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return this.note("undecodable", data.slice(0, 80));
    }
    if (j.type === "work") {
      // The prefix is at the header nonce's start (bytes 108..); 8 bytes cover pool xn1 ‖ lease.
      const w = j.work as { job_id?: unknown; data?: unknown };
      const data = Array.isArray(w.data) ? wordsToBytes(w.data as number[]) : new Uint8Array(0);
      this.addWork({ jobId: String(w.job_id), prefix: hex(data.subarray(108, 116)), clean: true });
    } else this.note(String(j.type), j);
  }
}

type StratumData = { buf: string };

/** A Stratum miner: subscribe, (extranonce.subscribe), authorize; records notify, set_extranonce, reconnect. */
export class StratumLight extends Recorder implements LightMiner {
  readonly kind: string;
  extranonce1 = "";
  #socket: Socket<StratumData> | null = null;
  #id = 1;
  /** The method of each request sent, by id (to read results). */
  readonly #requests = new Map<number, string>();
  readonly results: { at: number; method: string; result: unknown; error: unknown }[] = [];

  private constructor(readonly xnsub: boolean) {
    super();
    this.kind = xnsub ? "stratum-xnsub" : "stratum";
  }

  static async open(port: number, worker: string, xnsub: boolean): Promise<StratumLight> {
    const m = new StratumLight(xnsub);
    m.#socket = await Bun.connect<StratumData>({
      hostname: "127.0.0.1",
      port,
      data: { buf: "" },
      socket: {
        data: (s, b) => m.#data(s, b.toString("utf8")),
        close: () => void (m.closedAt ??= performance.now()),
        error: () => void (m.closedAt ??= performance.now()),
      },
    });
    m.request("mining.subscribe", ["outage/1.0"]);
    if (xnsub) m.request("mining.extranonce.subscribe", []);
    m.request("mining.authorize", [worker, "x"]);
    return m;
  }

  request(method: string, params: unknown[]): void {
    const id = this.#id++;
    this.#requests.set(id, method);
    this.#socket?.write(JSON.stringify({ id, method, params }) + "\n");
  }

  close(): void {
    this.#socket?.end();
  }

  #data(s: Socket<StratumData>, text: string): void {
    s.data.buf += text;
    if (s.data.buf.length > 1 << 20) return void s.terminate();
    let nl: number;
    while ((nl = s.data.buf.indexOf("\n")) >= 0) {
      const line = s.data.buf.slice(0, nl);
      s.data.buf = s.data.buf.slice(nl + 1);
      let m: { id?: unknown; method?: string; params?: unknown[]; result?: unknown; error?: unknown };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        this.note("undecodable", line.slice(0, 80));
        continue;
      }
      if (typeof m.method === "string") {
        const p = m.params ?? [];
        if (m.method === "mining.notify")
          this.addWork({ jobId: String(p[0]), prefix: this.extranonce1, clean: p[7] === true });
        else {
          if (m.method === "mining.set_extranonce") this.extranonce1 = String(p[0]);
          this.note(m.method, p);
        }
      } else {
        const method = this.#requests.get(Number(m.id)) ?? "?";
        if (method === "mining.subscribe" && Array.isArray(m.result)) this.extranonce1 = String(m.result[1]);
        if (this.results.length < 1000)
          this.results.push({ at: performance.now(), method, result: m.result, error: m.error });
      }
    }
  }
}

/** Opens one miner of each kind (msgpack, JSON, Stratum with and without xnsub) and waits for work. */
export async function minersOfEveryKind(s: OutageStack, tag: string): Promise<LightMiner[]> {
  const mp = await WsLight.open("msgpack", s.ds.port, `${ADDRESS}.mp${tag}`);
  const js = await WsLight.open("json", s.ds.port, `${ADDRESS}.js${tag}`);
  const xn = await StratumLight.open(s.ds.stratumPort!, `${ADDRESS}.xn${tag}`, true);
  const st = await StratumLight.open(s.ds.stratumPort!, `${ADDRESS}.st${tag}`, false);
  const all = [mp, js, xn, st];
  await until(() => all.every((m) => m.works.length > 0), "first work at every miner", 10_000);
  js.helloJson(`${ADDRESS}.js${tag}`);
  return all;
}
