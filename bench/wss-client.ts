/**
 * The client process of bench/wss.ts (spawned pinned to its own core, with an IPC channel): opens
 * WebSocket sessions to a bridge as msgpack miners do — connect (TLS when asked, trusting the
 * bench's CA), the upgrade, a hello frame — with a bounded number in flight, and keeps every one
 * open and idle until told to exit. A session counts as open once the bridge's first frame after
 * the 101 (its welcome) arrived. Raw sockets: one small object per session, no frame decoding.
 *
 * Commands (parent → here) and reports (here → parent) are ToClient / FromClient below.
 */
import type { Socket } from "bun";
import { encodeClientFrame, MSGPACK_SUBPROTOCOL } from "../src/protocol/ws-msgpack.ts";
import { clientFrame } from "./raw-ws.ts";

export type ToClient =
  { cmd: "connect"; port: number; ca: string | null; count: number; concurrency: number } | { cmd: "exit" };

export type FromClient =
  | {
      ev: "connected";
      ok: number;
      failed: number;
      ms: number;
      /** This process's CPU time over the connects (user + system). */
      cpuMs: number;
      firstError: string | null;
      /** Sessions that were open and have been closed since (by the bridge): should stay 0. */
      lost: number;
      /** Milliseconds from connect to the welcome, per opened session: p50 and p99. */
      p50: number;
      p99: number;
    }
  | { ev: "error"; message: string };

const send = (m: FromClient) => process.send!(m);
const latin1 = new TextDecoder("latin1");
const open: Socket<Session>[] = [];
let lost = 0;

/** One session's handshake state; settles once with the outcome. */
class Session {
  head = "";
  upgraded = false;
  opened = false;
  constructor(
    readonly port: number,
    readonly id: number,
  ) {}

  request(): string {
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    return (
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${MSGPACK_SUBPROTOCOL}\r\n\r\n`
    );
  }

  hello(): Uint8Array {
    return clientFrame(
      encodeClientFrame({
        type: "hello",
        worker: `RBenchWssxxxxxxxxxxxxxxxxxxxxxxxxx.s${this.id}`,
        agent: "wss-bench",
      }),
    );
  }
}

/** Worker names are unique across batches. */
let nextId = 0;

function connectOne(port: number, ca: string | null, id: number): Promise<string | null> {
  return new Promise((resolve) => {
    let finished = false;
    const finish = (error: string | null) => {
      if (finished) return;
      finished = true;
      resolve(error);
    };
    const opened = (s: Socket<Session>) => {
      s.data.opened = true;
      open.push(s);
      finish(null);
    };
    const session = new Session(port, id);
    Bun.connect<Session>({
      hostname: "127.0.0.1",
      port,
      data: session,
      ...(ca === null ? {} : { tls: { ca, serverName: "localhost" } }),
      socket: {
        binaryType: "uint8array",
        open: (s) => void s.write(s.data.request()),
        data: (s, chunk) => {
          const st = s.data;
          if (st.upgraded) {
            // The welcome (or any first frame): the session is open.
            if (!finished) opened(s);
            return;
          }
          st.head += latin1.decode(chunk);
          const end = st.head.indexOf("\r\n\r\n");
          if (end < 0) return;
          if (!st.head.startsWith("HTTP/1.1 101")) {
            finish(st.head.split("\r\n")[0]!);
            s.end();
            return;
          }
          st.upgraded = true;
          s.write(st.hello());
          if (st.head.length > end + 4 && !finished) opened(s);
        },
        close: (s) => {
          if (s.data.opened) lost++;
          finish("closed");
        },
        error: (_s, e) => finish(e.message),
        connectError: (_s, e) => finish(e.message),
      },
    }).catch((e: Error) => finish(e.message));
  });
}

async function connect(m: Extract<ToClient, { cmd: "connect" }>): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | null = null;
  const times: number[] = [];
  const worker = async () => {
    while (next < m.count) {
      next++;
      const s0 = performance.now();
      const error = await connectOne(m.port, m.ca, nextId++);
      if (error === null) {
        ok++;
        times.push(performance.now() - s0);
      } else {
        failed++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(m.concurrency, m.count) }, worker));
  const cpu = process.cpuUsage(cpu0);
  send({
    ev: "connected",
    ok,
    failed,
    ms: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    firstError,
    lost,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
  });
}

function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

process.on("message", (m: ToClient) => {
  if (m.cmd === "exit") {
    for (const s of open) s.terminate();
    process.exit(0);
  }
  connect(m).catch((e: unknown) =>
    send({ ev: "error", message: e instanceof Error ? e.message : String(e) }),
  );
});
