// Seeded fuzzing of the WebSocket codecs: random bytes, valid frames mutated at the byte level, and
// random values in every field of every frame type. The property: a decoder returns a frame (which
// re-encodes to something that decodes to the same frame) or throws a WsFrameError — nothing else
// escapes. Failures reproduce from the seed and the iteration printed.

import { describe, expect, test } from "bun:test";
import { encode } from "@msgpack/msgpack";
import { WsFrameError } from "../../src/protocol/ws-errors.ts";
import { decodeJsonClientMessage, encodeJsonClientMessage } from "../../src/protocol/ws-json.ts";
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
} from "../../src/protocol/ws-msgpack.ts";
import { prng } from "./fixtures.ts";

const SEED = 20260512;
const ROUNDS = 4000;

function check<T>(
  what: string,
  i: number,
  input: unknown,
  decode: () => T,
  reencode: (v: T) => T,
  tally: { ok: number; coded: number },
): void {
  let v: T;
  try {
    v = decode();
  } catch (e) {
    if (e instanceof WsFrameError) {
      tally.coded++;
      return;
    }
    throw new Error(
      `${what} #${i} (seed ${SEED}) threw ${String(e)} for ${JSON.stringify(input, (_, x) => (x instanceof Uint8Array ? Array.from(x) : x)).slice(0, 300)}`,
    );
  }
  tally.ok++;
  expect(reencode(v)).toEqual(v);
}

function tools(rnd: () => number) {
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const VALUES: unknown[] = [
    null,
    true,
    false,
    0,
    -1,
    1.5,
    2 ** 32,
    2 ** 53,
    NaN,
    "",
    "a",
    "x".repeat(70),
    "é\u0000",
    [],
    {},
    [1, 2],
    new Uint8Array(0),
    new Uint8Array(9),
    new Uint8Array(16),
    new Uint8Array(100),
  ];
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const mutate = (b: Uint8Array): Uint8Array => {
    const a = Array.from(b);
    switch (int(4)) {
      case 0:
        for (let k = 0, n = 1 + int(3); k < n; k++) a[int(a.length)] = int(256);
        break;
      case 1:
        a.splice(int(a.length), 1 + int(4));
        break;
      case 2:
        a.splice(int(a.length + 1), 0, ...bytes(1 + int(4)));
        break;
      default:
        a.length = int(a.length);
    }
    return Uint8Array.from(a);
  };
  return { int, pick, VALUES, bytes, mutate };
}

describe("fuzz: msgpack client frames (what the bridge decodes)", () => {
  test(`${ROUNDS} random, mutated and field-fuzzed frames`, () => {
    const rnd = prng(SEED);
    const { int, pick, VALUES, bytes, mutate } = tools(rnd);
    const valid = [
      encodeClientFrame({ type: "hello", worker: "rig", agent: "a" }),
      encodeClientFrame({ type: "share", seq: 1, jobId: "cccd", nonce: new Uint8Array(9) }),
      encodeClientFrame({ type: "ping", seq: 2 }),
    ];
    const tally = { ok: 0, coded: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      let input: Uint8Array;
      switch (i % 3) {
        case 0:
          input = bytes(int(80));
          break;
        case 1:
          input = mutate(pick(valid));
          break;
        default: {
          const f: Record<string, unknown> = {
            v: rnd() < 0.9 ? 1 : pick(VALUES),
            t: pick(["hello", "share", "ping", "job", pick(VALUES)]),
          };
          for (const k of ["i", "j", "n", "w", "a"]) if (rnd() < 0.7) f[k] = pick(VALUES);
          input = encode(f);
        }
      }
      check(
        "decodeClientFrame",
        i,
        input,
        () => decodeClientFrame(input),
        (v) => decodeClientFrame(encodeClientFrame(v)),
        tally,
      );
    }
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.coded).toBeGreaterThan(ROUNDS / 2);
  });
});

describe("fuzz: msgpack server frames (what the browser client decodes)", () => {
  test(`${ROUNDS} mutated and field-fuzzed frames`, () => {
    const rnd = prng(SEED + 1);
    const { pick, VALUES, mutate } = tools(rnd);
    const valid = [
      encodeServerFrame({
        type: "job",
        jobId: "a",
        clean: true,
        head: new Uint8Array(108),
        solution: Uint8Array.of(7),
        prefix: new Uint8Array(6),
        target: new Uint8Array(32),
        difficulty: 1,
      }),
      encodeServerFrame({ type: "result", seq: 1, verdict: { accepted: false, code: 23, message: "low" } }),
      encodeServerFrame({ type: "error", code: "E_BAD_FIELD", message: "m", seq: null }),
    ];
    const tally = { ok: 0, coded: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) input = mutate(pick(valid));
      else {
        const f: Record<string, unknown> = {
          v: 1,
          t: pick(["welcome", "job", "result", "pong", "error", "msg", pick(VALUES)]),
        };
        for (const k of ["s", "w", "j", "c", "h", "x", "g", "d", "i", "a", "f", "m"])
          if (rnd() < 0.7) f[k] = pick(VALUES);
        input = encode(f);
      }
      check(
        "decodeServerFrame",
        i,
        input,
        () => decodeServerFrame(input),
        (v) => decodeServerFrame(encodeServerFrame(v)),
        tally,
      );
    }
    expect(tally.coded).toBeGreaterThan(0);
  });
});

describe("fuzz: JSON client messages", () => {
  test(`${ROUNDS} random, mutated and field-fuzzed messages`, () => {
    const rnd = prng(SEED + 2);
    const { int, pick, VALUES } = tools(rnd);
    const TOKENS = ['"', "{", "}", "[", "]", ",", ":", "null", "1e999", "-0", '"\\u0000"', "é", "__proto__"];
    const valid = [
      '{"type":"share","work":{"job_id":"cccd","data":[1,2]},"nonce":5}',
      '{"type":"ping"}',
      '{"type":"hello","worker":"w"}',
    ];
    const tally = { ok: 0, coded: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      let text: string;
      const s = pick(valid);
      switch (i % 3) {
        case 0:
          text = Array.from({ length: int(40) }, () => String.fromCharCode(int(128))).join("");
          break;
        case 1: {
          const at = int(s.length);
          text =
            rnd() < 0.5
              ? s.slice(0, at) + pick(TOKENS) + s.slice(at)
              : s.slice(0, at) + s.slice(at + 1 + int(3));
          break;
        }
        default: {
          const o: Record<string, unknown> = { type: pick(["share", "ping", "hello", pick(VALUES)]) };
          for (const k of ["nonce", "job_id", "worker", "id"]) if (rnd() < 0.6) o[k] = pick(VALUES);
          if (rnd() < 0.5) o.work = rnd() < 0.8 ? { job_id: pick(VALUES) } : pick(VALUES);
          text = JSON.stringify(o, (_, x) => (x instanceof Uint8Array ? Array.from(x) : x));
        }
      }
      check(
        "decodeJsonClientMessage",
        i,
        text,
        () => decodeJsonClientMessage(text),
        (v) => decodeJsonClientMessage(encodeJsonClientMessage(v)),
        tally,
      );
    }
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.coded).toBeGreaterThan(ROUNDS / 2);
  });
});
