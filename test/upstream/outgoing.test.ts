import { describe, expect, test } from "bun:test";
import {
  answerPoolRequest,
  authorizeLine,
  extranonceSubscribeLine,
  MAX_REDIRECT_WAIT_MS,
  submitLine,
  subscribeLine,
} from "../../src/upstream/outgoing.ts";

const UA = "vbridge/test";

describe("answers to pool requests (verus-stratum.md §3.8)", () => {
  test("client.show_message: true when it has an id, and the text either way", () => {
    expect(answerPoolRequest({ method: "client.show_message", id: 4, message: "hi" }, UA)).toMatchObject({
      reply: '{"id":4,"result":true,"error":null}',
      message: "hi",
    });
    expect(answerPoolRequest({ method: "client.show_message", id: null, message: "hi" }, UA)).toMatchObject({
      reply: null,
      message: "hi",
    });
  });

  test("client.get_version: our user agent; mining.ping: pong", () => {
    expect(answerPoolRequest({ method: "client.get_version", id: 5 }, UA).reply).toBe(
      '{"id":5,"result":"vbridge/test","error":null}',
    );
    expect(answerPoolRequest({ method: "mining.ping", id: 6 }, UA).reply).toBe(
      '{"id":6,"result":"pong","error":null}',
    );
    expect(answerPoolRequest({ method: "mining.ping", id: null }, UA).reply).toBeNull();
  });

  test("an unknown method: [20, unknown method] if it has an id, and a note", () => {
    const a = answerPoolRequest({ method: "unknown", name: "mining.foo", id: 7, params: [] }, UA);
    expect(a.reply).toBe('{"id":7,"result":null,"error":[20,"unknown method"]}');
    expect(a.note).toContain("mining.foo");
  });

  test("client.reconnect: a redirect, the wait in ms, clamped", () => {
    expect(
      answerPoolRequest({ method: "client.reconnect", id: null, host: "h", port: 1, waitSeconds: 2.5 }, UA),
    ).toMatchObject({ reply: null, redirect: { host: "h", port: 1, waitMs: 2500 }, note: null });
    const long = answerPoolRequest(
      { method: "client.reconnect", id: null, host: null, port: null, waitSeconds: 1e9 },
      UA,
    );
    expect(long.redirect?.waitMs).toBe(MAX_REDIRECT_WAIT_MS);
    expect(long.note).toContain("clamped");
    expect(
      answerPoolRequest({ method: "client.reconnect", id: null, host: null, port: null, waitSeconds: -5 }, UA)
        .redirect?.waitMs,
    ).toBe(0);
  });
});

describe("our requests, canonical", () => {
  test("subscribe with and without a session id; authorize; extranonce.subscribe; submit", () => {
    expect(subscribeLine(1, UA, null)).toBe('{"id":1,"method":"mining.subscribe","params":["vbridge/test"]}');
    expect(subscribeLine(1, UA, "ab")).toBe(
      '{"id":1,"method":"mining.subscribe","params":["vbridge/test","ab"]}',
    );
    expect(authorizeLine(2, "R.w", "x")).toBe('{"id":2,"method":"mining.authorize","params":["R.w","x"]}');
    expect(extranonceSubscribeLine(3)).toBe('{"id":3,"method":"mining.extranonce.subscribe","params":[]}');
    const share = { epoch: 1, jobId: "cccd", nTime: "c82b016b", extranonce2: "00", solution: "fd4005" };
    expect(submitLine(4, "R.w", share)).toBe(
      '{"id":4,"method":"mining.submit","params":["R.w","cccd","c82b016b","00","fd4005"]}',
    );
  });
});
