// The seed's JSON WebSocket protocol over 127.0.0.1 with a fake core: a miner written against the
// seed (no subprotocol, no query, sends nothing first) gets work and has its shares checked; the
// additions (hello → welcome and results) only for clients that ask.

import { describe, expect, test } from "bun:test";
import { JSON_SUBPROTOCOL, MAX_NONCE, wordsToBytes } from "../../src/protocol/ws-json.ts";
import { v7Job } from "./fake-core.ts";
import { harness, until } from "./harness.ts";

const h = harness();

describe("JSON (the seed's protocol)", () => {
  test("a seed miner that sends nothing gets work after the detection wait, at / as at /ws", async () => {
    const s = h.start();
    for (const path of ["/", "/ws"]) {
      const c = await s.ws(path);
      const { work } = await c.json("work");
      const session = s.core.sessions.at(-1)!;
      expect(session.hello.transport).toBe("ws-json");
      expect(session.authorizations).toEqual([{ user: "anonymous", password: "" }]);
      expect(work.job_id).toBe(s.core.current!.id);
      expect([work.start_nonce, work.max_nonce, work.targetdiff]).toEqual([0, MAX_NONCE, 8]);
      // The header's nonce and the solution's tail start with this session's extranonce1.
      expect(Array.from(wordsToBytes(work.data).subarray(108, 108 + 6))).toEqual(
        Array.from(session.extranonce1),
      );
      expect(work.solution.slice(1329, 1335)).toEqual(Array.from(session.extranonce1));
    }
  });

  test("a seed share: only work.job_id and nonce are read; the nonce lands LE in tail bytes 11..14; no result message", async () => {
    const s = h.start();
    const c = await s.ws("/ws");
    const { work } = await c.json("work");
    // The seed echoes its work, possibly altered: nothing but job_id and nonce may matter.
    c.send(
      JSON.stringify({
        type: "share",
        work: { ...work, solution: work.solution.map(() => 7), target: [0, 0, 0, 0, 0, 0, 0, 0xffffffff] },
        nonce: 0x01020304,
      }),
    );
    const session = s.core.sessions[0]!;
    await until(() => session.shares.length === 1, "the share reached the core");
    const tail = Uint8Array.of(...session.extranonce1, 0, 0, 0, 0, 0, 0x04, 0x03, 0x02, 0x01);
    expect(session.shares[0]).toEqual({
      share: { kind: "tail", jobId: work.job_id, tail, announced: expect.anything() },
      token: { jobId: work.job_id, nonce: 0x01020304, id: null },
    });
    c.send('{"type":"ping"}');
    await c.json("pong");
    expect(c.received.filter((m) => typeof m === "string" && m.includes('"result"'))).toEqual([]);
  });

  test("hello (worker name) → welcome, then a result for every share; errors for bad messages", async () => {
    const s = h.start();
    const c = await s.ws("/ws", { protocols: [JSON_SUBPROTOCOL] });
    expect(c.ws.protocol).toBe(JSON_SUBPROTOCOL);
    const { work } = await c.json("work"); // at once: the subprotocol chose JSON
    c.send(JSON.stringify({ type: "hello", worker: "laptop" }));
    const session = s.core.sessions[0]!;
    expect(await c.json("welcome")).toEqual({ type: "welcome", session: session.id, worker: "laptop" });
    expect(session.authorizations.map((a) => a.user)).toEqual(["anonymous", "laptop"]);
    c.send(JSON.stringify({ type: "share", work: { job_id: work.job_id }, nonce: 5, id: 1 }));
    expect(await c.json("result")).toEqual({
      type: "result",
      job_id: work.job_id,
      nonce: 5,
      id: 1,
      accepted: true,
      difficulty: 8,
      forwarded: false,
    });
    c.send(JSON.stringify({ type: "share", work: { job_id: "old" }, nonce: 6 }));
    expect(await c.json("result")).toEqual({
      type: "result",
      job_id: "old",
      nonce: 6,
      accepted: false,
      code: 21,
      error: "job not found",
    });
    c.send('{"type":"share","nonce":-4}');
    expect(await c.json("error")).toMatchObject({ type: "error", code: "E_BAD_FIELD" });
    c.send(new Uint8Array(3));
    expect(await c.json("error")).toMatchObject({ type: "error", code: "E_FRAME_KIND" });
  });

  test("a first text frame chooses JSON at once; ?protocol=json too; new jobs follow", async () => {
    const s = h.start({}, { detectMs: 60_000 });
    const first = await s.ws("/ws");
    first.send('{"type":"ping"}');
    await first.json("pong");
    expect((await first.json("work")).work.job_id).toBe("ced4");
    const byQuery = await s.ws("/ws?protocol=json&worker=w2");
    await byQuery.json("work");
    expect(s.core.sessions[1]!.authorizations[0]!.user).toBe("w2");
    s.core.publish(v7Job("ced7"), false);
    expect((await first.json("work")).work.job_id).toBe("ced7");
    expect((await byQuery.json("work")).work.job_id).toBe("ced7");
  });

  test("a seed share of ≈ 6 KB fits (JSON messages may be larger than bridge.max_frame_bytes)", async () => {
    const s = h.start({ max_frame_bytes: 4096 });
    const c = await s.ws("/ws", { protocols: [JSON_SUBPROTOCOL] });
    const { work } = await c.json("work");
    c.send(JSON.stringify({ type: "hello" }));
    await c.json("welcome");
    const big = JSON.stringify({
      type: "share",
      work: { ...work, data: work.data.map(() => 0xffffffff), solution: work.solution.map(() => 255) },
      nonce: 1,
    });
    expect(big.length).toBeGreaterThan(4096);
    c.send(big);
    expect(await c.json("result")).toMatchObject({ accepted: true });
  });
});
