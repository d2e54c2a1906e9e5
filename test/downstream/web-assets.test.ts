// The browser miner's files on the bridge's port (src/downstream/web-assets.ts, http.ts): the page
// and its script and worker under a CSP that allows this origin and WebAssembly compilation only,
// and the two .wasm builds as application/wasm, byte for byte what `make wasm` built.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { harness } from "./harness.ts";

const h = harness();
const ROOT = join(import.meta.dir, "../..");

describe("browser miner assets", () => {
  test("the page loads app.js from this origin and nothing from elsewhere; its CSP allows wasm and workers of 'self'", async () => {
    const s = h.start();
    const r = await fetch(`http://127.0.0.1:${s.ds.port}/`);
    const csp = r.headers.get("content-security-policy")!;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "worker-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain("'unsafe-eval'");
    const body = await r.text();
    expect(body).toContain('<script src="app.js"></script>');
    expect(body).toContain("mines Verus (VRSC)");
    expect(body).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  test("app.js and miner-worker.js: JavaScript, the worker under the same CSP", async () => {
    const s = h.start();
    for (const path of ["/app.js", "/miner-worker.js"]) {
      const r = await fetch(`http://127.0.0.1:${s.ds.port}${path}`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toStartWith("text/javascript");
      expect(r.headers.get("content-security-policy")).toContain("'wasm-unsafe-eval'");
      expect(await r.text()).toBe(await Bun.file(join(ROOT, "build/web", path.slice(1))).text());
    }
  });

  test("both .wasm builds as application/wasm (what compileStreaming requires), unchanged", async () => {
    const s = h.start();
    for (const file of ["verushash.wasm", "verushash-simd.wasm"]) {
      const r = await fetch(`http://127.0.0.1:${s.ds.port}/${file}`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("application/wasm");
      const got = new Uint8Array(await r.arrayBuffer());
      expect(got).toEqual(new Uint8Array(await Bun.file(join(ROOT, "build/wasm", file)).arrayBuffer()));
      expect(WebAssembly.validate(got)).toBe(true);
    }
  });
});
