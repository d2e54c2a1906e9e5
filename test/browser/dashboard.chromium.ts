// The operator's dashboard in headless Chromium: `vbridge bridge` on the built-in pool (from source,
// or the binary in VBRIDGE_BIN) with a SQLite ledger, one WebSocket miner mining through it, and
// /dashboard loaded from loopback. The charts' data (the SVGs' data-points, not their presence)
// holds the mined hashrate and accepted shares; the live stream moves the accepted count; every
// request the page makes stays on 127.0.0.1; on a 390 px phone nothing overflows sideways.
// Screenshots go to test-artifacts/dashboard-desktop.png and dashboard-phone.png.
// Run by `make test-browser` (not by `bun test`).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { Hasher } from "../../src/hash/index.ts";
import { WsMiner } from "../e2e/ws-miner.ts";
import { freePort } from "../support/processes.ts";
import { bridgeDir, ROOT, startBridgeProcess, type BridgeProcess } from "./bridge-page.ts";
import { launchChromium } from "./chromium.ts";

const ARTIFACTS = join(ROOT, "test-artifacts");
const WORKER = "RDashboardTestAddressxxxxxxxxxxxxx.rig1";
// Difficulty 4: a share every few ms of native hashing; the miner sends one every 200 ms at most,
// well under the bridge's per-session share rate.
const CONFIG = `
[upstream]
pools = ["builtin"]
[builtin_pool]
port = 0
difficulty = 4
[bridge]
host = "127.0.0.1"
port = PORT
ws_difficulty = 4
min_difficulty = 0.001
ledger = "ledger.sqlite"
`;

interface Drawn {
  name: string;
  points: [number, number][];
}

let bridge: BridgeProcess;
let hasher: Hasher;
let miner: WsMiner;
let browser: Browser;
let page: Page;
const requests: string[] = [];

/** Polls `f` every 200 ms until it holds (bounded). */
async function until(f: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(200);
  }
}

/** What a chart drew: its series and their points (the SVG's data-points). */
async function drawn(p: Page, id: string): Promise<Drawn[]> {
  const raw = await p.locator(`#${id}`).getAttribute("data-points");
  return raw === null ? [] : (JSON.parse(raw) as Drawn[]);
}

const positive = (series: Drawn[], name?: string) =>
  series
    .filter((s) => name === undefined || s.name === name)
    .flatMap((s) => s.points.filter(([, v]) => v > 0));

beforeAll(async () => {
  bridge = await startBridgeProcess(bridgeDir(), CONFIG.replace("PORT", String(freePort())));
  hasher = Hasher.open("auto");
  miner = await WsMiner.open("msgpack", Number(new URL(bridge.base).port), WORKER, hasher);
  // One share sent twice: the second is a duplicate (reject code 22), for the rejects-by-code chart.
  const found = miner.find();
  expect(await miner.submit(found)).toMatchObject({ accepted: true });
  expect(await miner.submit(found)).toMatchObject({ accepted: false, code: 22 });
  miner.startMining(200, 2);
  await miner.until(() => miner.accepted >= 5, "five accepted shares", 30_000);
  // The ledger has committed a minute with shares: the history the charts start from has data.
  await until(
    async () => {
      const res = await fetch(`${bridge.base}/api/v1/history?range=1h`);
      if (!res.ok) return false;
      const h = (await res.json()) as { total: { accepted: number }[] };
      return h.total.some((p) => p.accepted > 0);
    },
    "accepted shares in /api/v1/history",
    30_000,
  );
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  miner?.close();
  await browser?.close();
  hasher?.close();
  await bridge?.stop();
});

test("desktop: the charts hold the mined hashrate and shares; live updates; nothing leaves 127.0.0.1", async () => {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("request", (r) => requests.push(r.url()));
  const res = await page.goto(`${bridge.base}/dashboard`);
  expect(res?.status()).toBe(200);
  const csp = res?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).not.toMatch(/https?:/);

  await until(
    async () => positive(await drawn(page, "chart-hashrate")).length > 0,
    "a hashrate point > 0",
    15_000,
  );
  await until(
    async () => positive(await drawn(page, "chart-shares"), "accepted").length > 0,
    "an accepted-shares point > 0",
    15_000,
  );
  // The per-worker chart names the miner's worker, with hashrate.
  const workers = await drawn(page, "chart-workers");
  expect(workers.map((w) => w.name)).toContain(WORKER);
  expect(positive(workers, WORKER).length).toBeGreaterThan(0);
  // The duplicate, by code: since the start (the summary) and in its minute (the history).
  const codeTotals = JSON.parse(
    (await page.locator("#chart-code-totals").getAttribute("data-points")) ?? "[]",
  );
  expect(codeTotals).toContainEqual(["22 duplicate", 1]);
  expect(positive(await drawn(page, "chart-codes"), "22 duplicate").length).toBeGreaterThan(0);
  // Miners by transport and agent: one msgpack miner, agent "e2e".
  const transports = JSON.parse((await page.locator("#chart-transport").getAttribute("data-points")) ?? "[]");
  expect(transports).toContainEqual(["ws-msgpack", 1]);
  const agents = JSON.parse((await page.locator("#chart-agent").getAttribute("data-points")) ?? "[]");
  expect(agents).toContainEqual(["e2e", 1]);
  // The built-in pool's upstream is listed with its state.
  expect(Number(await page.locator("#upstream-list").getAttribute("data-count"))).toBeGreaterThanOrEqual(1);

  // Live: the accepted count (the stream's summaries) goes up within 10 s, with no reload.
  const before = Number(await page.locator("#accepted").getAttribute("data-value"));
  const updates = Number(await page.locator("#live").getAttribute("data-updates"));
  await until(
    async () => Number(await page.locator("#accepted").getAttribute("data-value")) > before,
    "the accepted count to increase",
    10_000,
  );
  expect(Number(await page.locator("#live").getAttribute("data-updates"))).toBeGreaterThan(updates);
  expect(await page.locator("#live").getAttribute("data-state")).toBe("live");

  await page.waitForTimeout(2_000); // a few more live points for the screenshot
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-desktop.png"), fullPage: true });

  // 24 h: the charts span a day and still hold the points.
  await page.click("button[data-range='24h']");
  await until(
    async () => {
      const svg = page.locator("#chart-hashrate");
      const span = Number(await svg.getAttribute("data-to")) - Number(await svg.getAttribute("data-from"));
      return span >= 86_000_000 && positive(await drawn(page, "chart-hashrate")).length > 0;
    },
    "the 24 h hashrate chart",
    10_000,
  );
  expect(positive(await drawn(page, "chart-shares"), "accepted").length).toBeGreaterThan(0);
  await page.click("button[data-range='1h']");

  expect(requests.length).toBeGreaterThan(0);
  const away = requests.filter((u) => !u.startsWith("data:") && new URL(u).hostname !== "127.0.0.1");
  expect(away).toEqual([]);
}, 60_000);

test("phone (390×844): no horizontal overflow, the charts fit and still hold data", async () => {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  phone.on("request", (r) => requests.push(r.url()));
  await phone.goto(`${bridge.base}/dashboard`);
  await until(
    async () => positive(await drawn(phone, "chart-hashrate")).length > 0,
    "a hashrate point > 0",
    15_000,
  );
  await phone.waitForTimeout(1_500);
  // A string: the test's own types have no DOM (the page runs it as an expression, not eval).
  const widths = (await phone.evaluate(`({
    scroll: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    widest: Math.max(...[...document.querySelectorAll("svg")].map((s) => s.getBoundingClientRect().right)),
  })`)) as { scroll: number; body: number; widest: number };
  expect(widths.scroll).toBeLessThanOrEqual(390);
  expect(widths.body).toBeLessThanOrEqual(390);
  expect(widths.widest).toBeLessThanOrEqual(390);
  mkdirSync(ARTIFACTS, { recursive: true });
  await phone.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
  const away = requests.filter((u) => !u.startsWith("data:") && new URL(u).hostname !== "127.0.0.1");
  expect(away).toEqual([]);
  await phone.close();
}, 30_000);
