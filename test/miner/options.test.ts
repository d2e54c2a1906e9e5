// MinerOptions: defaults, and one coded error per bad value (the CLI turns these into exit 2).

import { availableParallelism } from "node:os";
import { describe, expect, test } from "bun:test";
import { resolveMinerOptions } from "../../src/miner/index.ts";
import { codeOf } from "../support/errors.ts";

const BASE = { pools: ["stratum+tcp://127.0.0.1:3956"], user: "RAddr.w" };

describe("resolveMinerOptions", () => {
  test("defaults: every core, auto, the fastest lanes, 10 s reports, no duration, no API, password x", () => {
    const o = resolveMinerOptions(BASE);
    expect(o).toEqual({
      pools: ["stratum+tcp://127.0.0.1:3956"],
      user: "RAddr.w",
      pass: "x",
      threads: Math.min(availableParallelism(), 256),
      impl: "auto",
      lanes: 0,
      reportIntervalSeconds: 10,
      durationSeconds: null,
      json: false,
      apiPort: null,
      debug: false,
      tls: {},
      returnToPrimary: true,
    });
    expect(Object.isFrozen(o)).toBe(true);
  });

  test("lanes 0..4 are kept as given (0: the implementation's fastest, resolved by each worker's Hasher)", () => {
    expect([0, 1, 2, 3, 4].map((lanes) => resolveMinerOptions({ ...BASE, lanes }).lanes)).toEqual([
      0, 1, 2, 3, 4,
    ]);
  });

  test("a failover list is kept in order", () => {
    const o = resolveMinerOptions({ ...BASE, pools: [" stratum+tcp://a:1 ", "stratum+ssl://b:2#xnsub"] });
    expect(o.pools).toEqual(["stratum+tcp://a:1", "stratum+ssl://b:2#xnsub"]);
  });

  test.each([
    [{ threads: 0 }, "E_MINER_OPTIONS"],
    [{ threads: -1 }, "E_MINER_OPTIONS"],
    [{ threads: 1.5 }, "E_MINER_OPTIONS"],
    [{ threads: 257 }, "E_MINER_OPTIONS"],
    [{ lanes: -1 }, "E_MINER_OPTIONS"],
    [{ lanes: 5 }, "E_MINER_OPTIONS"],
    [{ lanes: 1.5 }, "E_MINER_OPTIONS"],
    [{ lanes: Number.NaN }, "E_MINER_OPTIONS"],
    [{ user: "  " }, "E_MINER_OPTIONS"],
    [{ reportIntervalSeconds: 0 }, "E_MINER_OPTIONS"],
    [{ durationSeconds: -5 }, "E_MINER_OPTIONS"],
    [{ durationSeconds: Number.NaN }, "E_MINER_OPTIONS"],
    [{ apiPort: 65536 }, "E_MINER_OPTIONS"],
    [{ impl: "fast" as never }, "E_IMPL_UNKNOWN"],
    [{ pools: [] }, "E_POOL_CONFIG"],
    [{ pools: ["stratum+tcp://pool"] }, "E_POOL_URL"],
    [{ pools: ["stratum+tcp://a:1", "tcp://b:2"] }, "E_POOL_URL"],
    [{ tls: { fingerprint: "xyz" } }, "E_TLS_PIN_FORMAT"],
    [{ tls: { caFile: "/nonexistent/ca.pem" } }, "E_TLS_CA_FILE"],
  ])("%p → %s", (bad, code) => {
    expect(codeOf(() => resolveMinerOptions({ ...BASE, ...bad }))).toBe(code);
  });

  test("an implementation this CPU lacks is refused up front", () => {
    const missing = process.arch === "arm64" ? "aesni" : "armv8";
    expect(codeOf(() => resolveMinerOptions({ ...BASE, impl: missing }))).toBe("E_IMPL_UNAVAILABLE");
  });
});
