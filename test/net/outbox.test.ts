// Partial writes and the outgoing cap, with a socket that takes a scripted number of bytes.

import { describe, expect, test } from "bun:test";
import { Outbox } from "../../src/net/outbox.ts";

/** A socket that takes at most `budget` bytes until given more; -1 once closed. */
function fakeSocket() {
  const taken: number[] = [];
  const s = {
    budget: Infinity,
    closed: false,
    taken,
    write(d: Uint8Array): number {
      if (s.closed) return -1;
      const n = Math.min(d.length, s.budget);
      s.budget -= n;
      for (const b of d.subarray(0, n)) taken.push(b);
      return n;
    },
  };
  return s;
}
const bytes = (...v: number[]) => Uint8Array.from(v);

describe("Outbox", () => {
  test("a write the socket takes whole is not queued", () => {
    const o = new Outbox(100);
    const s = fakeSocket();
    expect(o.send(bytes(1, 2, 3), s)).toBe("written");
    expect(o.pendingBytes).toBe(0);
    expect(s.taken).toEqual([1, 2, 3]);
  });

  test("the rest of a partial write is queued, later sends queue behind it, drain flushes in order", () => {
    const o = new Outbox(100);
    const s = fakeSocket();
    s.budget = 2;
    expect(o.send(bytes(1, 2, 3, 4), s)).toBe("queued");
    expect(o.send(bytes(5, 6), s)).toBe("queued"); // not written ahead of 3, 4
    expect(o.pendingBytes).toBe(4);
    s.budget = 1;
    expect(o.flush(s)).toBe("pending");
    expect(o.pendingBytes).toBe(3);
    s.budget = Infinity;
    expect(o.flush(s)).toBe("flushed");
    expect(s.taken).toEqual([1, 2, 3, 4, 5, 6]);
    expect(o.pendingBytes).toBe(0);
  });

  test("past the cap nothing more is queued: overflow", () => {
    const o = new Outbox(5);
    const s = fakeSocket();
    s.budget = 0;
    expect(o.send(bytes(1, 2, 3), s)).toBe("queued");
    expect(o.send(bytes(4, 5, 6), s)).toBe("overflow");
    expect(o.pendingBytes).toBe(3);
  });

  test("a closed socket reports closed and drops the queue", () => {
    const o = new Outbox(100);
    const s = fakeSocket();
    s.budget = 0;
    o.send(bytes(1), s);
    s.closed = true;
    expect(o.send(bytes(2), s)).toBe("queued"); // behind the queue: not written yet
    expect(o.flush(s)).toBe("closed");
    expect(o.pendingBytes).toBe(0);
    expect(new Outbox(1).send(bytes(1), s)).toBe("closed");
  });

  test("the cap must be positive", () => {
    expect(() => new Outbox(0)).toThrow(RangeError);
  });
});
