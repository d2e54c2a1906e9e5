// Each command's configuration flags come from the FIELDS table (src/cli/config.ts), and exit 2
// is decided by the error's own class (CodedError.usage), not by a list of codes in the CLI.

import { describe, expect, test } from "bun:test";
import { BridgeError } from "../../src/bridge/index.ts";
import { configArgs, configFlags } from "../../src/cli/config.ts";
import { isUsageError, UsageError } from "../../src/cli/errors.ts";
import { ConfigError } from "../../src/config/index.ts";
import { HashError } from "../../src/hash/errors.ts";
import { MinerError } from "../../src/miner/index.ts";
import { UpstreamError } from "../../src/upstream/index.ts";

describe("flags derived from FIELDS", () => {
  test("each command gets its own flags, aliases and --config", () => {
    expect(Object.keys(configArgs("bridge")).sort()).toEqual([
      "config",
      "daemon",
      "daemon-conf",
      "debug",
      "ledger",
      "pass",
      "pool",
      "port",
      "stratum-port",
      "stratum-tls-port",
      "tls-cert",
      "tls-key",
      "user",
      "workers",
    ]);
    expect(Object.keys(configArgs("pool")).sort()).toEqual([
      "block-interval",
      "config",
      "daemon",
      "daemon-conf",
      "diff",
      "host",
      "impl",
      "job-interval",
      "port",
      "vardiff",
    ]);
    const mine = configArgs("mine");
    expect(Object.keys(mine).sort()).toEqual([
      "api-port",
      "config",
      "debug",
      "impl",
      "lanes",
      "pass",
      "pool",
      "report-interval",
      "threads",
      "tls-ca-file",
      "tls-fingerprint",
      "user",
    ]);
    expect(
      [mine.pool, mine.user, mine.pass, mine.threads].map((d) =>
        d !== undefined && "alias" in d ? d.alias : undefined,
      ),
    ).toEqual(["o", "u", "p", "t"]);
    expect("alias" in configArgs("bridge").pool!).toBe(false);
    expect(mine.debug!.type).toBe("boolean");
  });

  test("values map onto config keys; a list flag collects every occurrence and comma list", () => {
    const raw = ["-o", "stratum+tcp://a:1, stratum+tcp://b:2", "--pool=stratum+tcp://c:3", "--threads", "2"];
    const flags = configFlags("mine", { threads: "2" }, raw);
    expect(flags.find((f) => f.key === "upstream.pools")).toEqual({
      key: "upstream.pools",
      value: ["stratum+tcp://a:1", "stratum+tcp://b:2", "stratum+tcp://c:3"],
      flag: "--pool",
    });
    expect(flags.find((f) => f.key === "miner.threads")).toEqual({
      key: "miner.threads",
      value: "2",
      flag: "--threads",
    });
    expect(flags.find((f) => f.key === "upstream.user")!.value).toBeUndefined();
    expect(configFlags("pool", { port: "0" }, []).find((f) => f.flag === "--port")!.key).toBe(
      "builtin_pool.port",
    );
    expect(configFlags("bridge", { port: "0" }, []).find((f) => f.flag === "--port")!.key).toBe(
      "bridge.port",
    );
  });
});

describe("usage errors are marked on their classes", () => {
  test.each([
    [new UsageError("E_USAGE", "x"), true],
    [new ConfigError("E_CONFIG_FILE", "x"), true],
    [new HashError("E_IMPL_UNKNOWN", "x"), true],
    [new HashError("E_NATIVE_LOAD", "x"), false],
    [new MinerError("E_MINER_OPTIONS", "x"), true],
    [new MinerError("E_MINER_WORKER", "x"), false],
    [new UpstreamError("E_POOL_URL", "x"), true],
    [new UpstreamError("E_CONNECT_REFUSED", "x"), false],
    [new BridgeError("E_BRIDGE_OPTIONS", "x"), true],
    [new BridgeError("E_LEDGER", "x"), false],
    [Object.assign(new Error("citty"), { code: "EARG" }), true],
    [Object.assign(new Error("other"), { code: "E_USAGE" }), false],
    [new Error("plain"), false],
  ])("%p → %p", (e, usage) => {
    expect(isUsageError(e)).toBe(usage);
  });
});
