// proxies.test.ts — the bridge behind a real nginx (Debian's package) terminating TLS with a test CA,
// configured with docs/deploy.md's own snippets (nginx-tls, bridge-behind-proxy): per-IP caps see
// each visitor's address through the proxy (127.0.0.2–.6 each get exactly max_connections_per_ip
// WebSocket sessions, the next one is closed 4429 E_TOO_MANY_FROM_ADDRESS after the 101), a spoofed
// X-Forwarded-For sent straight to the bridge is ignored, and /stats through nginx from a
// non-loopback client is refused — also when that client writes `X-Forwarded-For: 127.0.0.1`.
// Also: every TOML block of the doc loads, and its embedding example (bridge.origins) holds.
// HAProxy: haproxy.test.ts; Caddy: caddy.test.ts; the raw clients: proxy-clients.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import type { RefusalCode } from "../../src/protocol/close-codes.ts";
import { startNginx, type Nginx } from "../support/nginx.ts";
import { freePort } from "../support/processes.ts";
import { makeTestCa, type TestCa } from "../support/tls-ca.ts";
import { DEFAULTS } from "../downstream/harness.ts";
import { filled, loadTomlText, snippet, snippetConfig, tomlBlocks } from "./deploy-snippets.ts";
import { httpGet, RawConn, startBridge, wsUpgrade, type Target, type TestBridge } from "./proxy-clients.ts";
import { until } from "./stack.ts";

const PER_IP = 3;
const VISITORS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"];

/** This machine's first non-loopback IPv4 address: a client nginx sees as not loopback. */
const EXTERNAL = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
if (EXTERNAL === undefined)
  console.warn("proxies.test.ts: no non-loopback IPv4 address here: the /stats-from-outside test is skipped");

let ca: TestCa;
let caPem: string;
let bridge: TestBridge;
let nginx: Nginx;
let nginxPort: number;
const open: RawConn[] = [];

const viaNginx = (from: string, host = "127.0.0.1"): Target => ({
  host,
  port: nginxPort,
  from,
  tls: { ca: caPem, serverName: "localhost" },
});
const direct = (from: string, port = bridge.ds.port): Target => ({ host: "127.0.0.1", port, from });
const refused = (b: TestBridge, code: RefusalCode) => b.ds.stats().refused[code] ?? 0;

beforeAll(async () => {
  ca = makeTestCa();
  caPem = await Bun.file(ca.caFile).text();
  const leaf = ca.issue("nginx");
  // The doc's bridge settings, with a small per-IP cap and a free port.
  const cfg = snippetConfig("bridge-behind-proxy").bridge;
  bridge = startBridge({ ...cfg, port: 0, max_connections_per_ip: PER_IP });
  nginxPort = freePort();
  const listen = [`listen 127.0.0.1:${nginxPort} ssl;`];
  if (EXTERNAL !== undefined) listen.push(`listen ${EXTERNAL}:${nginxPort} ssl;`);
  nginx = await startNginx({
    conf: filled("nginx-tls", [
      ["listen 443 ssl;", listen.join("\n    ")],
      ["/etc/letsencrypt/live/bridge.example.org/fullchain.pem", leaf.chainFile],
      ["/etc/letsencrypt/live/bridge.example.org/privkey.pem", leaf.keyFile],
      ["proxy_pass http://127.0.0.1:8080;", `proxy_pass http://127.0.0.1:${bridge.ds.port};`],
    ]),
  });
}, 30_000);

afterAll(async () => {
  for (const c of open.splice(0)) c.end();
  await nginx?.stop();
  await bridge?.stop();
  ca?.cleanup();
});

describe("the doc's snippets", () => {
  test("the bridge behind a proxy trusts the proxy's address; nginx keeps upgraded sockets past idle_timeout", () => {
    const cfg = snippetConfig("bridge-behind-proxy").bridge;
    expect(cfg.trusted_proxies).toEqual(["127.0.0.1"]);
    expect(cfg.host).toBe("127.0.0.1");
    const read = /proxy_read_timeout (\d+)s;/.exec(snippet("nginx-tls"));
    expect(Number(read?.[1])).toBeGreaterThan(DEFAULTS.idle_timeout);
    for (const h of [
      "Upgrade $http_upgrade",
      "X-Forwarded-For $proxy_add_x_forwarded_for",
      "X-Forwarded-Proto",
    ])
      expect(snippet("nginx-tls")).toContain(`proxy_set_header ${h}`);
  });
});

describe("the doc's configuration blocks", () => {
  test("every TOML block loads with the real config loader", () => {
    const blocks = tomlBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const b of blocks) expect(() => loadTomlText(b)).not.toThrow();
  });

  test("embedding: the listed site's page may open the WebSocket, another site's may not", async () => {
    const cfg = snippetConfig("embed-origins").bridge;
    expect(cfg.origins).toContain("https://www.example.org");
    const b = startBridge({ ...DEFAULTS, origins: cfg.origins });
    try {
      const to = direct("127.0.0.2", b.ds.port);
      const ok = await wsUpgrade(to, { Origin: "https://www.example.org" });
      expect(ok.kind).toBe("session");
      if (ok.kind === "session") ok.conn.end();
      // The bridge's own page (same origin: the Origin is the Host it asked) always may.
      const own = await wsUpgrade(to, { Origin: `http://${to.host}:${to.port}` });
      expect(own.kind).toBe("session");
      if (own.kind === "session") own.conn.end();
      expect(await wsUpgrade(to, { Origin: "https://evil.example" })).toMatchObject({ status: 403 });
      expect(b.ds.stats().refused.E_ORIGIN).toBe(1);
    } finally {
      await b.stop();
    }
  }, 20_000);
});

describe("nginx terminating TLS in front of the bridge", () => {
  test("five visitors through nginx each get exactly max_connections_per_ip sessions", async () => {
    for (const from of VISITORS) {
      for (let i = 0; i < PER_IP; i++) {
        const r = await wsUpgrade(viaNginx(from));
        expect(r.kind).toBe("session");
        if (r.kind === "session") open.push(r.conn);
      }
      // The next one from this address: the 101 (the proxy's socket was fine), then the close.
      expect(await wsUpgrade(viaNginx(from))).toEqual({
        kind: "close",
        code: 4429,
        reason: "E_TOO_MANY_FROM_ADDRESS",
      });
    }
    expect(refused(bridge, "E_TOO_MANY_FROM_ADDRESS")).toBe(VISITORS.length);
    // Every session is still up: a refusal never cost another address (or this one) a session.
    await Bun.sleep(100);
    expect(open.filter((c) => c.closed)).toHaveLength(0);
    expect(bridge.core.live()).toHaveLength(VISITORS.length * PER_IP);
    // The log names each visitor, never the proxy.
    const connected = bridge.logs.filter((l) => /^debug ws \d+ from \S+ connected/.test(l));
    expect(connected.map((l) => l.split(" ")[4])).toEqual(VISITORS.flatMap((v) => Array(PER_IP).fill(v)));
    for (const c of open.splice(0)) c.end();
    await until(() => bridge.ds.sockets().open === 0, "the sessions to close", 10_000);
  }, 30_000);

  test("a page of the bridge's own origin through nginx is same-origin; another site's is 403 E_ORIGIN", async () => {
    const own = await wsUpgrade(viaNginx("127.0.0.2"), { Origin: `https://localhost:${nginxPort}` });
    expect(own.kind).toBe("session");
    if (own.kind === "session") own.conn.end();
    const foreign = await wsUpgrade(viaNginx("127.0.0.2"), { Origin: "https://evil.example" });
    expect(foreign).toMatchObject({ kind: "status", status: 403 });
    // The scheme counts: the proxy said https, so an http page of the same host is another origin.
    const http = await wsUpgrade(viaNginx("127.0.0.2"), { Origin: `http://localhost:${nginxPort}` });
    expect(http).toMatchObject({ kind: "status", status: 403 });
  }, 20_000);

  test("/stats through nginx: a loopback visitor gets it (the bridge decides, not nginx)", async () => {
    const r = await httpGet(viaNginx("127.0.0.2"), "/stats");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).downstream.refused.E_TOO_MANY_FROM_ADDRESS).toBe(VISITORS.length);
  }, 20_000);

  test.skipIf(EXTERNAL === undefined)(
    "/stats through nginx from a non-loopback client is refused, with or without its own X-Forwarded-For",
    async () => {
      const outside = viaNginx(EXTERNAL!, EXTERNAL!);
      expect((await httpGet(outside, "/stats")).status).toBe(403);
      expect((await httpGet(outside, "/metrics")).status).toBe(403);
      // Trying to look like loopback: nginx appends the real address, the bridge reads the rightmost.
      expect((await httpGet(outside, "/stats", { "X-Forwarded-For": "127.0.0.1" })).status).toBe(403);
      expect((await httpGet(outside, "/health")).status).toBe(200);
      expect(nginx.accessLog()).toContain(`${EXTERNAL} - - [`);
    },
    20_000,
  );
});

describe("a spoofed X-Forwarded-For straight to the bridge (127.0.0.3 is no trusted proxy)", () => {
  test("does not choose the address: per-IP cap 1, two spoofs from 127.0.0.3, the second refused", async () => {
    const cfg = snippetConfig("bridge-behind-proxy").bridge;
    const b = startBridge({ ...cfg, port: 0, max_connections_per_ip: 1 });
    try {
      const first = await wsUpgrade(direct("127.0.0.3", b.ds.port), { "X-Forwarded-For": "198.51.100.1" });
      expect(first.kind).toBe("session");
      // Over the cap for a direct peer: ended at accept, before any HTTP.
      const second = await wsUpgrade(direct("127.0.0.3", b.ds.port), { "X-Forwarded-For": "198.51.100.2" });
      expect(second).toEqual({ kind: "ended" });
      expect(refused(b, "E_TOO_MANY_FROM_ADDRESS")).toBe(1);
      expect(b.logs).toContain("debug ws 1 from 127.0.0.3 connected (json)");
      expect(b.logs.join("\n")).not.toContain("198.51.100");
      if (first.kind === "session") first.conn.end();
      await until(() => b.ds.sockets().open === 0, "the session to close", 10_000);
      // /stats with a public X-Forwarded-For from loopback: still loopback, the header unused.
      const stats = await httpGet(direct("127.0.0.3", b.ds.port), "/stats", {
        "X-Forwarded-For": "203.0.113.7",
      });
      expect(stats.status).toBe(200);
    } finally {
      await b.stop();
    }
  }, 20_000);
});
