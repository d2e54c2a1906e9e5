// RFC 6455 framing on the server side: the handshake key, client frames through WsFrameReader
// (whole, split anywhere, fragmented), every protocol error with its code and close code, the
// message cap, and the shapes of the frames a server sends. Seeded PRNG, bounded loops.

import { describe, expect, test } from "bun:test";
import {
  acceptKey,
  encodeClientFrame,
  encodeClose,
  encodeFrame,
  validClientKey,
  WsProtocolError,
  type WsErrorCode,
} from "../../src/net/websocket.ts";
import { WsFrameReader, type WsFrameSink } from "../../src/net/ws-frame-reader.ts";
import { prng } from "../protocol/fixtures.ts";

type Event =
  | { t: "message"; data: string | Uint8Array }
  | { t: "ping" | "pong"; data: Uint8Array }
  | { t: "close"; code: number | null; reason: string };

/** A sink that records every event, copying nothing (so a view over a reused buffer would show). */
function recorder(): WsFrameSink & { events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    frameMessage: (data) => events.push({ t: "message", data }),
    framePing: (data) => events.push({ t: "ping", data }),
    framePong: (data) => events.push({ t: "pong", data }),
    frameClose: (code, reason) => events.push({ t: "close", code, reason }),
  };
}

function randomBytes(n: number, rand: () => number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds `bytes` in pieces ending at the given offsets (each chunk a fresh copy, overwritten after push). */
function feedSplit(reader: WsFrameReader, bytes: Uint8Array, cuts: number[], sink: WsFrameSink): void {
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const chunk = bytes.slice(from, to);
    reader.push(chunk, sink);
    chunk.fill(0xee); // the reader must not have kept a view of it
    from = to;
  }
}

function decodeAll(bytes: Uint8Array, max = 1 << 20): Event[] {
  const sink = recorder();
  new WsFrameReader({ maxMessageBytes: max }).push(bytes, sink);
  return sink.events;
}

/** The error a stream raises, fed whole. */
function errorOf(bytes: Uint8Array, max = 1 << 20): WsProtocolError {
  try {
    decodeAll(bytes, max);
  } catch (e) {
    if (e instanceof WsProtocolError) return e;
    throw e;
  }
  throw new Error("no error raised");
}

function expectError(bytes: Uint8Array, code: WsErrorCode, closeCode: number, max?: number): void {
  const e = errorOf(bytes, max);
  expect(e.code).toBe(code);
  expect(e.closeCode).toBe(closeCode);
}

/** Test-side parser of one server frame (unmasked). */
function parseServerFrame(f: Uint8Array) {
  const b0 = f[0]!;
  const b1 = f[1]!;
  let len = b1 & 0x7f;
  let header = 2;
  if (len === 126) [len, header] = [(f[2]! << 8) | f[3]!, 4];
  else if (len === 127) [len, header] = [Number(new DataView(f.buffer, f.byteOffset).getBigUint64(2)), 10];
  return {
    fin: (b0 & 0x80) !== 0,
    rsv: (b0 >> 4) & 7,
    opcode: b0 & 0x0f,
    masked: (b1 & 0x80) !== 0,
    lenField: b1 & 0x7f,
    header,
    payload: f.subarray(header),
    len,
  };
}

const mask = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
const text = (s: string) => new TextEncoder().encode(s);

describe("handshake", () => {
  test("Sec-WebSocket-Accept matches RFC 6455 §1.3's example", () => {
    // The RFC's value (also what `openssl sha1 -binary | base64` gives): 28 digits for SHA-1's 20 bytes.
    expect(acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  test("a client key is base64 of exactly 16 bytes", () => {
    expect(validClientKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe(true);
    expect(validClientKey(Buffer.from(randomBytes(16, prng(1))).toString("base64"))).toBe(true);
    for (const bad of [
      null,
      undefined,
      "",
      "dGhlIHNhbXBsZSBub25jZQ", // padding missing
      "dGhlIHNhbXBsZSBub25jZQ=", // one "=" short
      " dGhlIHNhbXBsZSBub25jZQ==",
      "dGhlIHNhbXBsZSBub25jZQ==\n",
      "dGhlIHNhbXBsZSBub25j*Q==", // not a base64 digit
      Buffer.from(randomBytes(15, prng(2))).toString("base64"),
      Buffer.from(randomBytes(17, prng(3))).toString("base64"),
      Buffer.from(randomBytes(18, prng(4))).toString("base64"), // 24 digits, no padding: 18 bytes
    ])
      expect(validClientKey(bad)).toBe(false);
  });
});

describe("WsFrameReader: round trips", () => {
  for (const n of [0, 125, 126, 65535, 65536]) {
    test(`${n}-byte binary and text messages`, () => {
      const bin = randomBytes(n, prng(n));
      const str = "x".repeat(n);
      const events = decodeAll(concat(encodeClientFrame(2, bin), encodeClientFrame(1, str, { mask })));
      expect(events).toEqual([
        { t: "message", data: bin },
        { t: "message", data: str },
      ]);
    });
  }

  test("multi-byte UTF-8, a leading BOM kept, and lengths written non-minimally are accepted", () => {
    const s = "\uFEFFnonce ✓ 𝄞 é";
    const minimal = encodeClientFrame(1, "abcde", { mask: new Uint8Array(4) });
    const long16 = concat(Uint8Array.of(0x81, 0x80 | 126, 0, 5), new Uint8Array(4), text("abcde"));
    const long64 = concat(Uint8Array.of(0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 5), new Uint8Array(4));
    expect(minimal.length).toBe(2 + 4 + 5);
    const events = decodeAll(concat(encodeClientFrame(1, s), long16, long64, text("abcde")));
    expect(events.map((e) => (e.t === "message" ? e.data : null))).toEqual([s, "abcde", "abcde"]);
  });

  test("ping, pong and close reach the sink; bytes after a close are ignored", () => {
    const sink = recorder();
    const reader = new WsFrameReader({ maxMessageBytes: 100 });
    const stream = concat(
      encodeClientFrame(9, Uint8Array.of(1, 2, 3)),
      encodeClientFrame(10, new Uint8Array(0)),
      encodeClientFrame(8, concat(Uint8Array.of(0x0f, 0xa0), text("bye ✓"))), // 4000
      encodeClientFrame(1, "after close"),
      Uint8Array.of(0xff, 0xff), // would be an error if read
    );
    reader.push(stream, sink);
    reader.push(Uint8Array.of(0x00), sink);
    expect(sink.events).toEqual([
      { t: "ping", data: Uint8Array.of(1, 2, 3) },
      { t: "pong", data: new Uint8Array(0) },
      { t: "close", code: 4000, reason: "bye ✓" },
    ]);
    expect(reader.stopped).toBe(true);
    expect(decodeAll(encodeClientFrame(8, new Uint8Array(0)))).toEqual([
      { t: "close", code: null, reason: "" },
    ]);
  });

  test("the caller's chunk is neither kept nor changed; binary data stays the sink's", () => {
    const bin = randomBytes(300, prng(7));
    const frameBytes = encodeClientFrame(2, bin, { mask });
    const chunk = frameBytes.slice();
    const events = decodeAll(chunk);
    expect(chunk as Uint8Array).toEqual(frameBytes);
    chunk.fill(0);
    expect(events).toEqual([{ t: "message", data: bin }]);
  });
});

/** A stream of many kinds of frames, and the events it should give. */
function mixedStream(rand: () => number): { bytes: Uint8Array; events: Event[] } {
  const frames: Uint8Array[] = [];
  const events: Event[] = [];
  for (const n of [0, 1, 125, 126, 127, 1000, 65535, 65536, 70000]) {
    const bin = randomBytes(n, rand);
    frames.push(encodeClientFrame(2, bin));
    events.push({ t: "message", data: bin });
    const s = "é".repeat(n >> 1) + "a".repeat(n & 1); // exactly n bytes, 2-byte characters split by any cut
    frames.push(encodeClientFrame(1, s));
    events.push({ t: "message", data: s });
  }
  // A fragmented text message with a ping between its fragments and a character split over two.
  const word = text("fragmented 𝄞 message");
  frames.push(encodeClientFrame(1, word.subarray(0, 12), { fin: false }));
  frames.push(encodeClientFrame(9, "p"));
  frames.push(encodeClientFrame(0, word.subarray(12, 13), { fin: false }));
  frames.push(encodeClientFrame(0, new Uint8Array(0), { fin: false }));
  frames.push(encodeClientFrame(0, word.subarray(13)));
  events.push({ t: "ping", data: text("p") }, { t: "message", data: "fragmented 𝄞 message" });
  frames.push(encodeClientFrame(8, concat(Uint8Array.of(0x03, 0xe8), text("done"))));
  events.push({ t: "close", code: 1000, reason: "done" });
  return { bytes: concat(...frames), events };
}

describe("WsFrameReader: bytes split anywhere", () => {
  test("byte by byte", () => {
    const { bytes, events } = mixedStream(prng(11));
    const sink = recorder();
    const reader = new WsFrameReader({ maxMessageBytes: 1 << 20 });
    for (let i = 0; i < bytes.length; i++) {
      reader.push(bytes.subarray(i, i + 1), sink);
      expect(reader.bufferedBytes).toBeLessThanOrEqual(14 + 70000);
    }
    expect(sink.events).toEqual(events);
  });

  test("random split points (seeded, 60 runs) and one chunk holding everything", () => {
    const { bytes, events } = mixedStream(prng(12));
    const rand = prng(13);
    for (let run = 0; run < 60; run++) {
      const cuts = Array.from({ length: 1 + ((rand() * 40) | 0) }, () => (rand() * bytes.length) | 0);
      // Some cuts close together, to split headers too.
      for (const c of cuts.slice()) cuts.push(Math.min(bytes.length, c + 1 + ((rand() * 13) | 0)));
      cuts.sort((a, b) => a - b);
      const sink = recorder();
      feedSplit(new WsFrameReader({ maxMessageBytes: 1 << 20 }), bytes, cuts, sink);
      expect(sink.events).toEqual(events);
    }
    expect(decodeAll(bytes)).toEqual(events);
  });

  test("bufferedBytes counts a held header and a held payload, and drops to 0 when the frame is read", () => {
    const f = encodeClientFrame(2, randomBytes(1000, prng(5)));
    const reader = new WsFrameReader({ maxMessageBytes: 1000 });
    const sink = recorder();
    reader.push(f.subarray(0, 3), sink);
    expect(reader.bufferedBytes).toBe(3);
    reader.push(f.subarray(3, 500), sink);
    expect(reader.bufferedBytes).toBe(500 - 8);
    reader.push(f.subarray(500), sink);
    expect(reader.bufferedBytes).toBe(0);
    expect(sink.events.length).toBe(1);
  });
});

describe("WsFrameReader: state", () => {
  test("maxMessageBytes must be a non-negative integer", () => {
    for (const bad of [-1, 1.5, NaN, Infinity])
      expect(() => new WsFrameReader({ maxMessageBytes: bad })).toThrow(RangeError);
  });

  test("pendingMessageBytes counts an unfinished fragmented message", () => {
    const reader = new WsFrameReader({ maxMessageBytes: 100 });
    const sink = recorder();
    reader.push(encodeClientFrame(2, new Uint8Array(30), { fin: false }), sink);
    reader.push(encodeClientFrame(0, new Uint8Array(20), { fin: false }), sink);
    expect([reader.pendingMessageBytes, reader.bufferedBytes, sink.events.length]).toEqual([50, 0, 0]);
    reader.push(encodeClientFrame(0, new Uint8Array(5)), sink);
    expect([reader.pendingMessageBytes, sink.events.length]).toEqual([0, 1]);
  });

  test("a sink that throws stops the reader: its error comes out of push(), later bytes are ignored", () => {
    const reader = new WsFrameReader({ maxMessageBytes: 100 });
    const seen: unknown[] = [];
    const sink: WsFrameSink = {
      ...recorder(),
      frameMessage: (d) => {
        seen.push(d);
        throw new TypeError("bug in the sink");
      },
    };
    const two = concat(
      encodeClientFrame(1, "a"),
      encodeClientFrame(1, "b"),
      encodeClientFrame(2, "c").subarray(0, 3),
    );
    expect(() => reader.push(two, sink)).toThrow(TypeError);
    expect([reader.stopped, reader.bufferedBytes]).toEqual([true, 0]);
    reader.push(encodeClientFrame(1, "d"), sink);
    expect(seen).toEqual(["a"]);
  });
});

describe("WsFrameReader: protocol errors", () => {
  const P = "E_WS_PROTOCOL";
  test("RSV bits without an extension", () => {
    for (const rsv of [1, 2, 4]) expectError(encodeClientFrame(1, "x", { rsv }), P, 1002);
  });

  test("unknown opcodes 3-7 and 11-15", () => {
    for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) expectError(encodeClientFrame(op, "x"), P, 1002);
  });

  test("control frames must have FIN and at most 125 bytes", () => {
    for (const op of [8, 9, 10]) {
      expectError(encodeClientFrame(op, new Uint8Array(0), { fin: false }), P, 1002);
      expectError(encodeClientFrame(op, new Uint8Array(126)), P, 1002);
    }
    expect(decodeAll(encodeClientFrame(9, new Uint8Array(125)))[0]).toEqual({
      t: "ping",
      data: new Uint8Array(125),
    });
  });

  test("continuation without a message; a new data frame inside a fragmented one", () => {
    expectError(encodeClientFrame(0, "x"), P, 1002);
    const open = encodeClientFrame(1, "a", { fin: false });
    expectError(concat(open, encodeClientFrame(1, "b")), P, 1002);
    expectError(concat(open, encodeClientFrame(2, "b", { fin: false })), P, 1002);
    // After a message is finished, a continuation has nothing to continue.
    expectError(concat(open, encodeClientFrame(0, "b"), encodeClientFrame(0, "c")), P, 1002);
  });

  test("unmasked client frames", () => {
    expectError(Uint8Array.of(0x81, 0x01, 0x61), P, 1002);
    expectError(Uint8Array.of(0x89, 0x00), P, 1002);
  });

  test("a 64-bit length with the top bit set", () => {
    expectError(Uint8Array.of(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0), P, 1002);
  });

  test("close payloads: 1 byte, codes not valid on the wire, a reason that is not UTF-8", () => {
    expectError(encodeClientFrame(8, Uint8Array.of(0x03)), P, 1002);
    const close = (code: number, reason = new Uint8Array(0)) =>
      encodeClientFrame(8, concat(Uint8Array.of(code >> 8, code & 0xff), reason));
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
      expectError(close(code), P, 1002);
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999])
      expect(decodeAll(close(code))).toEqual([{ t: "close", code, reason: "" }]);
    expectError(close(1000, Uint8Array.of(0xc3)), "E_WS_UTF8", 1007);
  });

  test("text that is not UTF-8, whole or joined from fragments", () => {
    expectError(encodeClientFrame(1, Uint8Array.of(0x61, 0xff)), "E_WS_UTF8", 1007);
    expectError(encodeClientFrame(1, Uint8Array.of(0xed, 0xa0, 0x80)), "E_WS_UTF8", 1007); // a surrogate
    const half = concat(
      encodeClientFrame(1, Uint8Array.of(0xe2, 0x9c), { fin: false }),
      encodeClientFrame(0, "!"),
    );
    expectError(half, "E_WS_UTF8", 1007);
    expect(decodeAll(encodeClientFrame(2, Uint8Array.of(0xff)))).toEqual([
      { t: "message", data: Uint8Array.of(0xff) },
    ]);
  });

  test("an error is raised mid-stream after the frames before it, and the reader stops", () => {
    const sink = recorder();
    const reader = new WsFrameReader({ maxMessageBytes: 100 });
    const stream = concat(encodeClientFrame(1, "ok"), encodeClientFrame(5, "x"), encodeClientFrame(1, "no"));
    expect(() => reader.push(stream, sink)).toThrow(WsProtocolError);
    expect(sink.events).toEqual([{ t: "message", data: "ok" }]);
    expect(reader.stopped).toBe(true);
    reader.push(encodeClientFrame(1, "later"), sink);
    expect(sink.events.length).toBe(1);
  });

  test("an error in a header split across chunks is raised as soon as its first 2 bytes arrive", () => {
    const reader = new WsFrameReader({ maxMessageBytes: 100 });
    const sink = recorder();
    reader.push(Uint8Array.of(0x81), sink);
    expect(() => reader.push(Uint8Array.of(0x05), sink)).toThrow(WsProtocolError); // unmasked
  });
});

describe("WsFrameReader: the message cap", () => {
  const T = "E_WS_TOO_LARGE";
  test("exactly maxMessageBytes is accepted, one more is E_WS_TOO_LARGE", () => {
    for (const max of [0, 10, 125, 126, 65536]) {
      expect(decodeAll(encodeClientFrame(2, new Uint8Array(max)), max).length).toBe(1);
      expectError(encodeClientFrame(2, new Uint8Array(max + 1)), T, 1009, max);
      expectError(encodeClientFrame(1, "a".repeat(max + 1)), T, 1009, max);
    }
  });

  test("across fragments: the fragments so far plus the new one's declared length", () => {
    const frag = (op: number, n: number, fin: boolean) => encodeClientFrame(op, new Uint8Array(n), { fin });
    const ok = concat(
      frag(2, 40, false),
      encodeClientFrame(9, new Uint8Array(100)),
      frag(0, 40, false),
      frag(0, 20, true),
    );
    expect(decodeAll(ok, 100).at(-1)).toEqual({ t: "message", data: new Uint8Array(100) });
    expectError(concat(frag(2, 40, false), frag(0, 40, false), frag(0, 21, true)), T, 1009, 100);
    // Control frames do not count toward the message; a finished message resets the count.
    expect(decodeAll(concat(ok, ok), 100).length).toBe(4);
  });

  test("refused from the header alone, before its payload is buffered", () => {
    const reader = new WsFrameReader({ maxMessageBytes: 1000 });
    const header = encodeClientFrame(2, new Uint8Array(1 << 20)).subarray(0, 14);
    let error: unknown;
    try {
      reader.push(header, recorder());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WsProtocolError);
    expect((error as WsProtocolError).code).toBe(T);
    // Also the largest length a frame can claim.
    const huge = Uint8Array.of(0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4);
    expectError(huge, T, 1009, 1000);
  });
});

describe("server frames", () => {
  test("headers for 0, 125, 126, 65535 and 65536-byte payloads: FIN, no RSV, no mask, minimal length", () => {
    for (const [n, header, lenField] of [
      [0, 2, 0],
      [125, 2, 125],
      [126, 4, 126],
      [65535, 4, 126],
      [65536, 10, 127],
    ] as const) {
      const data = randomBytes(n, prng(n + 1));
      const f = parseServerFrame(encodeFrame(2, data));
      expect(f).toMatchObject({ fin: true, rsv: 0, opcode: 2, masked: false, lenField, header, len: n });
      expect(f.payload).toEqual(data);
    }
  });

  test("text is encoded UTF-8; control opcodes; a control payload over 125 bytes is a programmer error", () => {
    const f = parseServerFrame(encodeFrame(1, "✓ ok"));
    expect(f.opcode).toBe(1);
    expect(new TextDecoder().decode(f.payload)).toBe("✓ ok");
    for (const op of [8, 9, 10] as const) expect(parseServerFrame(encodeFrame(op, "p")).opcode).toBe(op);
    expect(() => encodeFrame(9, new Uint8Array(126))).toThrow(RangeError);
  });

  test("close: code then reason; a long reason cut to 123 bytes on a character boundary", () => {
    const f = parseServerFrame(encodeClose(4408, "E_IDLE_TIMEOUT"));
    expect([f.opcode, f.payload[0], f.payload[1]]).toEqual([8, 4408 >> 8, 4408 & 0xff]);
    expect(new TextDecoder().decode(f.payload.subarray(2))).toBe("E_IDLE_TIMEOUT");
    expect(parseServerFrame(encodeClose(1000, "a".repeat(200))).len).toBe(125);
    for (const [reason, kept] of [
      ["é".repeat(100), "é".repeat(61)], // 122 bytes: the 62nd "é" would straddle byte 123
      ["a" + "€".repeat(50), "a" + "€".repeat(40)], // 121 bytes
      ["ab" + "𝄞".repeat(40), "ab" + "𝄞".repeat(30)], // 122 bytes
    ]) {
      const p = parseServerFrame(encodeClose(1000, reason!)).payload.subarray(2);
      expect(new TextDecoder("utf-8", { fatal: true }).decode(p)).toBe(kept!);
    }
    expect(() => encodeClose(1005, "")).toThrow(RangeError);
  });

  test("encodeClientFrame masks with the given key (RFC 6455 §5.7's masked 'Hello')", () => {
    expect(encodeClientFrame(1, "Hello", { mask })).toEqual(
      Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    );
  });
});

describe("fuzz (seeded)", () => {
  function decodesOrProtocolError(bytes: Uint8Array, cuts: number[]): void {
    try {
      feedSplit(new WsFrameReader({ maxMessageBytes: 4096 }), bytes, cuts, recorder());
    } catch (e) {
      if (!(e instanceof WsProtocolError)) throw e;
      expect(["E_WS_PROTOCOL", "E_WS_TOO_LARGE", "E_WS_UTF8"]).toContain(e.code);
    }
  }

  test("random bytes and mutated valid streams either decode or raise WsProtocolError", () => {
    const rand = prng(99);
    const { bytes: valid } = mixedStream(prng(100));
    const base = valid.subarray(0, 4000);
    for (let i = 0; i < 400; i++) {
      decodesOrProtocolError(
        randomBytes((rand() * 300) | 0, rand),
        [(rand() * 300) | 0].sort((a, b) => a - b),
      );
      const mutated = base.slice();
      for (let k = 0; k < 1 + ((rand() * 4) | 0); k++)
        mutated[(rand() * mutated.length) | 0] = (rand() * 256) | 0;
      decodesOrProtocolError(mutated, [(rand() * mutated.length) | 0]);
      // Plausible frames: any FIN, RSV and opcode, masked, short payloads (random bytes mostly fail
      // on their first byte, these reach the payload checks).
      const frames: Uint8Array[] = [];
      for (let k = 0; k < 8; k++) {
        const b0 = rand() < 0.8 ? (rand() < 0.5 ? 0x80 : 0) | ((rand() * 16) | 0) : (rand() * 256) | 0;
        const f = encodeClientFrame(b0 & 0x0f, randomBytes((rand() * 140) | 0, rand), {
          fin: (b0 & 0x80) !== 0,
          rsv: rand() < 0.9 ? 0 : (b0 >> 4) & 7,
        });
        frames.push(f);
      }
      const stream = concat(...frames);
      decodesOrProtocolError(stream, [(rand() * stream.length) | 0]);
    }
  });
});
