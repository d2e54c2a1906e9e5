import { describe, expect, test } from "bun:test";
import { ConnectionGate } from "../../src/downstream/gate.ts";

describe("ConnectionGate", () => {
  test("per-address and total caps; release frees exactly one slot", () => {
    const g = new ConnectionGate(3, 2);
    expect([g.acquire("a"), g.acquire("a"), g.acquire("a")]).toEqual(["ok", "ok", "E_TOO_MANY_FROM_ADDRESS"]);
    expect(g.acquire("b")).toBe("ok");
    expect(g.acquire("c")).toBe("E_TOO_MANY_CONNECTIONS");
    g.release("a");
    expect([g.total, g.addresses]).toEqual([2, 2]);
    expect(g.acquire("c")).toBe("ok");
    g.release("b");
    g.release("c");
    g.release("a");
    expect([g.total, g.addresses]).toEqual([0, 0]);
  });

  test("a release without an acquire is our bug, not a silent negative count", () => {
    expect(() => new ConnectionGate(1, 1).release("x")).toThrow();
    expect(() => new ConnectionGate(0, 1)).toThrow(RangeError);
  });
});
