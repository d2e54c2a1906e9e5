import { describe, expect, test } from "bun:test";
import { encode } from "@msgpack/msgpack";
import { hexToBytes } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { difficultyToTarget, targetToLE } from "../../src/protocol/target.ts";
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  errorFrame,
  MsgpackJobTemplate,
  trimTemplate,
  type MsgpackClientFrame,
  type MsgpackServerFrame,
} from "../../src/protocol/ws-msgpack.ts";
import { HEADER_HEAD_BYTES } from "../../src/protocol/layout.ts";
import { codeOf } from "../support/errors.ts";
import { shareVectors } from "./fixtures.ts";

// ccminer 3.8.3's v7 job (solution v7 + 1 PBaaS header, template 124 bytes) under the bridge:
// the pool's 4-byte extranonce1 plus a 2-byte lease.
const vector = shareVectors()[2]!;
const job = new Job(decodeNotify(null, vector.notifyParams));
const prefix = hexToBytes(vector.extranonce1 + "0001");
const head = job.header(new Uint8Array(32)).subarray(0, HEADER_HEAD_BYTES);
const jobFrame = (difficulty: number): MsgpackServerFrame => ({
  type: "job",
  jobId: job.id,
  clean: true,
  head,
  solution: trimTemplate(job.template()),
  prefix,
  target: targetToLE(difficultyToTarget(difficulty)),
  difficulty,
});

describe("msgpack frame sizes (issue #5 budgets)", () => {
  test("a PBaaS v7 job frame is at most 400 bytes", () => {
    expect(job.solutionVersion).toBe(7);
    expect(job.pbaasCleared).toBe(true);
    for (const d of [8, 0.001234, 1e9]) {
      const bytes = encodeServerFrame(jobFrame(d));
      expect(bytes.length).toBeLessThanOrEqual(400);
      if (d === 0.001234)
        console.log(
          `v7 job frame: ${bytes.length} bytes (template ${trimTemplate(job.template()).length} bytes)`,
        );
    }
  });

  test("a share frame is at most 64 bytes (job id and the 9 tail bytes the miner varies)", () => {
    const share = encodeClientFrame({
      type: "share",
      seq: 0xffff_ffff,
      jobId: "ffff",
      nonce: new Uint8Array(15 - prefix.length).fill(0xff),
    });
    expect(share.length).toBeLessThanOrEqual(64);
    console.log(`share frame: ${share.length} bytes`);
    // Even a session with a 1-byte prefix (14 varied bytes) and an 8-character job id fits.
    expect(
      encodeClientFrame({ type: "share", seq: 0xffff_ffff, jobId: "deadbeef", nonce: new Uint8Array(14) })
        .length,
    ).toBeLessThanOrEqual(64);
  });
});

describe("msgpack round trips", () => {
  const clientFrames: MsgpackClientFrame[] = [
    { type: "hello", worker: "rig1", agent: "vbridge-web/1" },
    { type: "hello", worker: null, agent: null },
    { type: "share", seq: 7, jobId: "cccd", nonce: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9) },
    { type: "ping", seq: 3 },
    { type: "ping", seq: null },
  ];
  test.each(clientFrames.map((f) => [f.type, f] as const))("client %s", (_, f) => {
    expect(decodeClientFrame(encodeClientFrame(f))).toEqual(f);
  });

  const serverFrames: MsgpackServerFrame[] = [
    { type: "welcome", session: 12, worker: "rig1" },
    jobFrame(8),
    jobFrame(0.5),
    { type: "result", seq: 7, verdict: { accepted: true, difficulty: 8.5, forwarded: false } },
    {
      type: "result",
      seq: 8,
      verdict: { accepted: false, code: 23, message: "low difficulty share of 0.1" },
    },
    { type: "pong", seq: 3 },
    { type: "pong", seq: null },
    { type: "error", code: "E_BAD_FIELD", message: "n must be bytes", seq: null },
    { type: "message", text: "equihash VRSC block 3911208" },
    { type: "error", code: "E_BAD_FIELD", message: "j must be a string", seq: 41 },
    { type: "lease", prefix: Uint8Array.of(0x2a, 0, 0, 1, 0, 1) },
    { type: "idle", reason: "pool unreachable" },
  ];
  test("the lease and idle frames: their bytes (docs/protocol.md §3)", () => {
    const lease = encodeServerFrame({ type: "lease", prefix: Uint8Array.of(0x2a, 0, 0, 1, 0, 1) });
    expect(Buffer.from(lease).toString("hex")).toBe("83a17601a174a56c65617365a178c4062a0000010001");
    const idle = encodeServerFrame({ type: "idle", reason: "no pool" });
    expect(Buffer.from(idle).toString("hex")).toBe("83a17601a174a469646c65a172a76e6f20706f6f6c");
    expect(() => encodeServerFrame({ type: "lease", prefix: new Uint8Array(15) })).toThrow(RangeError);
  });
  test("a bad lease or idle frame from the server is E_BAD_FIELD (the page's decoder)", () => {
    for (const frame of [
      { v: 1, t: "lease" },
      { v: 1, t: "lease", x: new Uint8Array(0) },
      { v: 1, t: "lease", x: new Uint8Array(15) },
      { v: 1, t: "lease", x: "2a0000010001" },
      { v: 1, t: "idle", r: 5 },
    ])
      expect(codeOf(() => decodeServerFrame(encode(frame)))).toBe("E_BAD_FIELD");
  });

  test.each(serverFrames.map((f, i) => [`${f.type} ${i}`, f] as const))("server %s", (_, f) => {
    expect(decodeServerFrame(encodeServerFrame(f))).toEqual(f);
  });

  test("the per-job template gives the same bytes as a one-off encode", () => {
    const t = new MsgpackJobTemplate(job.id, head, job.template());
    const f = jobFrame(8) as Extract<MsgpackServerFrame, { type: "job" }>;
    expect(t.encode(true, f.prefix, f.target, 8)).toEqual(encodeServerFrame(f));
    const other = t.encode(false, Uint8Array.of(9, 9, 9), f.target, 0.25);
    expect(decodeServerFrame(other)).toMatchObject({
      type: "job",
      clean: false,
      prefix: Uint8Array.of(9, 9, 9),
      difficulty: 0.25,
      jobId: job.id,
    });
  });

  test("sessions with the same settings get the kept frame with their own prefix: the same bytes as a one-off encode", () => {
    const t = new MsgpackJobTemplate(job.id, head, job.template());
    const f = jobFrame(8) as Extract<MsgpackServerFrame, { type: "job" }>;
    const oneOff = (o: Partial<typeof f>) => encodeServerFrame({ ...f, ...o });
    const a = t.encode(true, f.prefix, f.target, 8);
    const other = Uint8Array.of(1, 2, 3, 4, 0, 9);
    const b = t.encode(true, other, f.target, 8); // from the kept frame
    expect(b).toEqual(oneOff({ prefix: other }));
    b.fill(0); // every frame is the caller's own
    expect(t.encode(true, f.prefix, f.target, 8)).toEqual(a);
    // Any setting that differs builds a new frame: clean, difficulty, target (even in the same array), prefix length.
    expect(t.encode(false, other, f.target, 8)).toEqual(oneOff({ prefix: other, clean: false }));
    expect(t.encode(false, other, f.target, 16)).toEqual(
      oneOff({ prefix: other, clean: false, difficulty: 16 }),
    );
    const target = f.target.slice();
    t.encode(false, other, target, 16);
    target[31] = 0x00;
    expect(t.encode(false, other, target, 16)).toEqual(
      oneOff({ prefix: other, clean: false, difficulty: 16, target }),
    );
    expect(t.encode(false, Uint8Array.of(7, 7, 7), target, 16)).toEqual(
      oneOff({ prefix: Uint8Array.of(7, 7, 7), clean: false, difficulty: 16, target }),
    );
  });

  test("binary fields are msgpack bin (0xc4), never arrays of numbers", () => {
    const bytes = encodeClientFrame({ type: "share", seq: 1, jobId: "a", nonce: Uint8Array.of(5, 6) });
    const at = bytes.indexOf(0xc4);
    expect(at).toBeGreaterThan(0);
    expect(Array.from(bytes.subarray(at, at + 4))).toEqual([0xc4, 2, 5, 6]);
  });

  test("error frames carry the stable code", () => {
    expect(decodeServerFrame(errorFrame("E_TOO_MANY_BAD_FRAMES", "5 bad frames", 4))).toEqual({
      type: "error",
      code: "E_TOO_MANY_BAD_FRAMES",
      message: "5 bad frames",
      seq: 4,
    });
  });

  test("trimTemplate drops trailing zero bytes only", () => {
    expect(Array.from(trimTemplate(Uint8Array.of(7, 0, 1, 0, 0)))).toEqual([7, 0, 1]);
    expect(trimTemplate(new Uint8Array(4)).length).toBe(0);
  });
});

describe("msgpack decoding is liberal in what it ignores and strict in what it reads", () => {
  const frame = (o: unknown) => encode(o);
  test("unknown keys are ignored; a numeric job id is read as text", () => {
    expect(
      decodeClientFrame(frame({ v: 1, t: "share", i: 1, j: 52429, n: Uint8Array.of(1), extra: [1, 2] })),
    ).toEqual({ type: "share", seq: 1, jobId: "52429", nonce: Uint8Array.of(1) });
  });

  const cases: [string, unknown, string][] = [
    ["not msgpack", Uint8Array.of(0xc1), "E_BAD_FRAME"],
    ["trailing bytes", Uint8Array.of(0x80, 0x00), "E_BAD_FRAME"],
    ["an array", [1, "share"], "E_BAD_FRAME"],
    ["bin at the top", Uint8Array.of(1, 2), "E_BAD_FRAME"],
    ["no type", { v: 1 }, "E_BAD_FRAME"],
    ["version 2", { v: 2, t: "ping" }, "E_VERSION"],
    ["no version", { t: "ping" }, "E_VERSION"],
    ["unknown type", { v: 1, t: "mine" }, "E_UNKNOWN_TYPE"],
    ["nonce as numbers", { v: 1, t: "share", i: 1, j: "a", n: [1, 2, 3] }, "E_BAD_FIELD"],
    ["nonce of 16 bytes", { v: 1, t: "share", i: 1, j: "a", n: new Uint8Array(16) }, "E_BAD_FIELD"],
    ["empty nonce", { v: 1, t: "share", i: 1, j: "a", n: new Uint8Array(0) }, "E_BAD_FIELD"],
    ["negative seq", { v: 1, t: "share", i: -1, j: "a", n: Uint8Array.of(1) }, "E_BAD_FIELD"],
    ["fractional seq", { v: 1, t: "share", i: 1.5, j: "a", n: Uint8Array.of(1) }, "E_BAD_FIELD"],
    ["empty job id", { v: 1, t: "share", i: 1, j: "", n: Uint8Array.of(1) }, "E_BAD_FIELD"],
    ["long worker", { v: 1, t: "hello", w: "w".repeat(65) }, "E_BAD_FIELD"],
    ["worker not a string", { v: 1, t: "hello", w: 5 }, "E_BAD_FIELD"],
  ];
  test.each(cases)("%s", (_, input, code) => {
    const bytes = input instanceof Uint8Array && input[0] !== 1 ? input : frame(input);
    expect(codeOf(() => decodeClientFrame(bytes))).toBe(code);
  });

  test("a share's field error carries the share's i; a bad i itself has none", () => {
    const seqOf = (input: unknown) => {
      try {
        decodeClientFrame(frame(input));
      } catch (e) {
        return (e as { code: string; seq: number | null }).seq;
      }
      throw new Error("decoded");
    };
    expect(seqOf({ v: 1, t: "share", i: 9, j: "", n: Uint8Array.of(1) })).toBe(9);
    expect(seqOf({ v: 1, t: "share", i: 10, j: "a", n: new Uint8Array(16) })).toBe(10);
    expect(seqOf({ v: 1, t: "share", i: -1, j: "a", n: Uint8Array.of(1) })).toBeNull();
    expect(seqOf({ v: 1, t: "hello", w: 5 })).toBeNull();
  });

  test("oversized strings and bins in a client frame are refused while decoding", () => {
    expect(codeOf(() => decodeClientFrame(frame({ v: 1, t: "ping", junk: new Uint8Array(65) })))).toBe(
      "E_BAD_FRAME",
    );
    expect(codeOf(() => decodeClientFrame(frame({ v: 1, t: "ping", junk: "x".repeat(257) })))).toBe(
      "E_BAD_FRAME",
    );
  });
});
