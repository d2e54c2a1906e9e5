import { describe, expect, test } from "bun:test";
import { hexToBytes } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { difficultyToTarget, leBytesToBigInt, targetToLE } from "../../src/protocol/target.ts";
import {
  bytesToWords,
  DATA_WORDS,
  decodeJsonClientMessage,
  decodeJsonServerMessage,
  encodeJsonClientMessage,
  jsonError,
  jsonResult,
  JsonWorkTemplate,
  MAX_NONCE,
  tailWithNonce,
  wordsToBytes,
  type JsonClientMessage,
} from "../../src/protocol/ws-json.ts";
import { HEADER_HEAD_BYTES } from "../../src/protocol/layout.ts";
import { codeOf } from "../support/errors.ts";
import { shareVectors } from "./fixtures.ts";

const vector = shareVectors()[2]!; // ccminer 3.8.3, v7 + 1 PBaaS header
const job = new Job(decodeNotify(null, vector.notifyParams));
const prefix = hexToBytes(vector.extranonce1 + "0001");
const target = difficultyToTarget(8);
const template = new JsonWorkTemplate(
  job.id,
  job.header(new Uint8Array(32)).subarray(0, HEADER_HEAD_BYTES),
  job.template(),
);

function work() {
  const m = decodeJsonServerMessage(template.encode(prefix, targetToLE(target), 8));
  if (m.type !== "work") throw new Error("expected work");
  return m.work;
}

describe("the seed's work message", () => {
  test("data is the 140-byte header as 35 LE u32 words (nonce = prefix ‖ zeros), padded to 48", () => {
    const w = work();
    expect(w.data.length).toBe(DATA_WORDS);
    const nonce = new Uint8Array(32);
    nonce.set(prefix);
    expect(wordsToBytes(w.data.slice(0, 35))).toEqual(job.header(nonce));
    expect(w.data.slice(35).every((x) => x === 0)).toBe(true);
  });

  test("target is 8 LE u32 words, word 7 most significant", () => {
    const w = work();
    expect(leBytesToBigInt(wordsToBytes(w.target))).toBe(target);
    expect(w.target[7]).toBe(Number(target >> 224n));
  });

  test("solution carries the session's prefix at the start of the tail", () => {
    const w = work();
    const tail = new Uint8Array(15);
    tail.set(prefix);
    expect(Array.from(job.solution(tail))).toEqual(w.solution);
    expect(w.solution.slice(1329, 1329 + prefix.length)).toEqual(Array.from(prefix));
  });

  test("the other fields: the whole u32 range, the job id, the share difficulty", () => {
    const w = work();
    expect([w.start_nonce, w.max_nonce, w.job_id, w.targetdiff]).toEqual([0, MAX_NONCE, job.id, 8]);
    console.log(`seed JSON work message: ${template.encode(prefix, targetToLE(target), 8).length} bytes`);
  });

  test("the nonce goes, u32 LE, into the last 4 tail bytes = hash input bytes 1483..1486", () => {
    const tail = tailWithNonce(prefix, 0x0a0b0c0d);
    const input = job.hashInput(prefix, new Uint8Array(32 - prefix.length), tail);
    expect(Array.from(input.subarray(1483, 1487))).toEqual([0x0d, 0x0c, 0x0b, 0x0a]);
    expect(Array.from(input.subarray(1472, 1472 + prefix.length))).toEqual(Array.from(prefix));
    expect(Array.from(tail.subarray(prefix.length, 11)).every((b) => b === 0)).toBe(true);
  });

  test("words ⇄ bytes", () => {
    const b = Uint8Array.of(1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff);
    expect(bytesToWords(b)).toEqual([0x04030201, 0xffffffff]);
    expect(wordsToBytes(bytesToWords(b))).toEqual(b);
  });
});

describe("what seed miners send", () => {
  test("a share as the seed sends it (the whole work echoed): only job_id and nonce are read", () => {
    const w = work();
    expect(
      decodeJsonClientMessage(
        JSON.stringify({
          type: "share",
          work: { ...w, target: [0, 0, 0, 0, 0, 0, 0, 0xffffffff] },
          nonce: 7,
        }),
      ),
    ).toEqual({ type: "share", jobId: job.id, nonce: 7, id: null });
    // A job with a full-length template echoes ≈ 6 KB: why JSON messages get a larger cap than msgpack ones.
    const full = { ...w, data: w.data.map(() => 0xffffffff), solution: w.solution.map(() => 255) };
    const text = JSON.stringify({ type: "share", work: full, nonce: 123456 });
    expect(text.length).toBeGreaterThan(4096);
    expect(decodeJsonClientMessage(text)).toEqual({ type: "share", jobId: job.id, nonce: 123456, id: null });
  });

  const messages: JsonClientMessage[] = [
    { type: "share", jobId: "cccd", nonce: 0, id: null },
    { type: "share", jobId: "cccd", nonce: MAX_NONCE, id: 17 },
    { type: "share", jobId: "x", nonce: 5, id: "a-1" },
    { type: "ping" },
    { type: "hello", worker: "rig" },
    { type: "hello", worker: null },
  ];
  test.each(messages.map((m, i) => [`${m.type} ${i}`, m] as const))("round trip %s", (_, m) => {
    expect(decodeJsonClientMessage(encodeJsonClientMessage(m))).toEqual(m);
  });

  test("a top-level job_id and a numeric one are read too", () => {
    expect(decodeJsonClientMessage('{"type":"share","job_id":52429,"nonce":1}')).toEqual({
      type: "share",
      jobId: "52429",
      nonce: 1,
      id: null,
    });
  });

  const bad: [string, string, string][] = [
    ["not JSON", "{type:", "E_BAD_FRAME"],
    ["an array", '["share"]', "E_BAD_FRAME"],
    ["no type", '{"nonce":1}', "E_BAD_FRAME"],
    ["unknown type", '{"type":"job"}', "E_UNKNOWN_TYPE"],
    ["nonce missing", '{"type":"share","work":{"job_id":"a"}}', "E_BAD_FIELD"],
    ["nonce fractional", '{"type":"share","work":{"job_id":"a"},"nonce":1.5}', "E_BAD_FIELD"],
    ["nonce negative", '{"type":"share","work":{"job_id":"a"},"nonce":-1}', "E_BAD_FIELD"],
    ["nonce over u32", '{"type":"share","work":{"job_id":"a"},"nonce":4294967296}', "E_BAD_FIELD"],
    ["nonce as text", '{"type":"share","work":{"job_id":"a"},"nonce":"1"}', "E_BAD_FIELD"],
    ["job id missing", '{"type":"share","work":{},"nonce":1}', "E_BAD_FIELD"],
    ["job id an object", '{"type":"share","work":{"job_id":{}},"nonce":1}', "E_BAD_FIELD"],
    ["id an object", '{"type":"share","work":{"job_id":"a"},"nonce":1,"id":{}}', "E_BAD_FIELD"],
    ["worker a number", '{"type":"hello","worker":1}', "E_BAD_FIELD"],
  ];
  test.each(bad)("%s", (_, text, code) => {
    expect(codeOf(() => decodeJsonClientMessage(text))).toBe(code);
  });
});

describe("what the bridge adds (only for clients that sent hello, except errors)", () => {
  test("results echo job_id, nonce and the client's id", () => {
    expect(JSON.parse(jsonResult("cccd", 9, 4, { accepted: true, difficulty: 8, forwarded: true }))).toEqual({
      type: "result",
      job_id: "cccd",
      nonce: 9,
      id: 4,
      accepted: true,
      difficulty: 8,
      forwarded: true,
    });
    expect(
      JSON.parse(jsonResult("cccd", 9, null, { accepted: false, code: 22, message: "duplicate share" })),
    ).toEqual({
      type: "result",
      job_id: "cccd",
      nonce: 9,
      accepted: false,
      code: 22,
      error: "duplicate share",
    });
  });

  test("errors carry the stable code", () => {
    expect(decodeJsonServerMessage(jsonError("E_BAD_FIELD", "nonce must be a u32"))).toEqual({
      type: "error",
      code: "E_BAD_FIELD",
      message: "nonce must be a u32",
    });
  });
});
