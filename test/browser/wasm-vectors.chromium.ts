// The WebAssembly VerusHash in headless Chromium: the shared vectors through both builds (plain
// and SIMD) and each implementation in them, wasm-simd against portable on random inputs, and
// each build's scan at every lane count against one lane — in the engine that runs the browser
// miner. Run by `make test-browser` (not by `bun test`).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { LANES_MAX } from "../../src/hash/abi.ts";
import { shared } from "../hash/shared-vectors.ts";
import { launchChromium } from "./chromium.ts";
import type { PageResults } from "./vectors-page.ts";

const ROOT = join(import.meta.dir, "../..");
let browser: Browser;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  const bundle = await Bun.build({
    entrypoints: [join(import.meta.dir, "vectors-page.ts")],
    target: "browser",
    format: "iife",
  });
  if (!bundle.success) throw new AggregateError(bundle.logs, "vectors page bundle failed");
  const script = await bundle.outputs[0]!.text();
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/")
        return new Response('<!doctype html><meta charset="utf-8"><script src="vectors.js"></script>', {
          headers: { "Content-Type": "text/html" },
        });
      if (path === "/vectors.js")
        return new Response(script, { headers: { "Content-Type": "text/javascript" } });
      if (path === "/vectors.json") return Response.json(shared);
      if (path.endsWith(".wasm"))
        return new Response(Bun.file(join(ROOT, "build/wasm", path.slice(1))), {
          headers: { "Content-Type": "application/wasm" },
        });
      return new Response("not found", { status: 404 });
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
});

test("every vector passes in Chromium: plain build, SIMD build (portable and wasm-simd), every lane count", async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.waitForFunction("window.vectorResults !== undefined", null, { timeout: 60_000 });
  const r = (await page.evaluate("window.vectorResults")) as PageResults;
  expect(r.error).toBeUndefined();
  expect(r.simdSupported).toBe(true);
  expect(r.runs.map((x) => `${x.file} ${x.impl}`)).toEqual([
    "verushash.wasm portable",
    "verushash-simd.wasm portable",
    "verushash-simd.wasm wasm-simd",
  ]);
  for (const run of r.runs) {
    expect(run.failures).toEqual([]);
    expect(run.passed).toBeGreaterThan(80);
  }
  expect(r.differential).toEqual({ inputs: 200, mismatches: 0 });
  expect(r.lanes.scans).toBe(2 * 3 * (LANES_MAX + 1));
  expect(r.lanes.found).toBeGreaterThan(20); // about one nonce in 16 meets the target: ~55 in all
  expect(r.lanes.mismatches).toBe(0);
}, 90_000);
