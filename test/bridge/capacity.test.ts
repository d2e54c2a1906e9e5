// Lease exhaustion: with 1-byte leases and a cap of 2 sessions per upstream session, a third miner
// opens a second pool connection — or, at the configured maximum, is refused with E_BRIDGE_FULL.
// A released lease is not handed out again before the next clean job.

import { afterEach, expect, test } from "bun:test";
import type { BridgeStack } from "../../src/cli/compose.ts";
import { bytesToHex } from "../../src/protocol/index.ts";
import { codeOf } from "../support/errors.ts";
import { connect, FakeSink, startBridge, until } from "./harness.ts";

const stacks: BridgeStack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.stop();
});

test("a full upstream session makes the bridge open another; an empty extra one is closed again", async () => {
  const s = startBridge(
    { "bridge.lease_bytes": 1 },
    { tuning: { maxSessionsPerUpstream: 2, maxUpstreams: 3 } },
  );
  stacks.push(s);
  const b = s.bridge;
  const m1 = await connect(b);
  const m2 = await connect(b);
  const m3 = await connect(b);
  const ups = b.stats().upstreams;
  expect(ups.map((u) => u.sessions)).toEqual([2, 1]);
  expect(ups[0]!.extranonce1).not.toBe(ups[1]!.extranonce1);
  const xn1s = [m1, m2, m3].map((m) => bytesToHex(m.sink.last.extranonce1));
  expect(new Set(xn1s).size).toBe(3);
  for (const x of xn1s) expect(x).toHaveLength(10); // 4-byte pool xn1 + 1 lease byte
  expect(xn1s[2]!.startsWith(ups[1]!.extranonce1!)).toBe(true);
  expect(s.builtinPool!.stats().connections).toBe(2);
  m3.session.close();
  await until(() => b.stats().upstreams.length === 1, "the extra upstream session to close");
  await until(() => s.builtinPool!.stats().connections === 1, "the pool to see it go");
});

test("at the maximum: E_BRIDGE_FULL; a released lease is reused only after a clean job", async () => {
  const s = startBridge(
    { "bridge.lease_bytes": 1 },
    { tuning: { maxSessionsPerUpstream: 2, maxUpstreams: 1 } },
  );
  stacks.push(s);
  const b = s.bridge;
  const m1 = await connect(b);
  const m2 = await connect(b);
  const open = () => b.open({ transport: "ws-msgpack", remote: "127.0.0.1" }, new FakeSink());
  expect(codeOf(open)).toBe("E_BRIDGE_FULL");
  const released = bytesToHex(m1.sink.last.extranonce1);
  m1.session.close();
  expect(codeOf(open)).toBe("E_BRIDGE_FULL"); // quarantined until the next clean job
  s.builtinPool!.newJob(); // not clean: still quarantined
  await until(() => m2.sink.works.length === 2, "the job");
  expect(m2.sink.last.clean).toBe(false);
  expect(codeOf(open)).toBe("E_BRIDGE_FULL");
  s.builtinPool!.newBlock();
  const sink = new FakeSink();
  await until(() => {
    try {
      b.open({ transport: "ws-msgpack", remote: "127.0.0.1" }, sink);
      return true;
    } catch {
      return false;
    }
  }, "a lease after the clean job");
  await until(() => sink.works.length > 0, "work for the new session");
  expect(bytesToHex(sink.last.extranonce1)).toBe(released);
});
