// The shared-memory protocol between the main thread and the workers, driven from one thread:
// publish → the view copies the newest work; null pauses; the stop flag and hash counters.

import { describe, expect, test } from "bun:test";
import { HASH_BYTES, HASH_INPUT_BYTES } from "../../src/hash/index.ts";
import { createShared, WorkBoard, WorkView } from "../../src/miner/shared.ts";

function work(fill: number, xn1Length = 4) {
  return {
    header: new Uint8Array(HASH_INPUT_BYTES).fill(fill),
    targetLE: new Uint8Array(HASH_BYTES).fill(fill + 1),
    extranonce1: new Uint8Array(xn1Length),
  };
}

describe("WorkBoard ⇄ WorkView", () => {
  test("nothing published: sequence 0, no work", () => {
    const view = new WorkView(createShared(1), 0);
    expect(view.seq).toBe(0);
    expect(view.read(new Uint8Array(HASH_INPUT_BYTES), new Uint8Array(HASH_BYTES))).toEqual({
      seq: 0,
      active: false,
      extranonce1Length: 0,
    });
  });

  test("each publish is a new sequence; a reader always gets the newest, whole", () => {
    const b = createShared(2);
    const board = new WorkBoard(b);
    const view = new WorkView(b, 1);
    const header = new Uint8Array(HASH_INPUT_BYTES);
    const target = new Uint8Array(HASH_BYTES);
    expect(board.publish(work(1))).toBe(1);
    expect(board.publish(work(2, 9))).toBe(2);
    expect(board.publish(work(3))).toBe(3); // overwrites slot 1 while 2 is still in slot 0
    expect(view.seq).toBe(3);
    expect(view.read(header, target)).toEqual({ seq: 3, active: true, extranonce1Length: 4 });
    expect(header.every((x) => x === 3)).toBe(true);
    expect(target.every((x) => x === 4)).toBe(true);
    expect(board.publish(work(5, 9))).toBe(4);
    expect(view.read(header, target)).toEqual({ seq: 4, active: true, extranonce1Length: 9 });
    expect(header[0]).toBe(5);
  });

  test("null pauses the workers; the copy is left alone", () => {
    const b = createShared(1);
    const board = new WorkBoard(b);
    const view = new WorkView(b, 0);
    const header = new Uint8Array(HASH_INPUT_BYTES).fill(9);
    board.publish(work(1));
    expect(board.publish(null)).toBe(2);
    expect(view.read(header, new Uint8Array(HASH_BYTES))).toMatchObject({ seq: 2, active: false });
    expect(header[0]).toBe(9);
  });

  test("wait returns at once when the sequence already moved; stop flag; hash counters per worker", () => {
    const b = createShared(2);
    const board = new WorkBoard(b);
    const views = [new WorkView(b, 0), new WorkView(b, 1)];
    board.publish(work(1));
    const t0 = performance.now();
    views[0]!.wait(0, 5_000); // sequence is 1, not 0
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(views[0]!.stopped).toBe(false);
    board.stop();
    expect(views[1]!.stopped).toBe(true);
    views[0]!.setHashes(2 ** 40 + 3);
    views[1]!.setHashes(7);
    expect([board.hashes(0), board.hashes(1)]).toEqual([2 ** 40 + 3, 7]);
  });

  test("malformed work is refused", () => {
    const board = new WorkBoard(createShared(1));
    expect(() => board.publish({ ...work(1), header: new Uint8Array(140) })).toThrow(RangeError);
  });
});
