import { describe, expect, test } from "bun:test";
import { DEFAULT_MAX_LINE_BYTES, LineDecoder, toLine } from "../../src/protocol/framing.ts";
import { prng, transcriptFiles, wireLines } from "./fixtures.ts";
import { codeOf } from "../support/errors.ts";

const enc = new TextEncoder();
const allLines = transcriptFiles().flatMap((f) => wireLines(f).map((w) => w.text));
const stream = enc.encode(allLines.map(toLine).join(""));

function decodeChunks(chunks: Uint8Array[], d = new LineDecoder()): string[] {
  const out: string[] = [];
  for (const c of chunks) for (const line of d.feed(c)) out.push(line);
  return out;
}

describe("reassembly", () => {
  test("all transcript lines in one chunk", () => {
    expect(allLines.length).toBeGreaterThan(300);
    expect(decodeChunks([stream])).toEqual(allLines);
  });

  test("all transcript bytes in 1-byte chunks", () => {
    const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    expect(decodeChunks(chunks)).toEqual(allLines);
  });

  test("split at every position (a handshake, a v7 notify and a submit)", () => {
    const head = wireLines("vnomp-rawclient.jsonl")
      .slice(0, 12)
      .map((w) => w.text);
    const bytes = enc.encode(head.map(toLine).join(""));
    for (let i = 0; i <= bytes.length; i++) {
      expect(decodeChunks([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(head);
    }
  });

  test("random chunk sizes over all transcripts (seeded)", () => {
    const rnd = prng(3);
    for (let round = 0; round < 20; round++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < stream.length;) {
        const n = 1 + Math.floor(rnd() ** 3 * 20000);
        chunks.push(stream.subarray(i, i + n));
        i += n;
      }
      expect(decodeChunks(chunks)).toEqual(allLines);
    }
  });

  test("strings and bytes decode alike", () => {
    const d = new LineDecoder();
    expect([...d.feed('{"a":'), ...d.feed(enc.encode('1}\n{"b"')), ...d.feed(":2}\n")]).toEqual([
      '{"a":1}',
      '{"b":2}',
    ]);
  });

  test("UTF-8 sequences split at every byte", () => {
    const text = "x é € 😀 y";
    const bytes = enc.encode(text + "\n");
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        expect(decodeChunks([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual([text]);
      }
    }
  });

  test("CRLF and LF both end lines; blank lines are skipped; a lone CR stays", () => {
    const d = new LineDecoder();
    expect([...d.feed("a\r\nb\n\n\r\n   \nc\rd\r\n\r")]).toEqual(["a", "b", "c\rd"]);
    expect([...d.feed("\ne\r")]).toEqual([]);
    expect([...d.feed("\n")]).toEqual(["e"]);
    expect(d.bufferedBytes).toBe(0);
  });

  test("a partial last line stays buffered until its newline", () => {
    const d = new LineDecoder();
    expect([...d.feed("abc")]).toEqual([]);
    expect(d.bufferedBytes).toBe(3);
    expect([...d.feed("def\n")]).toEqual(["abcdef"]);
  });

  test("lines not consumed stay buffered, in order, for the next feed", () => {
    const d = new LineDecoder();
    for (const line of d.feed("1\n2\n3\n")) {
      expect(line).toBe("1");
      break;
    }
    expect([...d.feed("4\n")]).toEqual(["2", "3", "4"]);
    d.feed("5\n"); // never iterated: nothing is lost
    expect([...d.feed("6\n")]).toEqual(["5", "6"]);
  });
});

describe("caps", () => {
  test("default cap leaves room for the largest real line (a v7 submit ≈ 2.8 KB)", () => {
    const longest = Math.max(...allLines.map((l) => enc.encode(l).length));
    expect(longest).toBeGreaterThan(2700);
    expect(longest).toBeLessThan(DEFAULT_MAX_LINE_BYTES);
  });

  test("a line of exactly maxLineBytes passes, with LF or CRLF", () => {
    const d = new LineDecoder({ maxLineBytes: 10 });
    expect([...d.feed("0123456789\n0123456789\r\n")]).toEqual(["0123456789", "0123456789"]);
  });

  test("one byte over is E_LINE_TOO_LONG, after the lines before it", () => {
    const d = new LineDecoder({ maxLineBytes: 10 });
    const got: string[] = [];
    expect(
      codeOf(() => {
        for (const l of d.feed("ok\n01234567890\nnever\n")) got.push(l);
      }),
    ).toBe("E_LINE_TOO_LONG");
    expect(got).toEqual(["ok"]);
    expect(d.failure?.code).toBe("E_LINE_TOO_LONG");
    expect(d.failure?.detail).toEqual({ limit: 10, length: 11 });
  });

  test("an over-long line is refused before its newline arrives, and the failure is sticky", () => {
    const d = new LineDecoder({ maxLineBytes: 10 });
    expect(codeOf(() => [...d.feed("01234567890")])).toBe("E_LINE_TOO_LONG");
    expect(codeOf(() => d.feed("\n"))).toBe("E_LINE_TOO_LONG");
    d.reset();
    expect([...d.feed("fine\n")]).toEqual(["fine"]);
    expect([...d.feed("0123456789\r")]).toEqual([]); // 11 bytes, but the last may be CRLF's CR
    expect(codeOf(() => [...d.feed("x")])).toBe("E_LINE_TOO_LONG");
  });

  test("v-nomp's 10 240-byte flood guard as a cap: four submits as one line fail, as four lines pass", () => {
    const submit = allLines.find((l) => l.includes("mining.submit") && l.length > 2700)!;
    const d = new LineDecoder({ maxLineBytes: 10240 });
    expect([...d.feed(toLine(submit).repeat(4))]).toHaveLength(4);
    expect(codeOf(() => [...d.feed(submit.repeat(4))])).toBe("E_LINE_TOO_LONG");
  });

  test("more than maxBufferedBytes held is E_BUFFER_OVERFLOW", () => {
    const d = new LineDecoder({ maxLineBytes: 10, maxBufferedBytes: 20 });
    d.feed("0123456789\n"); // not consumed
    expect(codeOf(() => d.feed("0123456789\n"))).toBe("E_BUFFER_OVERFLOW");
    expect(codeOf(() => d.feed("x"))).toBe("E_BUFFER_OVERFLOW");
  });

  test('bufferCap "partial": a read of many complete lines passes; only what stays held is capped', () => {
    const d = new LineDecoder({ maxLineBytes: 10, maxBufferedBytes: 20, bufferCap: "partial" });
    expect([...d.feed("0123456789\n".repeat(10) + "abc")]).toHaveLength(10);
    expect(d.bufferedBytes).toBe(3);
    expect([...d.feed("def\n")]).toEqual(["abcdef"]);
    d.feed("0123456789\n0123456789\n"); // not consumed: 22 bytes held
    expect(codeOf(() => d.feed("x"))).toBe("E_BUFFER_OVERFLOW");
    const long = new LineDecoder({ maxLineBytes: 10, maxBufferedBytes: 20, bufferCap: "partial" });
    expect(codeOf(() => [...long.feed("fine\n" + "y".repeat(12))])).toBe("E_LINE_TOO_LONG");
  });

  test("bad options are programmer errors", () => {
    expect(() => new LineDecoder({ maxLineBytes: 0 })).toThrow(RangeError);
    expect(() => new LineDecoder({ maxLineBytes: 100, maxBufferedBytes: 50 })).toThrow(RangeError);
  });
});
