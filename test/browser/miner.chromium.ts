// The browser miner end to end in headless Chromium: `vbridge bridge` on the built-in pool (from
// source, or the binary in VBRIDGE_BIN), the page it serves, a user who presses Start and Stop.
// Nothing may run before Start (no socket, no worker, no share); after Start, shares are accepted
// within a minute; after Stop, the workers are gone and the hashrate reads 0. A screenshot of the
// running page goes to test-artifacts/. Run by `make test-browser` (not by `bun test`).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { decodeClientFrame } from "../../src/protocol/ws-msgpack.ts";
import { launchChromium } from "./chromium.ts";

const ROOT = join(import.meta.dir, "../..");
const ARTIFACTS = join(ROOT, "test-artifacts");
// A share costs ~8192 × difficulty hashes: at difficulty 4 one worker (~0.4 MH/s) finds several a
// second — quick to see, well under the bridge's 20 shares/s per session. The pool's own
// difficulty is the same, so every share is also forwarded to and checked by the built-in pool.
const DIFFICULTY = 4;
const CONFIG = `
[upstream]
pools = ["builtin"]
[builtin_pool]
port = 0
difficulty = ${DIFFICULTY}
[bridge]
host = "127.0.0.1"
port = PORT
ws_difficulty = ${DIFFICULTY}
min_difficulty = 0.001
ledger = ""
`;

let dir: string;
let bridge: ReturnType<typeof Bun.spawn>;
let bridgeLog = "";
let base: string;
let browser: Browser;
let page: Page;
const sockets: string[] = [];
const sentTypes: string[] = [];

/** A port nothing listens on right now (bridge.port must be 1..65535, so the test picks one). */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Reads the bridge's stdout (all of it, into bridgeLog) and resolves with its HTTP address. */
function bridgeAddress(stdout: ReadableStream<Uint8Array>): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = stdout.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return reject(new Error(`the bridge exited before listening:\n${bridgeLog}`));
        bridgeLog += decoder.decode(value);
        const m = /miners: (http:\/\/127\.0\.0\.1:\d+)\//.exec(bridgeLog);
        if (m !== null) resolve(m[1]!);
      }
    })();
  });
}

const value = (id: string) => page.locator(`#${id}`).getAttribute("data-value");

/** Polls an element's data-value from here: the page's CSP rightly refuses eval'd predicates. */
async function waitForValue(id: string, ok: (v: string | null) => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await value(id);
    if (ok(v)) return;
    if (Date.now() > until) throw new Error(`#${id} is ${v} after ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vbridge-browser-"));
  writeFileSync(join(dir, "config.toml"), CONFIG.replace("PORT", String(freePort())));
  const cmd = process.env.VBRIDGE_BIN
    ? [process.env.VBRIDGE_BIN]
    : [process.execPath, join(ROOT, "src/main.ts")];
  bridge = Bun.spawn([...cmd, "bridge", "--config", join(dir, "config.toml")], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
  });
  void new Response(bridge.stderr as ReadableStream<Uint8Array>).text().then((t) => (bridgeLog += t));
  base = await Promise.race([
    bridgeAddress(bridge.stdout as ReadableStream<Uint8Array>),
    Bun.sleep(20_000).then(() =>
      Promise.reject(new Error(`the bridge did not listen within 20 s:\n${bridgeLog}`)),
    ),
  ]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  page.on("websocket", (ws) => {
    sockets.push(ws.url());
    ws.on("framesent", (f) => {
      if (typeof f.payload !== "string") sentTypes.push(decodeClientFrame(new Uint8Array(f.payload)).type);
    });
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  bridge?.kill("SIGTERM");
  await bridge?.exited;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test("before Start: the notice, and nothing running — no socket, no worker, hashrate 0", async () => {
  await page.goto(`${base}/`);
  await expect(page.locator(".notice").textContent()).resolves.toContain(
    "mines Verus (VRSC) with your computer's processor",
  );
  await page.waitForTimeout(2_000); // time for anything that would start on its own
  expect(sockets).toEqual([]);
  expect(page.workers()).toHaveLength(0);
  expect(await value("hashrate")).toBe("0");
  expect(await page.locator("body").getAttribute("data-state")).toBe("stopped");
  expect(await page.locator("#stop").isDisabled()).toBe(true);
});

test("Start: workers hash, share frames go out and shares are accepted within 60 s", async () => {
  await page.click("#start");
  await waitForValue("accepted", (v) => Number(v) > 0, 60_000);
  expect(sockets).toHaveLength(1);
  expect(new URL(sockets[0]!).pathname).toBe("/ws");
  expect(sentTypes[0]).toBe("hello");
  expect(sentTypes.filter((t) => t === "share").length).toBeGreaterThan(0);
  expect(page.workers().length).toBeGreaterThan(0);
  await waitForValue("hashrate", (v) => Number(v) > 0, 5_000);
  expect(await value("impl")).toBe("wasm-simd");
  expect(await value("difficulty")).toBe(String(DIFFICULTY));
  expect(await value("rejected")).toBe("0");
  await page.waitForTimeout(2_000); // a few seconds of hashrate and results for the screenshot
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "browser-miner.png"), fullPage: true });
}, 90_000);

test("Stop: the workers are gone at once and the hashrate reads 0", async () => {
  await page.click("#stop");
  await waitForValue("hashrate", (v) => v === "0", 5_000);
  // terminate() is immediate; Playwright hears of each worker's end a moment later
  for (let i = 0; i < 50 && page.workers().length > 0; i++) await Bun.sleep(20);
  expect(page.workers()).toHaveLength(0);
  expect(await page.locator("body").getAttribute("data-state")).toBe("stopped");
  await waitForValue("status", (v) => v === "stopped", 10_000);
  const shares = sentTypes.filter((t) => t === "share").length;
  await page.waitForTimeout(1_000);
  expect(sentTypes.filter((t) => t === "share").length).toBe(shares); // nothing found after Stop
}, 30_000);
