// The composition root (src/cli/compose.ts): the configuration becomes each layer's own options,
// once — the pool client's settings for the bridge and the miner alike, the core's, the servers'.

import { expect, test } from "bun:test";
import {
  bridgeCoreOptions,
  downstreamOptions,
  poolClientOptions,
  startInProcessPool,
} from "../../src/cli/compose.ts";
import { loadConfig } from "../../src/config/index.ts";
import type { PoolServer } from "../../src/pool/index.ts";
import { silentLogger } from "../../src/util/log.ts";

const config = (values: Record<string, unknown>) =>
  loadConfig({
    file: null,
    env: {},
    flags: Object.entries(values).map(([key, value]) => ({ key, value, flag: key })),
  });

test("pool client settings: \"builtin\" becomes the in-process pool's URL; the command's name stands in for an empty user", () => {
  const c = config({
    "upstream.pools": "builtin,stratum+ssl://b:443",
    "upstream.user": "RAddr.w",
    "upstream.tls_fingerprint": "ab".repeat(32),
  });
  const builtin = { port: 4567 } as PoolServer;
  expect(poolClientOptions(c, builtin, "vbridge")).toEqual({
    pools: ["stratum+tcp://127.0.0.1:4567", "stratum+ssl://b:443"],
    user: "RAddr.w",
    password: "x",
    tls: { fingerprint: "ab".repeat(32) },
    returnToPrimary: true,
    urgentBackoff: { maxMs: 5000 },
    noJobTimeoutMs: 30_000,
  });
  const shipped = config({});
  expect(poolClientOptions(shipped, builtin, "vbridge").user).toBe("vbridge");
  expect(poolClientOptions(shipped, builtin, "vbridge.miner").user).toBe("vbridge.miner");
});

test('no "builtin" in upstream.pools: no in-process pool', () => {
  const c = config({ "upstream.pools": "stratum+tcp://a:1", "upstream.user": "RAddr.w" });
  expect(startInProcessPool(c, silentLogger)).toBeNull();
});

test("the core's and the servers' options come from [bridge]", () => {
  const c = config({
    "bridge.ws_difficulty": 2,
    "bridge.tcp_share_interval": 7,
    "bridge.stratum_port": 3333,
    "bridge.ledger": "",
  });
  const client = poolClientOptions(c, null, "vbridge");
  const o = bridgeCoreOptions(c, client);
  expect(o.client).toBe(client);
  expect(o.difficulty).toEqual({
    ws: { start: 2, shareSeconds: 15 },
    stratum: { start: 64, shareSeconds: 7 },
    min: 0.001,
    max: 1e9,
  });
  expect([o.leaseBytes, o.ledgerPath, o.maxSharesPerSecond, o.maxConnections, o.impl]).toEqual([
    2,
    "",
    20,
    10_000,
    "auto",
  ]);
  expect(downstreamOptions(c.bridge)).toMatchObject({
    port: 8080,
    stratumPort: 3333,
    stratumTlsPort: 0,
    tls: null,
    trustedProxies: ["127.0.0.1", "::1"],
    proxyProtocol: "off",
    keepAliveSeconds: 5,
    maxConnections: 10_000,
    maxConnectionsPerIp: 64,
    handshakeTimeoutSeconds: 10,
    statsPublic: false,
  });
  // The cap that fits the fd limit replaces the configured one, in the core and the servers alike.
  expect(bridgeCoreOptions(c, o.client, 900).maxConnections).toBe(900);
  const pair = { cert: "C", key: "K" };
  expect(downstreamOptions(c.bridge, pair, 900)).toMatchObject({ tls: pair, maxConnections: 900 });
});
