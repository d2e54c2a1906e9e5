// durability.ts — every acknowledged share survives kill -9 of the process writing it, on every
// backend (sqlite.test.ts and postgres.test.ts run it): a child credits as fast as it can and says
// what was acknowledged; once it has said 500, it is SIGKILLed and the database must hold at
// least as many shares as it acknowledged.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Ledger } from "../../src/ledger/index.ts";
import type { Backend } from "./backends.ts";

export function durabilitySuite(b: Backend): void {
  describe(`ledger durability on ${b.name}`, () => {
    beforeAll(() => b.setup(), 60_000);
    afterAll(() => b.teardown(), 60_000);

    test("every acknowledged share survives kill -9 of the process writing it", async () => {
      const target = await b.fresh();
      const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/ledger-child.ts"), target], {
        stdout: "pipe",
        stderr: "pipe",
      });
      let lastAcked = 0;
      const reader = child.stdout.getReader();
      const decoder = new TextDecoder();
      let buffered = "";
      const deadline = performance.now() + 15_000;
      try {
        while (lastAcked < 500) {
          if (performance.now() > deadline)
            throw new Error(`child acknowledged only ${lastAcked} shares in 15 s`);
          const { value, done } = await reader.read();
          if (done) throw new Error(`child exited early: ${await new Response(child.stderr).text()}`);
          buffered += decoder.decode(value, { stream: true });
          const lines = buffered.split("\n");
          buffered = lines.pop()!;
          for (const line of lines) lastAcked = Number(line.slice("acked ".length));
        }
      } finally {
        child.kill("SIGKILL");
      }
      expect(await child.exited).not.toBe(0);
      expect(child.signalCode).toBe("SIGKILL");
      expect(await b.count(target, "shares")).toBeGreaterThanOrEqual(lastAcked);
      const l = Ledger.open(target);
      await l.ready;
      const row = (await l.worker("RChild.worker"))!;
      expect(row.accepted).toBeGreaterThanOrEqual(lastAcked);
      expect(row.acceptedDifficulty).toBe(row.accepted * 0.5);
      expect(row.accepted).toBe(await b.count(target, "shares"));
      await l.close();
    }, 30_000);
  });
}
