// The connection caps: every socket holds a slot from accept to close; per-address counts follow
// the client (a proxy's socket is counted once its client is known); at the total cap the oldest
// pending socket makes room, and miners (settled) never do.

import { describe, expect, test } from "bun:test";
import { ConnectionGate, Slot } from "../../src/downstream/gate.ts";

function opened(g: ConnectionGate, ip: string | null, evicted: string[] = [], name = ip ?? "proxy"): Slot {
  const r = g.open(ip);
  if (typeof r === "string") throw new Error(r);
  r.owner = { evict: () => void evicted.push(name) };
  return r;
}

describe("ConnectionGate", () => {
  test("per-address and total caps; release frees exactly one slot, once", () => {
    const g = new ConnectionGate(3, 2);
    const a1 = opened(g, "a");
    opened(g, "a").settle();
    a1.settle();
    expect(g.open("a")).toBe("E_TOO_MANY_FROM_ADDRESS");
    opened(g, "b").settle();
    expect(g.open("c")).toBe("E_TOO_MANY_CONNECTIONS");
    a1.release();
    a1.release();
    expect([g.total, g.addresses, g.held("a")]).toEqual([2, 2, 1]);
    expect(typeof g.open("c")).toBe("object");
  });

  test("at the total cap the oldest pending slot is evicted; settled ones never are", () => {
    const g = new ConnectionGate(3, 10);
    const evicted: string[] = [];
    opened(g, "miner", evicted).settle();
    const idle1 = opened(g, "idle1", evicted);
    opened(g, "idle2", evicted);
    opened(g, "new1", evicted);
    expect(evicted).toEqual(["idle1"]);
    expect(idle1.released).toBe(true);
    // An idle keep-alive connection goes to the back of the queue.
    const k = opened(g, "keepalive", evicted);
    expect(evicted).toEqual(["idle1", "idle2"]);
    k.settle();
    k.unsettle();
    opened(g, "new2", evicted);
    expect(evicted).toEqual(["idle1", "idle2", "new1"]);
    expect([g.total, g.evicted, g.pending]).toEqual([3, 3, 2]);
  });

  test("a trusted proxy's socket counts in the total only, until claim() names its client", () => {
    const g = new ConnectionGate(10, 1);
    const p1 = opened(g, null);
    const p2 = opened(g, null);
    expect(g.addresses).toBe(0);
    expect(p1.claim("1.2.3.4")).toBe("ok");
    expect(p2.claim("1.2.3.4")).toBe("E_TOO_MANY_FROM_ADDRESS");
    expect(p2.ip).toBeNull();
    expect(p2.claim("5.6.7.8")).toBe("ok");
    expect(p1.claim("1.2.3.4")).toBe("ok"); // the same client again: nothing more counted
    expect(p1.claim("9.9.9.9")).toBe("ok"); // a new client: the old count is given back
    expect([g.held("1.2.3.4"), g.held("9.9.9.9")]).toEqual([0, 1]);
    p1.release();
    p2.release();
    expect([g.total, g.addresses]).toEqual([0, 0]);
  });

  test("bad caps are refused; a release the gate never gave is our bug", () => {
    expect(() => new ConnectionGate(0, 1)).toThrow(RangeError);
    expect(() => new ConnectionGate(1, 1)._give("x")).toThrow();
  });
});
