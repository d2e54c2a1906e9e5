// stack.ts — the operator API's test bed: the built-in pool ⇄ the real bridge core (ledger in
// memory) ⇄ the downstream servers with the API, and a Stratum miner that finds real shares with
// the native scan (as test/downstream/e2e.test.ts's). Everything is torn down after each test.

import { afterAll, afterEach } from "bun:test";
import { downstreamOptions, startBridgeStack, type BridgeStack } from "../../../src/cli/compose.ts";
import { loadConfig } from "../../../src/config/index.ts";
import { startDownstream, type Downstream, type DownstreamOptions } from "../../../src/downstream/index.ts";
import { Hasher, TAIL_COUNTER_OFFSET } from "../../../src/hash/index.ts";
import { decodeNotify, hexToBytes, Job, targetFromHex, targetToLE } from "../../../src/protocol/index.ts";
import { silentLogger } from "../../../src/util/log.ts";
import { TestClient } from "../../pool/client.ts";

export const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";

const running: { stack: BridgeStack; ds: Downstream; clients: { close(): void }[] }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    for (const c of r.clients) c.close();
    await r.ds.stop();
    await r.stack.stop();
  }
});

const hasher = Hasher.open("auto");
afterAll(() => hasher.close());

export function startApiStack(options: Partial<DownstreamOptions> = {}, liveMax?: number) {
  const flags = {
    "upstream.pools": "builtin",
    "bridge.ledger": "",
    "bridge.tcp_difficulty": 0.001,
    "builtin_pool.difficulty": 0.002,
  };
  const c = loadConfig({
    file: null,
    env: {},
    flags: Object.entries(flags).map(([key, value]) => ({ key, value, flag: key })),
  });
  const stack = startBridgeStack(c, {
    builtinPool: { seed: 14, jobIntervalSeconds: 3600, blockIntervalSeconds: 7200 },
    tuning: { summaryIntervalSeconds: null },
  });
  const ds = startDownstream(
    stack.bridge,
    { ...downstreamOptions({ ...c.bridge, port: 0 }), ...options },
    silentLogger,
    { detectMs: 100, stratumEphemeral: true, ...(liveMax === undefined ? {} : { liveMax }) },
  );
  const r = { stack, ds, clients: [] as { close(): void }[] };
  running.push(r);
  const base = `http://127.0.0.1:${ds.port}`;
  return {
    ...r,
    bridge: stack.bridge,
    base,
    get: (path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(10_000) }),
    /** The JSON body of a GET (loosely typed: the tests assert its fields). */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    json: async (path: string, headers: Record<string, string> = {}): Promise<any> =>
      (await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(10_000) })).json(),
    /** A Stratum miner as `worker` that has had `shares` shares credited. */
    async mine(worker: string, shares: number): Promise<TestClient> {
      const m = await TestClient.connect(ds.stratumPort!);
      r.clients.push(m);
      const xn1 = hexToBytes(
        ((await m.request("mining.subscribe", ["ccminer/3.8.3"])).result as string[])[1]!,
      );
      const target = targetFromHex((await m.notification("mining.set_target")).params![0] as string);
      const job = new Job(decodeNotify(null, (await m.notification("mining.notify")).params!));
      await m.request("mining.authorize", [worker, "x"]);
      const xn2 = new Uint8Array(32 - xn1.length);
      let start = 0;
      for (let i = 0; i < shares; i++) {
        const tail = new Uint8Array(15);
        tail.set(xn1);
        const input = job.hashInput(xn1, xn2, tail);
        hasher.prepareJob(input);
        const t = input.slice(1472);
        const [counter] = hasher.scan(t, start, 5_000_000, targetToLE(target), 1);
        if (counter === undefined) throw new Error("no share found");
        new DataView(t.buffer).setUint32(TAIL_COUNTER_OFFSET, counter, true);
        start = counter + 1;
        const p = job.submitParams(worker, xn2, t);
        const reply = await m.request("mining.submit", [
          p.worker,
          p.jobId,
          p.nTime,
          p.extranonce2,
          p.solution,
        ]);
        if (reply.result !== true) throw new Error(`share refused: ${JSON.stringify(reply)}`);
      }
      return m;
    },
  };
}
