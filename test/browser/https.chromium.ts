// The browser miner over https end to end (issue 11): `vbridge bridge` with a certificate from a CA
// the test makes (test/support/tls-ca.ts), from source or the binary in VBRIDGE_BIN, serves the
// page on https://; headless Chromium opens it, presses Start, and mines through wss:// (an https
// page may open nothing else) until shares are accepted.
//
// "The test CA trusted": headless Chromium reads trust anchors from an NSS database in the profile,
// which would need certutil and a profile we manage. Instead the launch adds
// --ignore-certificate-errors-spki-list=<SHA-256 of the leaf's public key>: Chromium accepts a chain
// that does not verify only when one of its keys is in that list (the switch is honoured because
// playwright passes --user-data-dir). So exactly this leaf is trusted, for https and wss alike;
// any other certificate still fails, which the first test shows with a second leaf's key listed.
// Run by `make test-browser` (not by `bun test`).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { decodeClientFrame } from "../../src/protocol/ws-msgpack.ts";
import { makeTestCa, type TestCa, type TestLeaf } from "../support/tls-ca.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium.ts";

const ROOT = join(import.meta.dir, "../..");
// As in miner.chromium.ts: a share every ~8192 × 4 hashes, well under 20 shares/s per session, and
// the pool's difficulty the same, so every share is forwarded to the built-in pool too.
const DIFFICULTY = 4;

let dir: string;
let ca: TestCa;
let leaf: TestLeaf;
let bridge: ReturnType<typeof Bun.spawn>;
let bridgeLog = "";
let base: string;
let browser: Browser;
let page: Page;
const sockets: string[] = [];
const sentTypes: string[] = [];

function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Reads the bridge's stdout (all of it, into bridgeLog) and resolves with its https address. */
function bridgeAddress(stdout: ReadableStream<Uint8Array>): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = stdout.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return reject(new Error(`the bridge exited before listening:\n${bridgeLog}`));
        bridgeLog += decoder.decode(value);
        if (bridgeLog.length > 256 * 1024) bridgeLog = bridgeLog.slice(-128 * 1024);
        const m = /miners: (https:\/\/127\.0\.0\.1:\d+)\//.exec(bridgeLog);
        if (m !== null) resolve(m[1]!);
      }
    })();
  });
}

function launch(trustedSpki: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${trustedSpki}`],
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
  dir = mkdtempSync(join(tmpdir(), "vbridge-https-"));
  ca = makeTestCa(join(dir, "ca"));
  leaf = ca.issue("bridge");
  const config = `
[upstream]
pools = ["builtin"]
[builtin_pool]
port = 0
difficulty = ${DIFFICULTY}
[bridge]
host = "127.0.0.1"
port = ${freePort()}
ws_difficulty = ${DIFFICULTY}
min_difficulty = 0.001
ledger = ""
tls_cert = ${JSON.stringify(leaf.chainFile)}
tls_key = ${JSON.stringify(leaf.keyFile)}
`;
  writeFileSync(join(dir, "config.toml"), config);
  // resolve(): the bridge runs in the temporary directory; a relative VBRIDGE_BIN is the caller's.
  const cmd = process.env.VBRIDGE_BIN
    ? [resolve(process.env.VBRIDGE_BIN)]
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
  browser = await launch(leaf.spkiSha256Base64);
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

test("the page loads over https with the leaf trusted; trusting another key instead, it does not", async () => {
  const other = await launch(ca.issue("other").spkiSha256Base64);
  try {
    const p = await other.newPage();
    const failed = await p.goto(`${base}/`).then(
      () => "loaded",
      (e: Error) => e.message,
    );
    expect(failed).toMatch(/ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await other.close();
  }
  const r = await page.goto(`${base}/`);
  expect(r?.status()).toBe(200);
  expect(new URL(page.url()).protocol).toBe("https:");
  await expect(page.locator(".notice").textContent()).resolves.toContain(
    "mines Verus (VRSC) with your computer's processor",
  );
  expect(sockets).toEqual([]);
}, 30_000);

test("Start: the page mines through wss:// and shares are accepted within 60 s", async () => {
  await page.click("#start");
  await waitForValue("accepted", (v) => Number(v) > 0, 60_000);
  expect(sockets).toHaveLength(1);
  const url = new URL(sockets[0]!);
  expect(url.protocol).toBe("wss:");
  expect(url.pathname).toBe("/ws");
  expect(sentTypes[0]).toBe("hello");
  expect(sentTypes.filter((t) => t === "share").length).toBeGreaterThan(0);
  await waitForValue("hashrate", (v) => Number(v) > 0, 5_000);
  expect(await value("difficulty")).toBe(String(DIFFICULTY));
  expect(await value("rejected")).toBe("0");
  await page.click("#stop");
  await waitForValue("hashrate", (v) => v === "0", 5_000);
}, 90_000);
