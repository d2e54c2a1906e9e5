import { describe, expect, test } from "bun:test";
import { decodeFromPool, encodePoolMessage, type Notify } from "../../src/protocol/pool-messages.ts";
import { decodeNotify, notifyParams } from "../../src/protocol/notify.ts";
import { shareVectors } from "./fixtures.ts";
import { codeOf } from "../support/errors.ts";

const v7 = shareVectors()[0]!.notifyParams; // v-nomp, solution version 7 + 1 PBaaS header
const v4 = shareVectors()[3]!.notifyParams; // template trimmed to "04"

describe("mining.notify", () => {
  test("the v-nomp v7 example of verus-stratum.md §3.5", () => {
    const n = decodeNotify(null, v7);
    expect(n).toMatchObject({
      jobId: "cccd",
      version: "04000100",
      nTime: "c82b016b",
      nBits: "0562021b",
      cleanJobs: true,
    });
    expect(n.solution).toHaveLength(248); // 124 bytes, trailing zeros trimmed
    expect(notifyParams(n)).toEqual(v7);
  });

  test('one-byte templates ("04", "06") and the full 1344 bytes are all templates', () => {
    expect(decodeNotify(null, v4).solution).toBe("04");
    const full = [...v7];
    full[8] = "07" + "00".repeat(1343);
    expect(decodeNotify(null, full).solution).toHaveLength(2688);
  });

  test("hex is read in either case and written lowercase; numeric job ids become strings", () => {
    const p = [...v7];
    p[0] = 52429;
    p[2] = (p[2] as string).toUpperCase();
    const n = decodeNotify(null, p);
    expect(n.jobId).toBe("52429");
    expect(n.prevHash).toBe(v7[2] as string);
  });

  test("extra params after the ninth are ignored", () => {
    expect(decodeNotify(null, [...v7, "extra"])).toEqual(decodeNotify(null, v7));
  });

  test("a notify line round-trips byte for byte", () => {
    const line = JSON.stringify({ id: null, method: "mining.notify", params: v7 });
    const n = decodeFromPool(line) as Notify;
    expect(encodePoolMessage(n)).toBe(line);
  });

  const bad: [string, (p: unknown[]) => void][] = [
    ["8 params", (p) => p.pop()],
    ["empty job id", (p) => (p[0] = "")],
    ["job id too long", (p) => (p[0] = "a".repeat(129))],
    ["job id object", (p) => (p[0] = {})],
    ["version 6 hex digits", (p) => (p[1] = "040001")],
    ["version not hex", (p) => (p[1] = "0400010g")],
    ["prevhash 62 digits", (p) => (p[2] = (p[2] as string).slice(2))],
    ["merkle 66 digits", (p) => (p[3] = (p[3] as string) + "00")],
    ["sapling a number", (p) => (p[4] = 0)],
    ["nTime 10 digits", (p) => (p[5] = "c82b016b00")],
    ["nBits missing", (p) => (p[6] = null)],
    ["clean_jobs a string", (p) => (p[7] = "true")],
    ["clean_jobs a number", (p) => (p[7] = 1)],
    ["template odd length", (p) => (p[8] = "070")],
    ["template over 1344 bytes", (p) => (p[8] = "07" + "00".repeat(1344))],
    ["template not hex", (p) => (p[8] = "zz")],
    ["template missing", (p) => (p[8] = null)],
  ];
  test.each(bad)("%s is E_BAD_PARAMS", (_, mutate) => {
    const p = [...v7];
    mutate(p);
    expect(codeOf(() => decodeNotify(null, p))).toBe("E_BAD_PARAMS");
  });
});
