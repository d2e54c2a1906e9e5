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
  const w = (jobId: string, prefix: number[]) => ({
    jobId,
    job: v7Job(jobId),
    extranonce1: Uint8Array.from(prefix),
    extranonce2Size: 32 - prefix.length,
    target: 1n,
    difficulty: 1,
    clean: false,
  });

  test("a share is rebuilt with the prefix its job was announced with", () => {
    const j = new AnnouncedJobs();
    expect(j.tailShare("a", new Uint8Array(13))).toBe("no-work");
    j.announce(w("a", [1, 2]));
    j.announce(w("b", [3, 4])); // a new lease
    expect(j.tailShare("a", new Uint8Array(13))).toEqual({
      kind: "tail",
      jobId: "a",
      tail: Uint8Array.of(1, 2, ...new Uint8Array(13)),
      announced: expect.anything(),
    });
    expect(j.tailShare("unknown", new Uint8Array(13))).toMatchObject({
      tail: Uint8Array.of(3, 4, ...new Uint8Array(13)),
    });
    expect(j.tailShare("b", new Uint8Array(12))).toBe("nonce-size");
    const n = j.nonceShare("b", 0xdeadbeef);
    expect(n !== "no-work" && n.kind === "tail" && Array.from(n.tail.subarray(11))).toEqual([
      0xef, 0xbe, 0xad, 0xde,
    ]);
  });

  test("a job re-sent under a new lease gets its own name, so shares of the old prefix stay the old prefix's", () => {
    const j = new AnnouncedJobs();
    expect(j.announce(w("a", [1, 2]))).toBe("a");
    expect(j.announce(w("a", [1, 2]))).toBe("a"); // the same job and prefix again (a new target): same name
    expect(j.announce(w("a", [5, 6]))).toBe("a~1"); // the pool reconnected and re-sent its job
    expect(j.announce(w("a", [5, 6]))).toBe("a~1");
    const zeros = new Uint8Array(13);
    // A share found before the switch is rebuilt with the old prefix (the core calls it stale).
    expect(j.tailShare("a", zeros)).toEqual({
      kind: "tail",
      jobId: "a",
      tail: Uint8Array.of(1, 2, ...zeros),
      announced: expect.anything(),
    });
    expect(j.tailShare("a~1", zeros)).toEqual({
      kind: "tail",
      jobId: "a",
      tail: Uint8Array.of(5, 6, ...zeros),
      announced: expect.anything(),
    });
    expect(j.nonceShare("a~1", 7)).toMatchObject({
      jobId: "a",
      tail: Uint8Array.of(5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0),
    });
    // A third lease, and a pool whose own ids look like ours: every name stays unambiguous.
    expect(j.announce(w("a", [7, 8]))).toBe("a~2");
    expect(j.announce(w("a~1", [7, 8]))).toBe("a~1~1");
    expect(j.tailShare("a~1~1", zeros)).toMatchObject({ jobId: "a~1", tail: Uint8Array.of(7, 8, ...zeros) });
    // New jobs keep the pool's id.
    expect(j.announce(w("b", [7, 8]))).toBe("b");
  });

  test("the same job under two names makes two frames, each naming its own", () => {
    const core = new FakeCore(null);
    core.open({ transport: "ws-msgpack", remote: "x" }, sink);
    const s = core.sessions[0] as FakeSession;
    const job = v7Job("78");
    const work = s.work(job, true);
    expect(decodeServerFrame(msgpackJobFrame(work, true))).toMatchObject({ jobId: "78" });
    expect(decodeServerFrame(msgpackJobFrame({ ...work, jobId: "78~1" }, true))).toMatchObject({
      jobId: "78~1",
    });
    expect(decodeServerFrame(msgpackJobFrame(work, false))).toMatchObject({ jobId: "78", clean: false });
    const json = decodeJsonServerMessage(jsonWorkMessage({ ...work, jobId: "78~1" }));
    expect(json.type === "work" && json.work.job_id).toBe("78~1");
  });

  test("bounded: the oldest jobs are forgotten first", () => {
    const j = new AnnouncedJobs();
    for (let i = 0; i < 40; i++) j.announce(w(`j${i}`, [i]));
    expect(j.prefixFor("j39")).toEqual(Uint8Array.of(39));
    expect(j.prefixFor("j8")).toEqual(Uint8Array.of(8));
    expect(j.prefixFor("j0")).toEqual(Uint8Array.of(39)); // forgotten: the current prefix
  });

  test("a pool that restarted its ids: other work under an old id (same prefix) gets a new name, and old shares carry the old job", () => {
    const j = new AnnouncedJobs();
    const first = w("a", [5, 6]);
    expect(j.announce(first)).toBe("a");
    expect(j.announce({ ...w("a", [5, 6]) })).toBe("a"); // the same work re-sent (a new Job object): same name
    const other = { ...w("a", [5, 6]), job: v7Job("a", "11".repeat(32)) };
    expect(j.announce(other)).toBe("a~1");
    const zeros = new Uint8Array(13);
    expect(j.tailShare("a", zeros)).toMatchObject({ jobId: "a", announced: first.job });
    expect(j.tailShare("a~1", zeros)).toMatchObject({ jobId: "a", announced: other.job });
  });
});
