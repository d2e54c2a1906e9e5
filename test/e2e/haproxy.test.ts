// haproxy.test.ts — the bridge behind a real HAProxy (Debian's package) configured with docs/deploy.md's
// `haproxy` and `bridge-behind-haproxy` snippets: Stratum through `send-proxy-v2` with
// bridge.proxy_protocol = "required" (per-IP caps and the log see each miner's own address, the
// next one over the cap is refused E_TOO_MANY_FROM_ADDRESS), https in `mode http` (TLS with a test
// CA) carrying a wss session whose client the bridge knows; straight to the bridge, a PROXY header
// from an untrusted peer is refused (E_PROXY_UNTRUSTED) and a trusted peer without one is refused
// (E_PROXY_MISSING) — the doc's `curl --haproxy-protocol` for local tools works.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeProxyV1, encodeProxyV2 } from "../../src/net/proxy-protocol.ts";
import type { RefusalCode } from "../../src/protocol/close-codes.ts";
import { startHaproxy, type Haproxy } from "../support/haproxy.ts";
import { freePort } from "../support/processes.ts";
import { makeTestCa, type TestCa } from "../support/tls-ca.ts";
import { DEFAULTS } from "../downstream/harness.ts";
import { filled, snippet, snippetConfig } from "./deploy-snippets.ts";
import {
  httpGet,
  RawConn,
  startBridge,
  stratumMiner,
  wsUpgrade,
  type Target,
  type TestBridge,
} from "./proxy-clients.ts";
import { until } from "./stack.ts";

const PER_IP = 2;
const MINERS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];

let ca: TestCa;
let caPem: string;
let bridge: TestBridge;
let haproxy: Haproxy;
let stratumPort: number;
let httpsPort: number;
const open: RawConn[] = [];

const refused = (code: RefusalCode) => bridge.ds.stats().refused[code] ?? 0;
const viaStratum = (from: string): Target => ({ host: "127.0.0.1", port: stratumPort, from });
const viaHttps = (from: string): Target => ({
  host: "127.0.0.1",
  port: httpsPort,
  from,
  tls: { ca: caPem, serverName: "localhost" },
});

beforeAll(async () => {
  ca = makeTestCa();
  caPem = await Bun.file(ca.caFile).text();
  const leaf = ca.issue("haproxy");
  // HAProxy's crt: the chain and the key in one file, as the doc's deploy hook makes it.
  const pem = join(ca.dir, "haproxy.pem");
  writeFileSync(pem, (await Bun.file(leaf.chainFile).text()) + (await Bun.file(leaf.keyFile).text()));
  const cfg = snippetConfig("bridge-behind-haproxy").bridge;
  // Any free ports (stratum_port 0 would be off: the ephemeral Stratum port stands for 3334).
  bridge = startBridge(
    { ...cfg, port: 0, stratum_port: 0, max_connections_per_ip: PER_IP },
    { stratumEphemeral: true },
  );
  stratumPort = freePort();
  httpsPort = freePort();
  haproxy = await startHaproxy({
    conf: filled("haproxy", [
      ["bind :3333", `bind 127.0.0.1:${stratumPort}`],
      ["127.0.0.1:3334", `127.0.0.1:${bridge.ds.stratumPort}`],
      ["bind :443 ", `bind 127.0.0.1:${httpsPort} `],
      ["/etc/haproxy/certs/bridge.example.org.pem", pem],
      ["127.0.0.1:8080", `127.0.0.1:${bridge.ds.port}`],
    ]),
  });
}, 30_000);

afterEach(async () => {
  for (const c of open.splice(0)) c.end();
  await until(() => bridge.core.live().length === 0, "every test's sessions to close", 10_000);
}, 15_000);

afterAll(async () => {
  for (const c of open.splice(0)) c.end();
  await haproxy?.stop();
  await bridge?.stop();
  ca?.cleanup();
});

describe("the doc's snippets", () => {
  test("PROXY protocol required from the trusted HAProxy; its timeouts are above idle_timeout", () => {
    const cfg = snippetConfig("bridge-behind-haproxy").bridge;
    expect([cfg.proxy_protocol, cfg.trusted_proxies]).toEqual(["required", ["127.0.0.1"]]);
    const conf = snippet("haproxy");
    expect(conf.match(/send-proxy-v2/g)).toHaveLength(2);
    for (const m of conf.matchAll(/timeout (?:client|server|tunnel) (\d+)s/g))
      expect(Number(m[1])).toBeGreaterThan(DEFAULTS.idle_timeout);
  });
});

describe("Stratum through HAProxy send-proxy-v2", () => {
  test("each miner's own address: max_connections_per_ip per address, the next refused, logs name it", async () => {
    for (const from of MINERS) {
      for (let i = 0; i < PER_IP; i++) {
        const r = await stratumMiner(viaStratum(from));
        expect(r.kind).toBe("session");
        if (r.kind === "session") open.push(r.conn);
      }
      expect(await stratumMiner(viaStratum(from))).toEqual({ kind: "ended" });
      // At least once: HAProxy may retry a server connection that is cut that early (its `retries`).
      expect(refused("E_TOO_MANY_FROM_ADDRESS")).toBeGreaterThanOrEqual(MINERS.indexOf(from) + 1);
    }
    await Bun.sleep(100);
    expect(open.filter((c) => c.closed)).toHaveLength(0);
    expect(bridge.core.live()).toHaveLength(MINERS.length * PER_IP);
    const lines = bridge.logs.filter((l) => / from \S+ \(via 127\.0\.0\.1\) connected$/.test(l));
    expect(lines.map((l) => /from (\S+)/.exec(l)![1])).toEqual(MINERS.flatMap((m) => Array(PER_IP).fill(m)));
    // The refusal names the client, and the proxy it came through.
    for (const m of MINERS)
      expect(
        bridge.logs.some((l) => l.includes(`from ${m} (via 127.0.0.1) refused: E_TOO_MANY_FROM_ADDRESS`)),
      ).toBe(true);
  }, 30_000);
});

describe("PROXY headers straight to the bridge", () => {
  test("from an untrusted peer (127.0.0.3): refused E_PROXY_UNTRUSTED, v1 and v2, whatever they claim", async () => {
    const port = bridge.ds.stratumPort!;
    const me = { host: "127.0.0.1", port, from: "127.0.0.3" };
    const v2 = encodeProxyV2("198.51.100.9", 40000, "127.0.0.1", port);
    expect(await stratumMiner(me, v2)).toEqual({ kind: "ended" });
    const v1 = encodeProxyV1("127.0.0.1", 40001, "127.0.0.1", port);
    expect(await stratumMiner(me, v1)).toEqual({ kind: "ended" });
    // A Stratum connection opens at accept: it is the one closed with the code.
    expect(bridge.ds.stats().closed.E_PROXY_UNTRUSTED).toBe(2);
    expect(bridge.logs.join("\n")).not.toContain("198.51.100.9");
  }, 20_000);

  test("from the trusted address without one: refused E_PROXY_MISSING (Stratum and HTTP)", async () => {
    const before = refused("E_PROXY_MISSING");
    const stratum = { host: "127.0.0.1", port: bridge.ds.stratumPort!, from: "127.0.0.1" };
    expect(await stratumMiner(stratum)).toEqual({ kind: "ended" });
    const http = { host: "127.0.0.1", port: bridge.ds.port, from: "127.0.0.1" };
    expect((await httpGet(http, "/stats")).status).toBe(0);
    expect(refused("E_PROXY_MISSING")).toBe(before + 2);
    // What `curl --haproxy-protocol` sends: a v1 header with its own addresses (loopback: /stats ok).
    const header = encodeProxyV1("127.0.0.1", 40002, "127.0.0.1", bridge.ds.port);
    expect((await httpGet(http, "/stats", {}, header)).status).toBe(200);
  }, 20_000);
});

describe("https through HAProxy (mode http, option forwardfor, send-proxy-v2)", () => {
  test("a wss session works and the bridge sees the client's address; the per-IP cap holds", async () => {
    const from = "127.0.0.5";
    const sessions = open;
    for (let i = 0; i < PER_IP; i++) {
      const r = await wsUpgrade(viaHttps(from));
      expect(r.kind).toBe("session");
      if (r.kind === "session") sessions.push(r.conn);
    }
    // Refused at the PROXY header (the client's address is over its cap): HAProxy answers 502.
    const before = refused("E_TOO_MANY_FROM_ADDRESS");
    expect(await wsUpgrade(viaHttps(from))).toMatchObject({ kind: "status", status: 502 });
    expect(refused("E_TOO_MANY_FROM_ADDRESS")).toBeGreaterThan(before);
    expect(
      bridge.logs.filter((l) => l.startsWith(`debug ws `) && l.includes(` from ${from} connected`)),
    ).toHaveLength(PER_IP);
    // Work keeps coming through the tunnel.
    const seen = sessions[0]!.bytes.length;
    bridge.core.publish(bridge.core.current!, true);
    await until(() => sessions[0]!.bytes.length > seen, "a new job through HAProxy", 10_000);
    expect(sessions.filter((c) => c.closed)).toHaveLength(0);
    // /stats through HAProxy: the client (127.0.0.6) is loopback, so it is answered.
    expect((await httpGet(viaHttps("127.0.0.6"), "/stats")).status).toBe(200);
  }, 20_000);
});

describe('the https backend without send-proxy-v2, bridge.proxy_protocol = "optional"', () => {
  test("option forwardfor alone names the client (X-Forwarded-For from the trusted HAProxy)", async () => {
    const cfg = snippetConfig("bridge-behind-haproxy").bridge;
    const b = startBridge({
      ...cfg,
      port: 0,
      stratum_port: 0,
      proxy_protocol: "optional",
      max_connections_per_ip: 1,
    });
    const port = freePort();
    const pem = join(ca.dir, "haproxy.pem");
    const conf = filled("haproxy", [
      ["bind :3333", `bind 127.0.0.1:${freePort()}`],
      ["bind :443 ", `bind 127.0.0.1:${port} `],
      ["/etc/haproxy/certs/bridge.example.org.pem", pem],
      ["127.0.0.1:8080 send-proxy-v2", `127.0.0.1:${b.ds.port}`],
    ]);
    const h = await startHaproxy({ conf });
    const to = { ...viaHttps("127.0.0.6"), port };
    try {
      const r = await wsUpgrade(to);
      expect(r.kind).toBe("session");
      // Over the cap for 127.0.0.6, known from the header only after the upgrade: 4429 after the 101.
      expect(await wsUpgrade(to)).toEqual({ kind: "close", code: 4429, reason: "E_TOO_MANY_FROM_ADDRESS" });
      expect(b.logs).toContain("debug ws 1 from 127.0.0.6 connected (json)");
      if (r.kind === "session") r.conn.end();
    } finally {
      await h.stop();
      await b.stop();
    }
  }, 20_000);
});
