// The msgpack WebSocket protocol end to end over 127.0.0.1 with a fake core: hello → welcome →
// jobs; shares → the core (as tails rebuilt from the session's prefix) → results.

import { describe, expect, test } from "bun:test";
import { targetToLE } from "../../src/protocol/target.ts";
import { HEADER_HEAD_BYTES } from "../../src/protocol/layout.ts";
import { encodeClientFrame, MSGPACK_SUBPROTOCOL, trimTemplate } from "../../src/protocol/ws-msgpack.ts";
import { v7Job } from "./fake-core.ts";
import { harness, until } from "./harness.ts";

const h = harness();
const MSGPACK = { protocols: [MSGPACK_SUBPROTOCOL] };
const hello = (worker: string | null = "rig1") =>
  encodeClientFrame({ type: "hello", worker, agent: "test/1" });

describe("msgpack: the session", () => {
  test("hello → welcome → a clean job with this session's prefix, target and the job's bytes", async () => {
    const s = h.start();
    const c = await s.ws("/ws", MSGPACK);
    expect(c.ws.protocol).toBe(MSGPACK_SUBPROTOCOL);
    c.send(hello());
    const welcome = await c.frame("welcome");
    const session = s.core.sessions[0]!;
    expect(welcome).toEqual({ type: "welcome", session: session.id, worker: "rig1" });
    expect(session.authorizations).toEqual([{ user: "rig1", password: "" }]);
    expect(session.hello).toMatchObject({ transport: "ws-msgpack", remote: "127.0.0.1", agent: "test/1" });
    const job = await c.frame("job");
    const j = s.core.current!;
    expect(job.jobId).toBe(j.id);
    expect(job.clean).toBe(true);
    expect(job.prefix).toEqual(session.extranonce1);
    expect(job.head).toEqual(j.header(new Uint8Array(32)).subarray(0, HEADER_HEAD_BYTES));
    expect(job.solution).toEqual(trimTemplate(j.template()));
    expect(job.target).toEqual(targetToLE(session.work(j, true).target));
    expect(job.difficulty).toBe(8);
    // The welcome went out before the job (work that arrived while the session opened waited).
    expect(c.received.length).toBe(2);
  });

  test("a share carries only the varied tail bytes; the core gets prefix ‖ bytes; the result comes back by seq", async () => {
    const s = h.start();
    const c = await s.ws("/ws", MSGPACK);
    c.send(hello());
    const job = await c.frame("job");
    const nonce = Uint8Array.from({ length: 15 - job.prefix.length }, (_, i) => i + 1);
    c.send(encodeClientFrame({ type: "share", seq: 41, jobId: job.jobId, nonce }));
    expect(await c.frame("result")).toEqual({
      type: "result",
      seq: 41,
      verdict: { accepted: true, difficulty: 8, forwarded: false },
    });
    const { share, token } = s.core.sessions[0]!.shares[0]!;
    expect(share).toEqual({
      kind: "tail",
      jobId: job.jobId,
      tail: Uint8Array.of(...job.prefix, ...nonce),
      announced: expect.anything(),
    });
    expect(token).toEqual({ seq: 41 });
  });

  test("every share gets a result: coded rejects from the core and from the transport", async () => {
    const s = h.start();
    const c = await s.ws("/ws", MSGPACK);
    c.send(encodeClientFrame({ type: "share", seq: 1, jobId: "ced4", nonce: new Uint8Array(9) }));
    expect(await c.frame("result")).toEqual({
      type: "result",
      seq: 1,
      verdict: { accepted: false, code: 25, message: "not subscribed" },
    });
    c.send(hello());
    const job = await c.frame("job");
    c.send(encodeClientFrame({ type: "share", seq: 2, jobId: job.jobId, nonce: new Uint8Array(3) }));
    expect(await c.frame("result")).toEqual({
      type: "result",
      seq: 2,
      verdict: { accepted: false, code: 20, message: "incorrect size of nonce" },
    });
    c.send(encodeClientFrame({ type: "share", seq: 3, jobId: "gone", nonce: new Uint8Array(9) }));
    expect(await c.frame("result")).toEqual({
      type: "result",
      seq: 3,
      verdict: { accepted: false, code: 21, message: "job not found" },
    });
    expect(s.core.sessions[0]!.shares.length).toBe(1); // only the well-formed one reached the core
  });

  test("new jobs follow: clean as the core says; ping → pong; pool messages; the core ending the session", async () => {
    const s = h.start();
    const c = await s.ws("/ws", MSGPACK);
    c.send(hello());
    await c.frame("job");
    s.core.publish(v7Job("ced5"), false);
    expect(await c.frame("job")).toMatchObject({ jobId: "ced5", clean: false });
    s.core.publish(v7Job("ced6"), true);
    expect(await c.frame("job")).toMatchObject({ jobId: "ced6", clean: true });
    c.send(encodeClientFrame({ type: "ping", seq: 9 }));
    expect(await c.frame("pong")).toEqual({ type: "pong", seq: 9 });
    const session = s.core.sessions[0]!;
    session.sink.message!("equihash VRSC block 1");
    expect(await c.frame("message")).toEqual({ type: "message", text: "equihash VRSC block 1" });
    session.sink.end({ reason: "too-many-invalid", detail: "60% invalid" });
    expect(await c.frame("error")).toMatchObject({ code: "E_TOO_MANY_INVALID" });
    expect(await c.closed).toEqual({ code: 4403, reason: "E_TOO_MANY_INVALID" });
    await until(() => session.closed, "the session closed");
  });

  test("the protocol is also chosen by ?protocol=msgpack, or by a first binary frame", async () => {
    const s = h.start();
    const byQuery = await s.ws("/ws?protocol=msgpack");
    byQuery.send(hello("a"));
    expect((await byQuery.frame("welcome")).worker).toBe("a");
    const byFrame = await s.ws("/ws");
    byFrame.send(hello("b"));
    expect((await byFrame.frame("welcome")).worker).toBe("b");
    expect(await byFrame.frame("job")).toMatchObject({ clean: true });
    expect(s.core.sessions.map((x) => x.hello.transport)).toEqual(["ws-msgpack", "ws-msgpack"]);
  });

  test("no lease in the core → E_BRIDGE_FULL; a refused worker → E_UNAUTHORIZED", async () => {
    const s = h.start();
    s.core.refuse = "E_BRIDGE_FULL";
    const full = await s.ws("/ws", MSGPACK);
    full.send(hello());
    expect(await full.frame("error")).toMatchObject({ code: "E_BRIDGE_FULL" });
    expect(await full.closed).toEqual({ code: 4503, reason: "E_BRIDGE_FULL" });
    s.core.refuse = null;
    const refused = await s.ws("/ws", MSGPACK);
    refused.send(hello("refused"));
    expect(await refused.frame("error")).toMatchObject({
      code: "E_UNAUTHORIZED",
      message: "user must be ADDRESS[.WORKER]",
    });
    expect(await refused.closed).toEqual({ code: 4401, reason: "E_UNAUTHORIZED" });
    await until(() => s.core.sessions[0]!.closed, "the refused session closed");
  });

  test("the connection closing frees the session", async () => {
    const s = h.start();
    const c = await s.ws("/ws", MSGPACK);
    c.send(hello());
    await c.frame("job");
    c.close();
    await until(() => s.core.sessions[0]!.closed, "session closed");
    await until(() => s.ds.stats().open["ws-msgpack"] === 0, "connection count back to 0");
    expect(s.ds.stats().closed.peer).toBe(1);
  });
});
