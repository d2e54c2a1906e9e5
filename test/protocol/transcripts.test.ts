// Every line of every recorded session parses with the parser for its direction, re-serialises
// canonically and re-parses to an equal value; every error reply maps to its typed reject.

import { describe, expect, test } from "bun:test";
import { Job } from "../../src/protocol/job.ts";
import { parseRpc, serializeRpc, toRpcMessage, type RpcResponse } from "../../src/protocol/jsonrpc.ts";
import { decodeFromMiner, encodeMinerMessage } from "../../src/protocol/miner-messages.ts";
import { decodeFromPool, encodePoolMessage } from "../../src/protocol/pool-messages.ts";
import {
  decodeBooleanResult,
  decodeSubmitResult,
  decodeSubscribeResult,
  subscribeReply,
  submitReply,
} from "../../src/protocol/results.ts";
import {
  fromMiner,
  fromPool,
  readTranscript,
  transcriptFiles,
  wireLines,
  type WireLine,
} from "./fixtures.ts";

const stratumFiles = transcriptFiles().filter((f) => !f.startsWith("rpc-"));
const rpcFiles = transcriptFiles().filter((f) => f.startsWith("rpc-"));

/** Per connection, the methods of requests still awaiting a response, FIFO per id (verusProxy reuses ids). */
class Pending {
  #q = new Map<string, string[]>();
  push(conn: string, id: unknown, method: string) {
    const k = `${conn}/${JSON.stringify(id)}`;
    this.#q.set(k, [...(this.#q.get(k) ?? []), method]);
  }
  /** `peek` for the shim's copy of a response that the proxy then answers again. */
  take(conn: string, id: unknown, peek = false): string | undefined {
    const q = this.#q.get(`${conn}/${JSON.stringify(id)}`);
    return peek ? q?.[0] : q?.shift();
  }
}

/** Decode a response by the request it answers; return what its canonical form re-decodes to. */
function checkResponse(
  method: string | undefined,
  r: RpcResponse,
  w: WireLine,
  errors: { method: string; code: number; reason: string }[],
) {
  const again = parseRpc(serializeRpc(r)) as RpcResponse;
  expect(again).toEqual(r);
  switch (method) {
    case "mining.subscribe": {
      const s = decodeSubscribeResult(r.result);
      expect(s.extranonce1).toMatch(/^[0-9a-f]{8,12}$/);
      expect(
        decodeSubscribeResult((parseRpc(serializeRpc(subscribeReply(r.id, s))) as RpcResponse).result),
      ).toEqual(s);
      break;
    }
    case "mining.authorize":
    case "mining.extranonce.subscribe":
      expect(decodeBooleanResult(r).ok).toBe(true);
      break;
    case "mining.submit": {
      const out = decodeSubmitResult(r);
      if (!out.accepted) {
        errors.push({ method, code: out.reject.code, reason: out.reject.reason });
        expect(out.reject.message).toBe((w.msg as { error: [number, string] }).error[1]);
      }
      expect(decodeSubmitResult(parseRpc(serializeRpc(submitReply(r.id, out))) as RpcResponse)).toEqual(out);
      break;
    }
    default:
      throw new Error(`${w.file}:${w.index + 1}: response to an unknown request id ${JSON.stringify(r.id)}`);
  }
}

describe.each(stratumFiles)("%s", (file) => {
  test("every line parses, re-serialises canonically and re-parses equal; every reject is typed", () => {
    const pending = new Pending();
    const errors: { method: string; code: number; reason: string }[] = [];
    let lines = 0;
    for (const w of wireLines(file)) {
      lines++;
      if (fromMiner(w.dir)) {
        const m = decodeFromMiner(w.text);
        if ("kind" in m)
          throw new Error(`${file}:${w.index + 1}: miners sent no responses in these sessions`);
        expect(m.method).not.toBe("unknown");
        if (m.id !== null) pending.push(w.conn, m.id, m.method);
        expect(decodeFromMiner(encodeMinerMessage(m))).toEqual(m);
      } else if (fromPool(w.dir)) {
        const m = decodeFromPool(w.text);
        // v-nomp and verusProxy already write the canonical form: byte-identical.
        expect(serializeRpc(parseRpc(w.text))).toBe(w.text);
        if ("kind" in m) {
          // Requests trimmed out of an excerpt were ccminer submits (ids from 10 up).
          const method =
            pending.take(w.conn, m.id, w.dir === "pool->shim") ?? (w.afterGap ? "mining.submit" : undefined);
          checkResponse(method, m, w, errors);
        } else {
          expect(m.method).not.toBe("unknown");
          const line = encodePoolMessage(m);
          expect(line).toBe(w.text);
          expect(decodeFromPool(line)).toEqual(m);
          if (m.method === "mining.notify") expect(new Job(m).id).toBe(m.jobId);
        }
      } else {
        throw new Error(`${file}:${w.index + 1}: unexpected direction ${w.dir}`);
      }
    }
    expect(lines).toBeGreaterThan(0);
    // Every reject in the recordings is one the pool family documents (verus-stratum.md §3.7).
    for (const e of errors) expect(["other", "unspecified"]).not.toContain(e.reason);
  });

  test("only note lines and connect events are skipped", () => {
    for (const l of readTranscript(file)) {
      const v = l.value;
      const wire = typeof v.dir === "string" && "msg" in v;
      const skipped = v.event === "connect" || (typeof v.note === "string" && !("dir" in v));
      expect(wire !== skipped).toBe(true);
    }
  });
});

describe("error replies in the recordings map to typed rejects", () => {
  const all = stratumFiles
    .flatMap((f) => wireLines(f))
    .filter((w) => fromPool(w.dir) && (w.msg as { error?: unknown }).error);
  const seen = new Map<string, string>();
  for (const w of all) {
    const r = parseRpc(w.text) as RpcResponse;
    const out = decodeSubmitResult(r);
    if (!out.accepted)
      seen.set(
        out.reject.code === 23 ? "low difficulty share of N" : out.reject.message,
        `${out.reject.code} ${out.reject.reason}`,
      );
  }
  test("the table", () => {
    expect(Object.fromEntries(seen)).toEqual({
      "duplicate share": "22 duplicate",
      "job not found": "21 job-not-found",
      "ntime out of range": "20 ntime-out-of-range",
      "Error: Incorrect size of solution (2688), expected 2694": "20 solution-size",
      "invalid solution version (06000000), expected 07000000": "20 solution-version",
      "invalid solution, pool nonce missing": "20 pool-nonce-missing",
      "low difficulty share of N": "23 low-difficulty",
      "incorrect size of nonce": "20 nonce-size",
      "not subscribed": "25 not-subscribed",
      "unauthorized worker": "24 unauthorized",
    });
  });

  test("low difficulty carries the pool's number, printed back identically", () => {
    const lows = all
      .map((w) => decodeSubmitResult(parseRpc(w.text) as RpcResponse))
      .flatMap((o) => (!o.accepted && o.reject.code === 23 ? [o.reject] : []));
    expect(lows.map((r) => r.shareDifficulty)).toEqual([0.00023144239111018048, 0.00028299997610799595]);
    for (const r of lows) expect(r.message).toBe(`low difficulty share of ${r.shareDifficulty}`);
  });
});

describe.each(rpcFiles)("%s (daemon JSON-RPC, envelope only)", (file) => {
  test("every request and response (and batch element) parses and round-trips", () => {
    // The shortened hex of rpc-vnomp-blockfound ("…<N hex chars total>") is only ever a string
    // here: nothing at the envelope level reads it as hex.
    for (const l of readTranscript(file)) {
      if (!("req" in l.value)) continue;
      const reqs = ([] as unknown[]).concat(l.value.req);
      const ress = ([] as unknown[]).concat(l.value.res);
      expect(reqs.length).toBe(ress.length);
      for (const q of reqs) {
        const m = toRpcMessage(q);
        expect(m.kind).toBe("request");
        expect(parseRpc(serializeRpc(m))).toEqual(m);
      }
      for (const s of ress) {
        const m = toRpcMessage(s);
        expect(m.kind).toBe("response");
        expect(parseRpc(serializeRpc(m))).toEqual(m);
      }
    }
  });
});
