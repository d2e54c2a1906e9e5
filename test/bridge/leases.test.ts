// Lease book: unique ids, quarantine of released ids until the next clean job, capacity, and the
// 7-byte rule for P ‖ lease.

import { describe, expect, test } from "bun:test";
import { LeaseBook, leaseBytesFor } from "../../src/bridge/leases.ts";

describe("LeaseBook", () => {
  test("ids are unique while live, as k-byte hex", () => {
    const b = new LeaseBook(2);
    expect(b.capacity).toBe(65_536);
    const ids = [b.allocate(), b.allocate(), b.allocate()];
    expect(new Set(ids).size).toBe(3);
    expect(b.hex(ids[2]!)).toBe("0002");
    expect(b.hex(0xabcd)).toBe("abcd");
    expect(b.live).toBe(3);
  });

  test("a released id is not reused before the next clean job", () => {
    const b = new LeaseBook(1, 2);
    const x = b.allocate()!;
    const y = b.allocate()!;
    expect(b.allocate()).toBeNull();
    b.release(x);
    expect(b.available).toBe(0);
    expect(b.quarantined).toBe(1);
    expect(b.allocate()).toBeNull();
    b.cleanJob();
    expect(b.available).toBe(1);
    expect(b.allocate()).toBe(x);
    b.release(y);
    b.release(y); // idempotent
    expect(b.quarantined).toBe(1);
  });

  test("ids never handed out come first; 1 byte gives 256", () => {
    const b = new LeaseBook(1);
    expect(b.capacity).toBe(256);
    const first = b.allocate()!;
    b.release(first);
    b.cleanJob();
    expect(b.allocate()).toBe(first); // recycled ids are free again
    for (let i = 1; i < 256; i++) expect(b.allocate()).not.toBeNull();
    expect(b.allocate()).toBeNull();
  });

  test("bad sizes are programmer errors", () => {
    expect(() => new LeaseBook(0)).toThrow(RangeError);
    expect(() => new LeaseBook(1, 0)).toThrow(RangeError);
  });
});

test("leaseBytesFor: P ‖ lease must fit in 7 bytes", () => {
  expect(leaseBytesFor(4, 2)).toBe(2);
  expect(leaseBytesFor(4, 3)).toBe(3);
  expect(leaseBytesFor(5, 3)).toBe(2); // reduced
  expect(leaseBytesFor(6, 2)).toBe(1);
  expect(leaseBytesFor(7, 1)).toBe(0); // refused
  expect(leaseBytesFor(8, 1)).toBe(0);
});
