import { describe, expect, test } from "bun:test";
import {
  encodeProxyV1,
  encodeProxyV2,
  encodeProxyV2Local,
  looksLikeProxyHeader,
  MAX_V1_BYTES,
  MAX_V2_PAYLOAD,
  parseProxyHeader,
  ProxyProtocolError,
  type ProxyParse,
} from "../../src/net/proxy-protocol.ts";

const text = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const SIG = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
/** A v2 header from its parts: ver/cmd byte, family byte, declared length and the block. */
const v2 = (verCmd: number, fam: number, block: Uint8Array, length = block.length) =>
  concat(SIG, Uint8Array.of(verCmd, fam, length >> 8, length & 0xff), block);
const tlv = (type: number, value: Uint8Array) =>
  concat(Uint8Array.of(type, value.length >> 8, value.length & 0xff), value);

function codeOf(bytes: Uint8Array): string | null {
  try {
    parseProxyHeader(bytes);
    return null;
  } catch (e) {
    if (!(e instanceof ProxyProtocolError)) throw e;
    return e.code;
  }
}

const ROUND_TRIPS: [string, number, string, number, string, string][] = [
  // [source, sport, destination, dport, source as parsed, destination as parsed]
  ["192.0.2.1", 56324, "198.51.100.2", 3956, "192.0.2.1", "198.51.100.2"],
  ["0.0.0.0", 0, "255.255.255.255", 65535, "0.0.0.0", "255.255.255.255"],
  ["2001:db8::1", 1, "2001:DB8:0:0:0:0:0:2", 443, "2001:db8::1", "2001:db8::2"],
  ["::1", 40000, "::1", 3956, "::1", "::1"],
  ["::ffff:192.0.2.1", 5, "::ffff:192.0.2.2", 6, "192.0.2.1", "192.0.2.2"], // mapped: IPv4 on the wire
  [
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    65535,
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    65535,
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  ],
];

describe("round trips through the encoders", () => {
  for (const [version, encode] of [
    [1, encodeProxyV1],
    [2, encodeProxyV2],
  ] as const) {
    test.each(ROUND_TRIPS)(`v${version} %p:%p → %p:%p`, (src, sport, dst, dport, wantSrc, wantDst) => {
      const header = encode(src, sport, dst, dport);
      const payload = text('{"id":1,"method":"mining.subscribe"}\n');
      const r = parseProxyHeader(concat(header, payload));
      expect(r).toEqual({
        state: "done",
        header: {
          kind: "proxied",
          source: wantSrc,
          sourcePort: sport,
          destination: wantDst,
          destinationPort: dport,
          version,
        },
        consumed: header.length,
      });
    });
  }

  test("v1 text is the spec's, and its longest TCP6 line fits the 107-byte cap", () => {
    expect(new TextDecoder().decode(encodeProxyV1("192.0.2.1", 56324, "198.51.100.2", 3956))).toBe(
      "PROXY TCP4 192.0.2.1 198.51.100.2 56324 3956\r\n",
    );
    const f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    expect(encodeProxyV1(f, 65535, f, 65535).length).toBe(104);
  });

  test("encoders refuse what they cannot say", () => {
    expect(() => encodeProxyV1("192.0.2.1", 1, "::1", 2)).toThrow(ProxyProtocolError);
    expect(() => encodeProxyV2("nope", 1, "::1", 2)).toThrow(ProxyProtocolError);
    expect(() => encodeProxyV1("192.0.2.1", 65536, "192.0.2.2", 2)).toThrow(ProxyProtocolError);
    expect(() => encodeProxyV2("192.0.2.1", -1, "192.0.2.2", 2)).toThrow(ProxyProtocolError);
  });
});

describe("need-more only for strict prefixes", () => {
  const headers: [string, Uint8Array][] = [
    ["v1 TCP4", encodeProxyV1("192.0.2.1", 56324, "198.51.100.2", 3956)],
    ["v1 TCP6", encodeProxyV1("2001:db8::1", 1, "::2", 0)],
    ["v1 UNKNOWN", text("PROXY UNKNOWN\r\n")],
    ["v1 UNKNOWN long", text("PROXY UNKNOWN ffff:f::f 1::2 65535 65535\r\n")],
    ["v2 INET", encodeProxyV2("192.0.2.1", 56324, "198.51.100.2", 3956)],
    [
      "v2 INET6 + TLVs",
      encodeProxyV2("2001:db8::1", 1, "::1", 2, concat(tlv(1, text("h2")), tlv(4, new Uint8Array(0)))),
    ],
    ["v2 LOCAL", encodeProxyV2Local()],
    ["v2 LOCAL + block", encodeProxyV2Local(new Uint8Array(40))],
  ];
  test.each(headers)("%s: every byte prefix", (_name, header) => {
    for (let n = 0; n < header.length; n++) {
      expect([n, parseProxyHeader(header.subarray(0, n))]).toEqual([n, { state: "need-more" }]);
    }
    const done = parseProxyHeader(header) as Extract<ProxyParse, { state: "done" }>;
    expect(done.state).toBe("done");
    expect(done.consumed).toBe(header.length);
  });
});

describe("absent: ordinary traffic", () => {
  test.each([
    ['{"id":1,"method":"mining.subscribe","params":[]}\n'],
    ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"],
    ["POST /ws HTTP/1.1\r\n"],
    ["PROXZ TCP4"],
    ["PROXYTCP4"],
    ["proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"], // the keyword is case-sensitive
    ["\r\n\r\nHELLO"],
    ["\r\n\r\n\0\r\nQUIT!"],
    ["\n"],
  ])("%p", (s) => {
    expect(parseProxyHeader(text(s))).toEqual({ state: "absent" });
    // As the first bytes arrive one by one, the answer never goes back to need-more once absent.
    let seenAbsent = false;
    for (let n = 1; n <= s.length; n++) {
      const r = parseProxyHeader(text(s).subarray(0, n)).state;
      if (seenAbsent) expect(r).toBe("absent");
      seenAbsent ||= r === "absent";
    }
  });

  test("empty input waits", () => {
    expect(parseProxyHeader(new Uint8Array(0))).toEqual({ state: "need-more" });
  });
});

describe("looksLikeProxyHeader", () => {
  test.each([
    // Only a whole signature: a short first segment may be ordinary traffic (RFC 9112 allows
    // leading CRLFs; "P" may begin POST).
    ["P", false],
    ["PROXY", false],
    ["PROXY ", true],
    ["PROXY TCP4 1.2.3.4", true],
    ["\r\n\r\n\0", false],
    ["\r\n\r\n\0\r\nQUIT\n", true],
    ["PROXZ", false],
    ["POST", false],
    ['{"id":1', false],
    ["GET /", false],
    ["", false],
  ])("%p → %p", (s, want) => {
    expect(looksLikeProxyHeader(text(s))).toBe(want);
  });
  test("a whole v2 header, and one with the signature broken", () => {
    const h = encodeProxyV2("192.0.2.1", 1, "192.0.2.2", 2);
    expect(looksLikeProxyHeader(h)).toBe(true);
    h[11] = 0x0b;
    expect(looksLikeProxyHeader(h)).toBe(false);
  });
});

describe("v1 malformed", () => {
  test.each([
    ["PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"], // a field missing
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"], // one too many
    ["PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"], // two spaces
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"],
    ["PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"],
    ["PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"], // §2.1: no leading zeros
    ["PROXY TCP4 ::1 ::1 1 2\r\n"], // family mismatch
    ["PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"],
    ["PROXY TCP6 [::1] ::1 1 2\r\n"],
    ["PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"], // port out of range
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 080\r\n"], // leading zero
    ["PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"], // LF without CR
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"], // CR without LF
    ["PROXY UNKNOWNX\r\n"],
    ["PROXY UNKNOWN \u00e9\r\n"], // not ASCII
    ["PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n"],
    ["PROXY \r\n"],
    // Caught before the line ends: these can no longer become a valid header.
    ["PROXY X"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 "],
    ["PROXY TCP4 1.2.3.4 5.6.7.8.9"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 99999"],
    ["PROXY TCP4 300"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 01"],
    ["PROXY TCP6 fe80::g"],
    ["PROXY TCP4 1.2.3.4\r"], // a CR ends the line: this one is incomplete
  ])("%p → E_PROXY_MALFORMED", (s) => {
    expect(codeOf(text(s))).toBe("E_PROXY_MALFORMED");
  });

  test("107 bytes with CRLF pass; no CRLF by byte 107 is malformed", () => {
    const at = `PROXY UNKNOWN ${"x".repeat(MAX_V1_BYTES - 16)}\r\n`;
    expect(at.length).toBe(MAX_V1_BYTES);
    expect(parseProxyHeader(text(at))).toEqual({
      state: "done",
      header: { kind: "local", version: 1 },
      consumed: MAX_V1_BYTES,
    });
    const over = `PROXY UNKNOWN ${"x".repeat(MAX_V1_BYTES - 15)}\r\n`;
    expect(parseProxyHeader(text(over).subarray(0, MAX_V1_BYTES - 1)).state).toBe("need-more");
    expect(codeOf(text(over).subarray(0, MAX_V1_BYTES))).toBe("E_PROXY_MALFORMED");
    expect(codeOf(text(over))).toBe("E_PROXY_MALFORMED");
  });

  test("PROXY UNKNOWN: the peer's own address, the rest of the line ignored", () => {
    for (const s of [
      "PROXY UNKNOWN\r\n",
      "PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY UNKNOWN anything\r\n",
    ]) {
      expect(parseProxyHeader(text(s + "data"))).toEqual({
        state: "done",
        header: { kind: "local", version: 1 },
        consumed: s.length,
      });
    }
  });
});

describe("v2", () => {
  const inet = encodeProxyV2("192.0.2.1", 1, "192.0.2.2", 2).subarray(16); // 12-byte address block

  test("TLVs are skipped, length-checked", () => {
    const tlvs = concat(
      tlv(0x02, text("bridge.example.org")),
      tlv(0x20, new Uint8Array(300)),
      tlv(0xe0, new Uint8Array(0)),
    );
    const h = encodeProxyV2("192.0.2.1", 1, "192.0.2.2", 2, tlvs);
    const r = parseProxyHeader(concat(h, text("{")));
    expect(r).toMatchObject({
      state: "done",
      consumed: h.length,
      header: { source: "192.0.2.1", version: 2 },
    });
    // A TLV that runs past the declared length, and a truncated TLV header.
    expect(codeOf(encodeProxyV2("192.0.2.1", 1, "192.0.2.2", 2, Uint8Array.of(1, 0, 5, 0)))).toBe(
      "E_PROXY_MALFORMED",
    );
    expect(codeOf(encodeProxyV2("192.0.2.1", 1, "192.0.2.2", 2, Uint8Array.of(1, 0)))).toBe(
      "E_PROXY_MALFORMED",
    );
  });

  test("LOCAL: the peer's own address, whatever the family and block", () => {
    expect(parseProxyHeader(encodeProxyV2Local())).toEqual({
      state: "done",
      header: { kind: "local", version: 2 },
      consumed: 16,
    });
    expect(parseProxyHeader(v2(0x20, 0x11, inet))).toMatchObject({
      state: "done",
      header: { kind: "local" },
    });
    expect(parseProxyHeader(v2(0x20, 0xff, new Uint8Array(3)))).toMatchObject({ header: { kind: "local" } });
  });

  test("AF_UNSPEC and AF_UNIX under PROXY: local", () => {
    expect(parseProxyHeader(v2(0x21, 0x00, new Uint8Array(0)))).toMatchObject({ header: { kind: "local" } });
    expect(parseProxyHeader(v2(0x21, 0x31, new Uint8Array(216)))).toMatchObject({
      header: { kind: "local" },
      consumed: 16 + 216,
    });
  });

  test.each([
    ["version 1 in the binary form", v2(0x11, 0x11, inet)],
    ["version 3", v2(0x31, 0x11, inet)],
    ["command 2", v2(0x22, 0x11, inet)],
    ["command 15", v2(0x2f, 0x11, inet)],
    ["family 4", v2(0x21, 0x41, inet)],
    ["transport 3", v2(0x21, 0x13, inet)],
    ["INET with transport UNSPEC", v2(0x21, 0x10, inet)],
    ["INET block of 11 bytes", v2(0x21, 0x11, inet.subarray(0, 11))],
    ["INET6 block of 35 bytes", v2(0x21, 0x21, new Uint8Array(35))],
    ["UNIX block of 215 bytes", v2(0x21, 0x31, new Uint8Array(215))],
  ])("%s → E_PROXY_MALFORMED", (_name, bytes) => {
    expect(codeOf(bytes)).toBe("E_PROXY_MALFORMED");
  });

  test("a bad version or command is refused as soon as its byte arrives", () => {
    expect(codeOf(v2(0x31, 0x11, inet).subarray(0, 13))).toBe("E_PROXY_MALFORMED");
    expect(codeOf(v2(0x21, 0x41, inet).subarray(0, 14))).toBe("E_PROXY_MALFORMED");
    expect(codeOf(v2(0x21, 0x11, inet, 4).subarray(0, 16))).toBe("E_PROXY_MALFORMED"); // too short a block
  });

  test("UDP over a stream port is unsupported", () => {
    expect(codeOf(v2(0x21, 0x12, inet))).toBe("E_PROXY_UNSUPPORTED");
    expect(codeOf(v2(0x21, 0x22, new Uint8Array(36)))).toBe("E_PROXY_UNSUPPORTED");
  });

  test(`length cap: 16 + ${MAX_V2_PAYLOAD} passes, one more is refused from the 16 fixed bytes alone`, () => {
    const fill = (n: number) => tlv(0xe0, new Uint8Array(n - 12 - 3));
    const at = encodeProxyV2("192.0.2.1", 1, "192.0.2.2", 2, fill(MAX_V2_PAYLOAD));
    expect(at.length).toBe(16 + MAX_V2_PAYLOAD);
    expect(parseProxyHeader(at)).toMatchObject({ state: "done", consumed: 16 + MAX_V2_PAYLOAD });
    const over = encodeProxyV2("192.0.2.1", 1, "192.0.2.2", 2, fill(MAX_V2_PAYLOAD + 1));
    expect(codeOf(over.subarray(0, 16))).toBe("E_PROXY_UNSUPPORTED");
    expect(codeOf(v2(0x21, 0x11, inet, 0xffff).subarray(0, 16))).toBe("E_PROXY_UNSUPPORTED");
  });
});

describe("seeded fuzz", () => {
  test("mutated and random inputs only ever return or throw ProxyProtocolError", () => {
    let seed = 0x5eed;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    const seeds = [
      encodeProxyV1("192.0.2.1", 56324, "198.51.100.2", 3956),
      encodeProxyV1("2001:db8::1", 1, "::1", 2),
      text("PROXY UNKNOWN\r\n"),
      encodeProxyV2("192.0.2.1", 1, "192.0.2.2", 2, tlv(1, text("h2"))),
      encodeProxyV2("2001:db8::1", 1, "::1", 2),
      encodeProxyV2Local(new Uint8Array(8)),
    ];
    const counts = { "need-more": 0, absent: 0, done: 0, thrown: 0 };
    for (let i = 0; i < 20_000; i++) {
      let b: Uint8Array;
      if (rand(4) === 0) {
        b = Uint8Array.from({ length: rand(64) }, () => rand(256));
      } else {
        b = seeds[rand(seeds.length)]!.slice();
        for (let m = rand(4); m >= 0; m--) b[rand(b.length)] = rand(4) === 0 ? rand(256) : b[rand(b.length)]!;
        b = b.subarray(0, rand(b.length + 1));
      }
      try {
        const r = parseProxyHeader(b);
        counts[r.state]++;
        if (r.state === "done") {
          expect(r.consumed).toBeGreaterThan(0);
          expect(r.consumed).toBeLessThanOrEqual(b.length);
        }
      } catch (e) {
        expect(e).toBeInstanceOf(ProxyProtocolError);
        counts.thrown++;
      }
    }
    // Every outcome was reached, so the fuzz is not stuck in one branch.
    expect(Object.values(counts).every((n) => n > 0)).toBe(true);
  });
});
