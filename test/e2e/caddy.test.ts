// caddy.test.ts — the bridge behind a real Caddy (Debian 12's `caddy` package, 2.6) with docs/deploy.md's
// `caddy` snippet: TLS from a test CA instead of Let's Encrypt (a `tls` line and the test's ports go
// in; the reverse_proxy line is the doc's), the per-IP cap sees each visitor through Caddy (4429
// E_TOO_MANY_FROM_ADDRESS after the 101), and a client's own X-Forwarded-For does not pass for its
// address: a non-loopback client writing `X-Forwarded-For: 127.0.0.1` is still refused /stats. Skipped where
// Caddy is not installed (scripts/apt-deps.sh does not install it yet).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, runForeground, waitForPorts, type Foreground } from "../support/processes.ts";
import { makeTestCa, type TestCa } from "../support/tls-ca.ts";
import { filled, snippetConfig } from "./deploy-snippets.ts";
import { httpGet, RawConn, startBridge, wsUpgrade, type Target, type TestBridge } from "./proxy-clients.ts";

const CADDY = Bun.which("caddy", { PATH: `${process.env.PATH ?? ""}:/usr/sbin` });
if (CADDY === null)
  console.warn("caddy.test.ts: caddy is not installed (Debian: apt-get install caddy): skipped");
const EXTERNAL = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
const PER_IP = 2;

let ca: TestCa;
let caPem: string;
let bridge: TestBridge;
let caddy: Foreground;
let dir: string;
let port: number;
const open: RawConn[] = [];
const via = (from: string, host = "127.0.0.1"): Target => ({
  host,
  port,
  from,
  tls: { ca: caPem, serverName: "localhost" },
});

beforeAll(async () => {
  if (CADDY === null) return;
  ca = makeTestCa();
  caPem = await Bun.file(ca.caFile).text();
  const leaf = ca.issue("caddy");
  bridge = startBridge({
    ...snippetConfig("bridge-behind-proxy").bridge,
    port: 0,
    max_connections_per_ip: PER_IP,
  });
  dir = mkdtempSync(join(tmpdir(), "vbridge-caddy-"));
  port = freePort();
  const binds = ["127.0.0.1", ...(EXTERNAL === undefined ? [] : [EXTERNAL])].join(" ");
  // No admin API, no ACME, no :80 redirect listener, state in our directory.
  const global = `{\n\tadmin off\n\tauto_https off\n\tstorage file_system ${dir}/data\n}\n`;
  const site = filled("caddy", [
    [
      "bridge.example.org {",
      `https://localhost:${port} {\n\tbind ${binds}\n\ttls ${leaf.chainFile} ${leaf.keyFile}`,
    ],
    ["127.0.0.1:8080", `127.0.0.1:${bridge.ds.port}`],
  ]);
  const file = join(dir, "Caddyfile");
  writeFileSync(file, global + site + "\n");
  // Caddy keeps state under HOME / XDG_*: all in our directory.
  caddy = runForeground(
    [
      "/usr/bin/env",
      `HOME=${dir}`,
      `XDG_DATA_HOME=${dir}`,
      `XDG_CONFIG_HOME=${dir}`,
      CADDY,
      "run",
      "--config",
      file,
    ],
    dir,
  );
  await waitForPorts(caddy, [{ host: "127.0.0.1", port }], "caddy", () => caddy.output());
}, 30_000);

afterAll(async () => {
  for (const c of open.splice(0)) c.end();
  await caddy?.stop("SIGTERM");
  await bridge?.stop();
  ca?.cleanup();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test.skipIf(CADDY === null)(
  "through Caddy: each visitor's own per-IP cap, the next closed 4429",
  async () => {
    for (const from of ["127.0.0.2", "127.0.0.3"]) {
      for (let i = 0; i < PER_IP; i++) {
        const r = await wsUpgrade(via(from));
        expect(r.kind).toBe("session");
        if (r.kind === "session") open.push(r.conn);
      }
      expect(await wsUpgrade(via(from))).toEqual({
        kind: "close",
        code: 4429,
        reason: "E_TOO_MANY_FROM_ADDRESS",
      });
    }
    expect(bridge.ds.stats().refused.E_TOO_MANY_FROM_ADDRESS).toBe(2);
    expect(open.filter((c) => c.closed)).toHaveLength(0);
  },
  20_000,
);

test.skipIf(CADDY === null || EXTERNAL === undefined)(
  "through Caddy: /stats refused to a non-loopback client, also with its own X-Forwarded-For: 127.0.0.1",
  async () => {
    expect((await httpGet(via("127.0.0.4"), "/stats")).status).toBe(200);
    const outside = via(EXTERNAL!, EXTERNAL!);
    expect((await httpGet(outside, "/stats")).status).toBe(403);
    expect((await httpGet(outside, "/stats", { "X-Forwarded-For": "127.0.0.1" })).status).toBe(403);
  },
  20_000,
);
