// Seeded fuzzing of every decoder: random bytes, and real transcript lines mutated at the byte and
// at the JSON level. The property: a decoder returns a value (which re-encodes to something that
// decodes to the same value) or throws a ProtocolError — never anything else. The validator never
// throws at all on wire input. Failures reproduce from the seed and iteration printed.

import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { LineDecoder } from "../../src/protocol/framing.ts";
import { Job } from "../../src/protocol/job.ts";
import { parseRpc, serializeRpc, type RpcResponse } from "../../src/protocol/jsonrpc.ts";
import { decodeFromMiner, encodeMinerMessage, type MinerMessage } from "../../src/protocol/miner-messages.ts";
import { decodeFromPool, encodePoolMessage, type PoolMessage } from "../../src/protocol/pool-messages.ts";
import {
  decodeBooleanResult,
  decodeSubmitResult,
  decodeSubscribeResult,
} from "../../src/protocol/results.ts";
import { difficultyToTarget, targetFromHex, targetToDifficulty } from "../../src/protocol/target.ts";
import { validateShare, type ShareHashers } from "../../src/protocol/validate.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { prng, shareVectors, transcriptFiles, wireLines } from "./fixtures.ts";

const SEED = 20251121;
const corpus = transcriptFiles().flatMap((f) => wireLines(f).map((w) => w.text));

/** Run f; a ProtocolError counts as "coded", anything else thrown fails the test with the input. */
function coded(what: string, input: unknown, f: () => void, tally: { ok: number; coded: number }): void {
  try {
    f();
    tally.ok++;
  } catch (e) {
    if (e instanceof ProtocolError) {
      tally.coded++;
      return;
    }
    throw new Error(
      `${what} threw a non-protocol error for ${JSON.stringify(input).slice(0, 300)}: ${String(e)}`,
    );
  }
}

function mutators(rnd: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (n: number) => Math.floor(rnd() * n);
  const TOKENS = [
    '"',
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "1e999",
    "-0",
    '"\\u0000"',
    '"\\ud800"',
    "é",
    "\n",
    "0x10",
    "[]",
    "{}",
  ];
  const VALUES = [
    null,
    true,
    false,
    0,
    -1,
    1.5,
    2 ** 53,
    "",
    "00",
    "zz",
    "0".repeat(64),
    "f".repeat(2694),
    [],
    {},
    [[]],
    ["mining.notify", "x"],
  ];
  const METHODS = [
    "mining.subscribe",
    "mining.authorize",
    "mining.submit",
    "mining.notify",
    "mining.set_target",
    "mining.set_difficulty",
    "mining.set_extranonce",
    "client.reconnect",
    "client.show_message",
    "mining.ping",
    "mining.suggest_target",
    "mining.extranonce.subscribe",
  ];
  const bytes = (s: string): string => {
    const chars = [...s];
    switch (int(5)) {
      case 0: // flip characters
        for (let i = 0, n = 1 + int(4); i < n; i++) chars[int(chars.length)] = String.fromCharCode(int(256));
        return chars.join("");
      case 1: // cut a span
        return s.slice(0, int(s.length)) + s.slice(int(s.length));
      case 2: // insert a token
        return ((i) => s.slice(0, i) + pick(TOKENS) + s.slice(i))(int(s.length));
      case 3: // truncate
        return s.slice(0, int(s.length));
      default: // duplicate a span
        return ((i, j) => s.slice(0, j) + s.slice(i, j) + s.slice(i))(int(s.length), int(s.length));
    }
  };
  const json = (s: string): string => {
    const v = JSON.parse(s) as Record<string, unknown>;
    const params = Array.isArray(v.params) ? [...(v.params as unknown[])] : null;
    switch (int(6)) {
      case 0:
        if (params) params[int(params.length + 1)] = pick(VALUES);
        break;
      case 1:
        if (params) params.splice(int(params.length), 1);
        break;
      case 2:
        v.method = pick(METHODS);
        break;
      case 3:
        v[pick(["id", "result", "error", "params", "method"])] = pick(VALUES);
        break;
      case 4: // change one hex digit or the case of a param string
        if (params) {
          const i = int(params.length);
          const p = params[i];
          if (typeof p === "string" && p.length > 0)
            params[i] =
              rnd() < 0.5
                ? p.toUpperCase()
                : ((k) => p.slice(0, k) + pick(["0", "g", "F", " "]) + p.slice(k + 1))(int(p.length));
        }
        break;
      default:
        if (Array.isArray(v.result)) (v.result as unknown[])[int(3)] = pick(VALUES);
        else v.result = pick([true, false, null, [null, "1ffffff7"], [null, pick(VALUES)], pick(VALUES)]);
    }
    if (params) v.params = params;
    return JSON.stringify(v);
  };
  return { pick, int, bytes, json };
}

/** Decode a line every way a transport might, re-encoding whatever decodes. */
function decodeEverything(line: string): void {
  const p = decodeFromPool(line);
  if ("kind" in p) {
    const r = p as RpcResponse;
    for (const f of [
      () => decodeSubscribeResult(r.result),
      () => decodeBooleanResult(r),
      () => decodeSubmitResult(r),
    ]) {
      try {
        f();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
      }
    }
    expect(parseRpc(serializeRpc(r))).toEqual(r);
  } else {
    expect(decodeFromPool(encodePoolMessage(p as PoolMessage))).toEqual(p);
    if (p.method === "mining.notify") new Job(p);
  }
  const m = decodeFromMiner(line);
  if (!("kind" in m)) expect(decodeFromMiner(encodeMinerMessage(m as MinerMessage))).toEqual(m);
}

describe(`fuzz (seed ${SEED})`, () => {
  test("random bytes through the line decoder, then every decoder", () => {
    const rnd = prng(SEED);
    const tally = { ok: 0, coded: 0 };
    const text = new TextDecoder();
    for (let i = 0; i < 3000; i++) {
      const d = new LineDecoder({ maxLineBytes: 64 + Math.floor(rnd() * 256), maxBufferedBytes: 4096 });
      const junk = Uint8Array.from({ length: Math.floor(rnd() * 600) }, () =>
        rnd() < 0.1 ? 0x0a : Math.floor(rnd() * 256),
      );
      coded(
        "LineDecoder",
        i,
        () => {
          for (const line of d.feed(junk)) coded("decoders", line, () => decodeEverything(line), tally);
        },
        tally,
      );
      coded("decoders", i, () => decodeEverything(text.decode(junk)), tally);
    }
    expect(tally.coded).toBeGreaterThan(1000);
  });

  test("real lines mutated at the byte level", () => {
    const rnd = prng(SEED + 1);
    const { pick, bytes } = mutators(rnd);
    const tally = { ok: 0, coded: 0 };
    for (let i = 0; i < 4000; i++) {
      const line = bytes(pick(corpus));
      coded(`byte mutation #${i}`, line, () => decodeEverything(line), tally);
    }
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.coded).toBeGreaterThan(100);
  });

  test("real lines mutated at the JSON level (types, counts, methods, hex)", () => {
    const rnd = prng(SEED + 2);
    const { pick, json } = mutators(rnd);
    const tally = { ok: 0, coded: 0 };
    for (let i = 0; i < 6000; i++) {
      let line = pick(corpus);
      for (let k = 0, n = 1 + Math.floor(rnd() * 3); k < n; k++) line = json(line);
      coded(`json mutation #${i}`, line, () => decodeEverything(line), tally);
    }
    expect(tally.ok).toBeGreaterThan(500);
    expect(tally.coded).toBeGreaterThan(500);
  });

  test("the validator never throws on mutated submits and sessions", () => {
    const rnd = prng(SEED + 3);
    const { pick, int, bytes } = mutators(rnd);
    const shares = shareVectors();
    const hashers: ShareHashers = {
      hash22: (input) => input.slice(input.length - 32), // deterministic stand-in
      preHeaderHash: (input) => input.slice(0, 32),
    };
    const verdicts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const s = pick(shares);
      const job = new Job(decodeNotify(null, s.notifyParams), {
        daemonNonce: new Uint8Array(32).fill(int(256)),
      });
      const sub = [...s.submitParams] as string[];
      const k = 1 + int(4);
      sub[k] =
        rnd() < 0.7
          ? bytes(sub[k]!)
          : pick(["", "zz", sub[k]!.toUpperCase(), sub[k]!.slice(2), sub[k]! + "00"]);
      const v = validateShare({
        jobs: { get: (id) => (id === job.id ? job : undefined) },
        session: {
          authorized: rnd() < 0.95,
          // Our own state, always valid hex: another connection's, or a proxy-extended one.
          extranonce1:
            rnd() < 0.95
              ? pick([s.extranonce1, s.extranonce1, "1ffffff8", s.extranonce1 + "0001", "00"])
              : null,
          duplicates: { add: () => rnd() < 0.9 },
        },
        submit: { worker: "w", jobId: sub[1]!, nTime: sub[2]!, extranonce2: sub[3]!, solution: sub[4]! },
        target: { difficulty: rnd() < 0.5 ? 2 : 1e-7, previousDifficulty: rnd() < 0.5 ? null : 1 },
        hashers,
        rule: rnd() < 0.5 ? "miner" : "pool",
      });
      const key = v.ok ? "ok" : v.reject.reason;
      verdicts.set(key, (verdicts.get(key) ?? 0) + 1);
    }
    // Most paths were reached.
    expect(verdicts.size).toBeGreaterThanOrEqual(10);
  });

  test("target math on random numbers and strings", () => {
    const rnd = prng(SEED + 4);
    const { bytes } = mutators(rnd);
    const tally = { ok: 0, coded: 0 };
    for (let i = 0; i < 3000; i++) {
      const d = [NaN, -1, 0, Infinity, 1e-320, 1e300, rnd() * 1e6, -rnd(), 2 ** (rnd() * 600 - 300)][i % 9]!;
      coded("difficultyToTarget", d, () => targetToDifficulty(difficultyToTarget(d) || 1n), tally);
      const hex = bytes("0004" + "0".repeat(60));
      coded("targetFromHex", hex, () => targetFromHex(hex), tally);
    }
    expect(tally.ok).toBeGreaterThan(1000);
    expect(tally.coded).toBeGreaterThan(1000);
  });
});
