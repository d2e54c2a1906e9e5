// The browser miner end to end in headless Chromium: `vbridge bridge` on the built-in pool (from
// source, or the binary in VBRIDGE_BIN), the page it serves, a user who presses Start and Stop.
// Nothing may run before Start (no socket, no worker, no share); after Start, shares are accepted
// within a minute; after Stop, the workers are gone and the hashrate reads 0. A screenshot of the
// running page goes to test-artifacts/. Run by `make test-browser` (not by `bun test`).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { freePort } from "../support/processes.ts";
import {
  bridgeDir,
  ROOT,
  startBridgeProcess,
  watchedPage,
  type BridgeProcess,
  type WatchedPage,
} from "./bridge-page.ts";
import { launchChromium } from "./chromium.ts";
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

let bridge: BridgeProcess;
let browser: Browser;
let page: Page;
let sockets: string[];
let sentTypes: string[];
let value: WatchedPage["value"];
let waitForValue: WatchedPage["waitForValue"];

beforeAll(async () => {
  bridge = await startBridgeProcess(bridgeDir(), CONFIG.replace("PORT", String(freePort())));
  browser = await launchChromium();
  ({ page, sockets, sentTypes, value, waitForValue } = await watchedPage(browser));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
});

test("before Start: the notice, and nothing running — no socket, no worker, hashrate 0", async () => {
  await page.goto(`${bridge.base}/`);
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
