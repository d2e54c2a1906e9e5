// raw-miner.ts — the smallest Stratum miner: subscribe, authorize, and the arrival time of every
// mining.notify (performance.now() when its bytes were read), for measuring how fast jobs reach a
// miner (test/e2e/solo.test.ts, bench/solo.ts). It never submits.

export interface RawMiner {
  notifies: { clean: boolean; at: number }[];
  close(): void;
}

/** A minimal Stratum miner: subscribe, authorize, and the time of every mining.notify. */
export async function rawMiner(
  port: number,
  user = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.raw",
): Promise<RawMiner> {
  const notifies: RawMiner["notifies"] = [];
  let text = "";
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        const at = performance.now();
        text += chunk.toString();
        const lines = text.split("\n");
        text = lines.pop()!;
        for (const l of lines) {
          if (l.trim() === "") continue;
          const m = JSON.parse(l) as { method?: string; params?: unknown[] };
          if (m.method === "mining.notify") notifies.push({ clean: m.params![7] === true, at });
        }
      },
    },
  });
  socket.write(`{"id":1,"method":"mining.subscribe","params":["raw/1.0"]}\n`);
  socket.write(`{"id":2,"method":"mining.authorize","params":[${JSON.stringify(user)},"x"]}\n`);
  return { notifies, close: () => socket.end() };
}
