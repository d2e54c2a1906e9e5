// harness.ts — the bridge core under test: a config built from flags (no file, no environment),
// fake sinks standing in for the transports, and shares found with the native scan the way a
// PBaaS-aware miner finds them (tail = session xn1 ‖ zeros ‖ uint32 LE counter at tail[11..14]).

import type {
  Bridge,
  MinerSession,
  MinerSink,
  MinerTransport,
  MinerWork,
  SessionEnd,
  ShareResult,
} from "../../src/bridge/index.ts";
import { startBridgeStack, type BridgeStack, type BridgeStackOptions } from "../../src/cli/compose.ts";
import { loadConfig, type Config } from "../../src/config/index.ts";
import { Hasher, NONCE_TAIL_BYTES, TAIL_COUNTER_OFFSET } from "../../src/hash/index.ts";
import { leBytesToBigInt, parseSubmit, targetToLE } from "../../src/protocol/index.ts";
import { FakeSink } from "../support/fake-sink.ts";

export const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";

/** A complete Config from dotted keys (flag > default), as the CLI would build it. */
export function testConfig(values: Record<string, unknown> = {}): Readonly<Config> {
  return loadConfig({
    file: null,
    env: {},
    flags: Object.entries({ "bridge.ledger": "", ...values }).map(([key, value]) => ({
      key,
      value,
      flag: key,
    })),
  });
}

/** Polls `test` every 5 ms until it holds; fails after `timeoutMs` naming `what`. */
export async function until(
  test: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await test())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

export { FakeSink };

export interface Miner {
  sink: FakeSink;
  session: MinerSession;
}

/** Opens and authorizes a session; waits for its first work. */
export async function connect(
  bridge: Bridge,
  worker = `${ADDRESS}.w1`,
  transport: MinerTransport = "ws-msgpack",
): Promise<Miner> {
  const sink = new FakeSink();
  const session = bridge.open({ transport, remote: "127.0.0.1" }, sink);
  const auth = session.authorize(worker, "x");
  if (!auth.ok) throw new Error(`authorize failed: ${auth.reason}`);
  await until(() => sink.works.length > 0, "the first work");
  return { sink, session };
}

/** Submits and waits for the verdict. */
export async function verdict(
  m: Miner,
  share: Parameters<MinerSession["submit"]>[0],
  token: unknown = Symbol("share"),
): Promise<ShareResult> {
  m.session.submit(share, token);
  await until(() => m.sink.resultFor(token) !== undefined, "the share's verdict");
  return m.sink.resultFor(token)!;
}

let hasher: Hasher | null = null;
function scanner(): Hasher {
  return (hasher ??= Hasher.open("auto"));
}

export interface Found {
  tail: Uint8Array;
  counter: number;
}

/**
 * A tail for `work` whose hash meets `target` (or, with `miss`, does not), from counter `start`.
 * `prefix` replaces the session's extranonce1 at the start of the tail (to break the rules).
 */
export function findTail(
  work: MinerWork,
  target: bigint,
  start = 0,
  miss = false,
  prefix = work.extranonce1,
): Found {
  const h = scanner();
  const tail = new Uint8Array(NONCE_TAIL_BYTES);
  tail.set(prefix, 0);
  h.prepareJob(work.job.hashInput(work.extranonce1, new Uint8Array(work.extranonce2Size), tail));
  const view = new DataView(tail.buffer);
  if (!miss) {
    const [counter] = h.scan(tail, start, 2_000_000, targetToLE(target), 1);
    if (counter === undefined) throw new Error("no share within 2M hashes");
    view.setUint32(TAIL_COUNTER_OFFSET, counter, true);
    return { tail, counter };
  }
  // A clear miss: validateShare forgives shares within 1 % of the target (the pools' float
  // tolerance), so a hash only just above it would still be credited.
  const clearMiss = target + target / 50n;
  for (let n = start; n < start + 100_000; n++) {
    view.setUint32(TAIL_COUNTER_OFFSET, n, true);
    if (leBytesToBigInt(h.jobHash(tail)) > clearMiss) return { tail, counter: n };
  }
  throw new Error("no miss within 100k hashes");
}

/** The Stratum form of a found tail: mining.submit params as a native miner sends them. */
export function stratumShare(
  work: MinerWork,
  tail: Uint8Array,
  extranonce2 = new Uint8Array(work.extranonce2Size),
) {
  return parseSubmit(work.job.submitParams("ignored", extranonce2, tail));
}

/** A bridge on the built-in pool (ephemeral port, jobs only when the test asks), as the CLI wires it. */
export function startBridge(values: Record<string, unknown> = {}, o: BridgeStackOptions = {}): BridgeStack {
  return startBridgeStack(
    testConfig({
      "upstream.pools": "builtin",
      "bridge.ws_difficulty": 0.001,
      "bridge.tcp_difficulty": 0.001,
      "builtin_pool.difficulty": 0.01,
      ...values,
    }),
    {
      ...o,
      builtinPool: { seed: 7, jobIntervalSeconds: 3600, blockIntervalSeconds: 7200, ...o.builtinPool },
      tuning: { summaryIntervalSeconds: null, ...o.tuning },
    },
  );
}
