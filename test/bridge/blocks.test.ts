// BlockCandidates (src/bridge/blocks.ts): the built-in pool's word on a block (client.show_message
// "block found at height H: HASH (RESULT)") settles the candidate with the height and the daemon's
// verdict — one ledger row, one event, the finder told (only it); without a word, it is settled
// after the wait with what is known.

import { expect, test } from "bun:test";
import { BlockCandidates } from "../../src/bridge/blocks.ts";
import type { BridgeEvent } from "../../src/events/index.ts";
import { Ledger } from "../../src/ledger/index.ts";
import { blockFoundMessage, takesBlocknotify } from "../../src/pool/blocks.ts";
import { linesLogger } from "../support/log.ts";

const HASH_A = "0000" + "ab".repeat(30);
const HASH_B = "0000" + "cd".repeat(30);

function setup(waitMs = 60_000) {
  const ledger = Ledger.open("", { clock: () => 1_000 });
  const events: BridgeEvent[] = [];
  const told: [number, string][] = [];
  const logs: string[] = [];
  const counted: boolean[] = [];
  const blocks = new BlockCandidates(
    {
      ledger,
      stats: { block: (a) => void counted.push(a) },
      events: { publish: (e) => events.push(e) },
      log: linesLogger(logs),
      now: () => 1_000,
      tell: (id, text) => told.push([id, text]),
    },
    "upstream #1",
    waitMs,
  );
  return { ledger, events, told, logs, blocks, counted };
}

test("the pool's word settles a candidate: height, verdict, one row, the finder told", async () => {
  const { ledger, events, told, blocks, counted } = setup();
  blocks.candidate(HASH_A, "RA.w1", 7, "accepted");
  expect(blocks.poolSays("block found at height 3911209: " + HASH_B + " (accepted)")).toBe(false); // not ours
  expect(blocks.poolSays("welcome to the pool")).toBe(false);
  expect(blocks.poolSays(`block found at height 3911209: ${HASH_A} (inconclusive)`)).toBe(true);
  expect(blocks.poolSays(`block found at height 3911209: ${HASH_A} (inconclusive)`)).toBe(false); // once
  await ledger.flush();
  expect(await ledger.blocks({ from: 0, to: 2_000 })).toEqual([
    { at: 1_000, worker: "RA.w1", height: 3911209, hash: HASH_A, result: "inconclusive" },
  ]);
  expect(events).toEqual([
    { type: "block", at: 1_000, worker: "RA.w1", height: 3911209, hash: HASH_A, result: "inconclusive" },
  ]);
  expect(told).toEqual([[7, `block found at height 3911209: ${HASH_A} (inconclusive)`]]);
  expect(counted).toEqual([false]); // found, not taken
  await ledger.close();
});

test("no word from the pool: settled after the wait with the pool's answer on the share", async () => {
  const { ledger, told, blocks } = setup(20);
  blocks.candidate(HASH_B, "RB", 3, "accepted");
  await Bun.sleep(60);
  await ledger.flush();
  expect(await ledger.blocks({ from: 0, to: 2_000 })).toEqual([
    { at: 1_000, worker: "RB", height: null, hash: HASH_B, result: "accepted" },
  ]);
  expect(told).toEqual([[3, `block found: ${HASH_B} (accepted)`]]);
  await ledger.close();
});

test("the built-in pool's own message is the word blocks.ts reads", () => {
  const { blocks } = setup();
  blocks.candidate(HASH_A, "RA.w1", 1, "accepted");
  const r = { hash: HASH_A, height: 12, result: "accepted", accepted: true, confirmed: true, sendMs: 0.2 };
  expect(blocks.poolSays(blockFoundMessage(r))).toBe(true);
});

test("vbridge.blocknotify is taken from loopback only (the pool answers anyone else 20 unknown method)", () => {
  for (const remote of ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
    expect(takesBlocknotify("vbridge.blocknotify", remote)).toBe(true);
  for (const remote of ["203.0.113.5", "10.0.0.1", "2001:db8::1", "::ffff:203.0.113.5"])
    expect(takesBlocknotify("vbridge.blocknotify", remote)).toBe(false);
  expect(takesBlocknotify("mining.fly", "127.0.0.1")).toBe(false);
});
