import { describe, expect, test } from "bun:test";
import { AnnouncedJobs, jsonWorkMessage, msgpackJobFrame } from "../../src/downstream/work.ts";
import { decodeJsonServerMessage } from "../../src/protocol/ws-json.ts";
import { decodeServerFrame } from "../../src/protocol/ws-msgpack.ts";
import { FakeCore, FakeSession, v7Job } from "./fake-core.ts";

const sink = { work() {}, result() {}, end() {} };

describe("job frames from MinerWork", () => {
  test("each session gets its own prefix and target over the job's shared bytes", () => {
    const core = new FakeCore(null);
    core.open({ transport: "ws-msgpack", remote: "x" }, sink);
    core.open({ transport: "ws-json", remote: "x" }, sink);
    const [a, b] = core.sessions as [FakeSession, FakeSession];
    const job = v7Job("77");
    const fa = decodeServerFrame(msgpackJobFrame(a.work(job, true), true));
    const fb = decodeServerFrame(msgpackJobFrame(b.work(job, false), false));
    expect(fa).toMatchObject({ type: "job", jobId: "77", clean: true, prefix: a.extranonce1 });
    expect(fb).toMatchObject({ type: "job", jobId: "77", clean: false, prefix: b.extranonce1 });
    const ja = decodeJsonServerMessage(jsonWorkMessage(a.work(job, true)));
    expect(ja.type === "work" && ja.work.job_id).toBe("77");
  });
});

describe("AnnouncedJobs", () => {
  const w = (jobId: string, prefix: number[]) => ({ jobId, job: v7Job(jobId), extranonce1: Uint8Array.from(prefix), extranonce2Size: 32 - prefix.length, target: 1n, difficulty: 1, clean: false });

  test("a share is rebuilt with the prefix its job was announced with", () => {
    const j = new AnnouncedJobs();
    expect(j.tailShare("a", new Uint8Array(13))).toBe("no-work");
    j.announce(w("a", [1, 2]));
    j.announce(w("b", [3, 4])); // a new lease
    expect(j.tailShare("a", new Uint8Array(13))).toEqual({ kind: "tail", jobId: "a", tail: Uint8Array.of(1, 2, ...new Uint8Array(13)) });
    expect(j.tailShare("unknown", new Uint8Array(13))).toMatchObject({ tail: Uint8Array.of(3, 4, ...new Uint8Array(13)) });
    expect(j.tailShare("b", new Uint8Array(12))).toBe("nonce-size");
    const n = j.nonceShare("b", 0xdeadbeef);
    expect(n !== "no-work" && n.kind === "tail" && Array.from(n.tail.subarray(11))).toEqual([0xef, 0xbe, 0xad, 0xde]);
  });

  test("bounded: the oldest jobs are forgotten first", () => {
    const j = new AnnouncedJobs();
    for (let i = 0; i < 40; i++) j.announce(w(`j${i}`, [i]));
    expect(j.prefixFor("j39")).toEqual(Uint8Array.of(39));
    expect(j.prefixFor("j8")).toEqual(Uint8Array.of(8));
    expect(j.prefixFor("j0")).toEqual(Uint8Array.of(39)); // forgotten: the current prefix
  });
});
