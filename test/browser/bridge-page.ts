// bridge-page.ts — what the browser miner tests (miner.chromium.ts, https.chromium.ts) share:
// `vbridge bridge` as a subprocess (from source, or the binary in VBRIDGE_BIN) in a temporary
// directory with the test's config, its output kept and its address read from the "miners:" line;
// and a page whose WebSockets and sent frames are recorded, with its data-value readouts polled.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { decodeClientFrame } from "../../src/protocol/ws-msgpack.ts";

export const ROOT = join(import.meta.dir, "../..");

export interface BridgeProcess {
  /** The temporary directory it runs in (files the config names may go here). */
  readonly dir: string;
  /** "http://127.0.0.1:PORT" or "https://…", as its "miners:" line says. */
  readonly base: string;
  log(): string;
  /** SIGTERM, wait, remove the directory. */
  stop(): Promise<void>;
}

/** A temporary directory for the bridge (the caller may put certificates there before starting). */
export function bridgeDir(): string {
  return mkdtempSync(join(tmpdir(), "vbridge-browser-"));
}

/** Starts the bridge with `config` in `dir`; resolves with its address once it listens (20 s at most). */
export async function startBridgeProcess(dir: string, config: string): Promise<BridgeProcess> {
  writeFileSync(join(dir, "config.toml"), config);
  // resolve(): the bridge runs in the temporary directory; a relative VBRIDGE_BIN is the caller's.
  const cmd = process.env.VBRIDGE_BIN
    ? [resolve(process.env.VBRIDGE_BIN)]
    : [process.execPath, join(ROOT, "src/main.ts")];
  const proc = Bun.spawn([...cmd, "bridge", "--config", join(dir, "config.toml")], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  void new Response(proc.stderr as ReadableStream<Uint8Array>).text().then((t) => (log += t));
  const stop = async () => {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const address = new Promise<string>((ok, fail) => {
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return fail(new Error(`the bridge exited before listening:\n${log}`));
        log += decoder.decode(value);
        if (log.length > 256 * 1024) log = log.slice(-128 * 1024);
        const m = /miners: (https?:\/\/127\.0\.0\.1:\d+)\//.exec(log);
        if (m !== null) ok(m[1]!);
      }
    })();
  });
  try {
    const base = await Promise.race([
      address,
      Bun.sleep(20_000).then(() =>
        Promise.reject(new Error(`the bridge did not listen within 20 s:\n${log}`)),
      ),
    ]);
    return { dir, base, log: () => log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export interface WatchedPage {
  page: Page;
  /** URLs of the WebSockets the page opened. */
  sockets: string[];
  /** Types of the msgpack frames it sent. */
  sentTypes: string[];
  /** An element's data-value. */
  value(id: string): Promise<string | null>;
  /** Polls an element's data-value from here: the page's CSP rightly refuses eval'd predicates. */
  waitForValue(id: string, ok: (v: string | null) => boolean, timeoutMs: number): Promise<void>;
}

export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  const sockets: string[] = [];
  const sentTypes: string[] = [];
  page.on("websocket", (ws) => {
    sockets.push(ws.url());
    ws.on("framesent", (f) => {
      if (typeof f.payload !== "string") sentTypes.push(decodeClientFrame(new Uint8Array(f.payload)).type);
    });
  });
  const value = (id: string) => page.locator(`#${id}`).getAttribute("data-value");
  return {
    page,
    sockets,
    sentTypes,
    value,
    async waitForValue(id, ok, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = await value(id);
        if (ok(v)) return;
        if (Date.now() > until) throw new Error(`#${id} is ${v} after ${timeoutMs} ms`);
        await Bun.sleep(100);
      }
    },
  };
}
