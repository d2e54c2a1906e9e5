// raw-miner.ts — the smallest Stratum miner for measuring how fast jobs reach a miner
// (test/e2e/solo.test.ts, bench/solo.ts): the raw test client (test/pool/client.ts) subscribed and
// authorized, and every mining.notify with the time its bytes were read. It never submits.

import { TestClient } from "../pool/client.ts";

export interface RawMiner {
  /** Every mining.notify so far: clean_jobs, and performance.now() when it arrived. */
  readonly notifies: { clean: boolean; at: number }[];
  close(): void;
}

export async function rawMiner(
  port: number,
  user = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.raw",
): Promise<RawMiner> {
  const c = await TestClient.connect(port);
  c.send({ id: 1, method: "mining.subscribe", params: ["raw/1.0"] });
  c.send({ id: 2, method: "mining.authorize", params: [user, "x"] });
  return {
    get notifies() {
      return c.received.flatMap((m, i) =>
        m.method === "mining.notify"
          ? [{ clean: (m.params as unknown[])[7] === true, at: c.arrivals[i]! }]
          : [],
      );
    },
    close: () => c.close(),
  };
}
