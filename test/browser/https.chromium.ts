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
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort } from "../support/processes.ts";
import { makeTestCa, type TestCa, type TestLeaf } from "../support/tls-ca.ts";
import {
  bridgeDir,
  startBridgeProcess,
  watchedPage,
  type BridgeProcess,
  type WatchedPage,
} from "./bridge-page.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium.ts";
// As in miner.chromium.ts: a share every ~8192 × 4 hashes, well under 20 shares/s per session, and
// the pool's difficulty the same, so every share is forwarded to the built-in pool too.
const DIFFICULTY = 4;

let ca: TestCa;
let leaf: TestLeaf;
let bridge: BridgeProcess;
let base: string;
let browser: Browser;
let page: Page;
let sockets: string[];
let sentTypes: string[];
let value: WatchedPage["value"];
let waitForValue: WatchedPage["waitForValue"];

function launch(trustedSpki: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${trustedSpki}`],
  });
}

beforeAll(async () => {
  const dir = bridgeDir();
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
  bridge = await startBridgeProcess(dir, config);
  base = bridge.base;
  browser = await launch(leaf.spkiSha256Base64);
  ({ page, sockets, sentTypes, value, waitForValue } = await watchedPage(browser));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
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
