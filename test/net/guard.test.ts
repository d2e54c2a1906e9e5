import { describe, expect, test } from "bun:test";
import { BAD_FRAME_LIMIT, InboundGuard, messageRateFor } from "../../src/net/guard.ts";

const limits = { handshakeMs: 1000, idleMs: 5000, messageRate: 10 };

describe("InboundGuard", () => {
  test("bad frames: the limit-th one says close", () => {
    const g = new InboundGuard(limits, 0);
    const verdicts = Array.from({ length: BAD_FRAME_LIMIT }, () => g.badFrame());
    expect(verdicts).toEqual([...Array(BAD_FRAME_LIMIT - 1).fill(false), true]);
  });

  test("message rate: a burst of 2 s worth, then the sustained rate", () => {
    const g = new InboundGuard(limits, 0);
    let ok = 0;
    while (g.message(0)) ok++;
    expect(ok).toBe(20);
    expect(g.message(50)).toBe(false); // half a token refilled
    expect(g.message(100)).toBe(true);
    expect(messageRateFor(20)).toBe(200); // well above the core's share ladder
    expect(messageRateFor(1)).toBe(100);
  });

  test("deadlines: handshake until completed, then idle since the last message", () => {
    const g = new InboundGuard(limits, 0);
    expect(g.timeout(1000)).toBeNull();
    expect(g.timeout(1001)).toBe("E_HANDSHAKE_TIMEOUT");
    g.completeHandshake();
    expect(g.timeout(1001)).toBeNull();
    g.message(4000);
    expect(g.timeout(9000)).toBeNull();
    expect(g.timeout(9001)).toBe("E_IDLE_TIMEOUT");
  });
});
