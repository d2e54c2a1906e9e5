/**
 * The floor under bench/wss.ts's RSS per session: what Bun itself costs per idle connection, with
 * no bridge at all — a bare Bun.listen socket and a bare Bun.serve WebSocket, each plain and over
 * TLS, in a fresh process (`bun bench/wss-floor.ts serve MODE CERT KEY` is that process). The
 * difference between a plain and a TLS row is the TLS library's own state per connection, which no
 * code of ours can shrink.
 */
import { readFileSync } from "node:fs";

export type FloorMode = "listen" | "listen-tls" | "serve-ws" | "serve-wss";
export const FLOOR_MODES: readonly FloorMode[] = ["listen", "listen-tls", "serve-ws", "serve-wss"];

function rssNow(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** The server process: prints "PORT n", then "RSS bytes open" on each line of stdin. */
async function serve(mode: FloorMode, certFile: string, keyFile: string): Promise<void> {
  const tls = { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
  let open = 0;
  let port: number;
  if (mode === "listen" || mode === "listen-tls") {
    port = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      ...(mode === "listen-tls" ? { tls } : {}),
      socket: { open: () => void open++, data() {}, close: () => void open-- },
    }).port;
  } else {
    port = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      ...(mode === "serve-wss" ? { tls } : {}),
      fetch: (req, server) => (server.upgrade(req) ? undefined : new Response("no")),
      websocket: { idleTimeout: 0, open: () => void open++, message() {}, close: () => void open-- },
    }).port!;
  }
  console.log(`PORT ${port}`);
  for await (const _ of console) {
    Bun.gc(true);
    console.log(`RSS ${rssNow()} ${open}`);
  }
}

/** RSS per idle connection of `mode`, measured with `n` connections from this process. */
export async function measureFloor(
  mode: FloorMode,
  n: number,
  tls: { cert: string; key: string; ca: string },
): Promise<{ perConnection: number; open: number }> {
  const child = Bun.spawn([process.execPath, import.meta.path, "serve", mode, tls.cert, tls.key], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let text = "";
  const line = async (re: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = re.exec(text);
      if (m !== null) {
        text = text.slice(m.index + m[0].length);
        return m;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`floor ${mode}: the server exited`);
      text += new TextDecoder().decode(value);
    }
  };
  const sample = async (): Promise<[number, number]> => {
    let least = Infinity;
    let open = 0;
    for (let i = 0; i < 3; i++) {
      await Bun.sleep(300);
      child.stdin.write("x\n");
      const m = await line(/RSS (\d+) (\d+)\n/);
      least = Math.min(least, Number(m[1]));
      open = Number(m[2]);
    }
    return [least, open];
  };
  try {
    const port = Number((await line(/PORT (\d+)\n/))[1]);
    const [before] = await sample();
    const held: { close(): void }[] = [];
    const secure = mode === "listen-tls" || mode === "serve-wss";
    for (let i = 0; i < n; i++) {
      if (mode === "listen" || mode === "listen-tls") {
        const s = await Bun.connect({
          hostname: "127.0.0.1",
          port,
          ...(secure ? { tls: { ca: tls.ca } } : {}),
          socket: { data() {} },
        });
        held.push({ close: () => s.end() });
      } else {
        const ws = new WebSocket(`${secure ? "wss" : "ws"}://127.0.0.1:${port}/`, {
          tls: { ca: tls.ca },
        } as unknown as string[]);
        await new Promise((ok, fail) => {
          ws.onopen = ok;
          ws.onerror = fail;
        });
        held.push(ws);
      }
    }
    const [after, open] = await sample();
    for (const h of held) h.close();
    return { perConnection: (after - before) / n, open };
  } finally {
    child.kill();
  }
}

if (import.meta.main && process.argv[2] === "serve")
  await serve(process.argv[3] as FloorMode, process.argv[4]!, process.argv[5]!);
