import { describe, expect, test } from "bun:test";
import { AddressSet } from "../../src/net/addresses.ts";
import { forwardedClient, MAX_FORWARDED_CHARS, MAX_FORWARDED_HOPS } from "../../src/net/forwarded.ts";

// Loopback proxies, a private range of internal proxies and an IPv6 one.
const trusted = new AddressSet(["127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"]);
const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;
const view = (peer: string, h: Record<string, string>) => forwardedClient(peer, trusted, headers(h));
const clientOf = (peer: string, h: Record<string, string>) => view(peer, h).client;

describe("untrusted peer: headers ignored", () => {
  test.each([
    ["203.0.113.5", { "x-forwarded-for": "1.1.1.1" }],
    ["203.0.113.5", { forwarded: "for=1.1.1.1;proto=https;host=evil.example" }],
    ["::ffff:203.0.113.5", { "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "https" }],
    ["127.0.0.2", { "x-forwarded-for": "1.1.1.1" }], // 127/8 is loopback, but only 127.0.0.1 is trusted
    ["11.0.0.1", { "x-forwarded-for": "garbage", "x-forwarded-host": "a.example" }],
  ])("peer %p", (peer, h) => {
    expect(view(peer, h)).toEqual({
      client: peer.replace("::ffff:", ""),
      proto: null,
      host: null,
      problem: null,
    });
  });

  test("an unparsable peer is 'unknown' and never trusted", () => {
    expect(view("", { "x-forwarded-for": "1.1.1.1" })).toEqual({
      client: "unknown",
      proto: null,
      host: null,
      problem: null,
    });
  });
});

describe("X-Forwarded-For from a trusted peer", () => {
  test.each([
    // [peer, X-Forwarded-For, client]
    ["127.0.0.1", "198.51.100.7", "198.51.100.7"],
    ["::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7"],
    ["::1", "2001:db8::7", "2001:db8::7"],
    ["127.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"], // mapped form normalised
    ["127.0.0.1", "2001:DB8:0:0::7", "2001:db8::7"],
    // Chains: trusted hops (CIDR too) are skipped from the right; the first untrusted one is the client.
    ["127.0.0.1", "198.51.100.7, 10.0.0.2", "198.51.100.7"],
    ["127.0.0.1", "198.51.100.7, 10.1.2.3, 10.200.0.1, fd00::5", "198.51.100.7"],
    ["10.9.9.9", "198.51.100.7,10.0.0.2,::1", "198.51.100.7"],
    // Spoofed entries left of the client are the client's own text: never used.
    ["127.0.0.1", "1.1.1.1, 127.0.0.1, 198.51.100.7, 10.0.0.2", "198.51.100.7"],
    ["127.0.0.1", "garbage, ::, 198.51.100.7", "198.51.100.7"],
    ["127.0.0.1", "10.0.0.1, 198.51.100.7", "198.51.100.7"],
    // Every hop trusted: the leftmost.
    ["127.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"],
    ["127.0.0.1", "::1", "::1"],
    // Ports.
    ["127.0.0.1", "198.51.100.7:5678", "198.51.100.7"],
    ["127.0.0.1", "[2001:db8::7]:443", "2001:db8::7"],
    ["127.0.0.1", "[2001:db8::7]", "2001:db8::7"],
    ["127.0.0.1", "198.51.100.7:0, 10.0.0.2:65535", "198.51.100.7"],
    // No or empty header: the peer itself.
    ["127.0.0.1", "", "127.0.0.1"],
    ["127.0.0.1", "  ", "127.0.0.1"],
  ])("peer %p, XFF %p → %p", (peer, xff, want) => {
    const v = view(peer, { "x-forwarded-for": xff });
    expect(v.client).toBe(want);
    expect(v.problem).toBeNull();
  });

  test("no header at all from a trusted peer: the peer", () => {
    expect(view("10.0.0.1", {})).toEqual({ client: "10.0.0.1", proto: null, host: null, problem: null });
  });

  test.each([
    // [X-Forwarded-For, client]: the walk stops at the bad hop, the nearest trusted hop to its right answers.
    ["garbage", "127.0.0.1"],
    ["198.51.100.7, garbage", "127.0.0.1"],
    ["198.51.100.7, garbage, 10.0.0.2", "10.0.0.2"],
    ["198.51.100.7, 10.0.0.3, , 10.0.0.2", "10.0.0.2"], // an empty entry
    ["198.51.100.7:99999", "127.0.0.1"], // port out of range
    ["198.51.100.7:", "127.0.0.1"],
    ["198.51.100.7:abc", "127.0.0.1"],
    ["2001:db8::7:80:1:2:3:4:5", "127.0.0.1"],
    ["[2001:db8::7]80", "127.0.0.1"],
    ["[198.51.100.7]", "127.0.0.1"],
    ["fe80::1%eth0", "127.0.0.1"],
    ['"198.51.100.7"', "127.0.0.1"], // X-Forwarded-For has no quoting
    ["_hidden", "127.0.0.1"], // obfuscation is Forwarded's, not X-Forwarded-For's
  ])("malformed XFF %p → %p + problem", (xff, want) => {
    const v = view("127.0.0.1", { "x-forwarded-for": xff });
    expect(v.client).toBe(want);
    expect(v.problem).toBe("E_FORWARDED_MALFORMED");
  });

  test("'unknown' (Squid's forwarded_for unknown) stops the walk without a problem", () => {
    expect(view("127.0.0.1", { "x-forwarded-for": "unknown" })).toMatchObject({
      client: "127.0.0.1",
      problem: null,
    });
    expect(view("127.0.0.1", { "x-forwarded-for": "1.1.1.1, unknown, 10.0.0.2" })).toMatchObject({
      client: "10.0.0.2",
      problem: null,
    });
  });

  test("caps: 4096 characters and 32 hops at the limit pass, one more is malformed", () => {
    const hops = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const allTrusted = hops(MAX_FORWARDED_HOPS).reverse().join(", "); // leftmost: 10.0.0.31
    expect(view("127.0.0.1", { "x-forwarded-for": allTrusted })).toMatchObject({
      client: `10.0.0.${MAX_FORWARDED_HOPS - 1}`,
      problem: null,
    });
    const over = ["198.51.100.7", ...hops(MAX_FORWARDED_HOPS)].join(", ");
    expect(view("127.0.0.1", { "x-forwarded-for": over })).toEqual({
      client: "127.0.0.1",
      proto: null,
      host: null,
      problem: "E_FORWARDED_MALFORMED",
    });
    const exactly32 = ["198.51.100.7", ...hops(MAX_FORWARDED_HOPS - 1)].join(", ");
    expect(clientOf("127.0.0.1", { "x-forwarded-for": exactly32 })).toBe("198.51.100.7");

    // Pad with spaces (optional whitespace) to exactly the character cap, then one more.
    const base = "198.51.100.7, 10.0.0.2";
    const pad = (n: number) => " ".repeat(n - base.length) + base;
    expect(pad(MAX_FORWARDED_CHARS).length).toBe(MAX_FORWARDED_CHARS);
    expect(view("127.0.0.1", { "x-forwarded-for": pad(MAX_FORWARDED_CHARS) })).toMatchObject({
      client: "198.51.100.7",
      problem: null,
    });
    expect(view("127.0.0.1", { "x-forwarded-for": pad(MAX_FORWARDED_CHARS + 1) })).toMatchObject({
      client: "127.0.0.1",
      problem: "E_FORWARDED_MALFORMED",
    });
  });

  test("a peer that is not trusted is not made trusted by listing itself", () => {
    expect(clientOf("198.51.100.9", { "x-forwarded-for": "10.0.0.1" })).toBe("198.51.100.9");
  });
});

describe("X-Forwarded-Proto / X-Forwarded-Host", () => {
  test.each([
    // [XFF, XFP, XFH, proto, host]
    ["198.51.100.7", "https", "bridge.example.org", "https", "bridge.example.org"],
    ["198.51.100.7", "HTTPS", "Bridge.Example.ORG:8443", "https", "bridge.example.org:8443"],
    ["198.51.100.7", "http", "[2001:db8::1]:8080", "http", "[2001:db8::1]:8080"],
    ["198.51.100.7", "wss", "192.0.2.1", null, "192.0.2.1"], // only http/https
    ["198.51.100.7", "ftp", "a b", null, null],
    ["198.51.100.7", "https", "evil.example/path", "https", null],
    ["198.51.100.7", "https", "a_b.example", "https", null],
    ["198.51.100.7", "https", "x".repeat(256), "https", null],
    ["198.51.100.7", "https", "x".repeat(255), "https", "x".repeat(255)],
    ["198.51.100.7", "https", "host:123456", "https", null],
    // Appending proxies: one value per hop; the client's hop is as far from the right as in XFF.
    ["198.51.100.7, 10.0.0.2", "https, http", "site.example, inner.lan", "https", "site.example"],
    // The client sent its own values in front: the one the trusted proxy appended is taken.
    ["198.51.100.7", "http, https", "evil.example, site.example", "https", "site.example"],
    ["198.51.100.7, 10.0.0.2", "http, https, http", "e.example, s.example, i.lan", "https", "s.example"],
    // An overwriting proxy (nginx proxy_set_header): one value, taken.
    ["198.51.100.7, 10.0.0.2", "https", "site.example", "https", "site.example"],
  ])("XFF %p, XFP %p, XFH %p → %p %p", (xff, xfp, xfh, proto, host) => {
    const v = view("127.0.0.1", {
      "x-forwarded-for": xff,
      "x-forwarded-proto": xfp,
      "x-forwarded-host": xfh,
    });
    expect(v.client).toBe("198.51.100.7");
    expect([v.proto, v.host]).toEqual([proto, host]);
  });

  test("without X-Forwarded-For, the peer's own statement counts", () => {
    expect(view("127.0.0.1", { "x-forwarded-proto": "https", "x-forwarded-host": "a.example" })).toEqual({
      client: "127.0.0.1",
      proto: "https",
      host: "a.example",
      problem: null,
    });
  });
});

describe("Forwarded (RFC 7239) from a trusted peer", () => {
  test.each([
    // [Forwarded, client, proto, host]
    ["for=198.51.100.7", "198.51.100.7", null, null],
    ["For=198.51.100.7;Proto=HTTPS;Host=Site.Example", "198.51.100.7", "https", "site.example"],
    ['for="198.51.100.7:4711"', "198.51.100.7", null, null],
    ['for="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17", null, null],
    ['for="[2001:db8:cafe::17]"', "2001:db8:cafe::17", null, null],
    ['for="[::ffff:198.51.100.7]";proto=http', "198.51.100.7", "http", null],
    ["for=[2001:db8::17]:80", "2001:db8::17", null, null], // unquoted, liberally accepted
    ['for="198.51.100.7:_port1"', "198.51.100.7", null, null], // obfuscated port
    // RFC 7239 §4 examples and chains; parameters in any order, by= ignored.
    ["for=192.0.2.43, for=198.51.100.17", "198.51.100.17", null, null],
    ["for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60", "http", null],
    [
      "for=198.51.100.7;proto=https;host=site.example, for=10.0.0.2;proto=http;host=inner",
      "198.51.100.7",
      "https",
      "site.example",
    ],
    ['proto=https;for=198.51.100.7;host="site.example:8443"', "198.51.100.7", "https", "site.example:8443"],
    ['for=1.1.1.1, for="[fd00::9]", for=198.51.100.7, for=10.0.0.2', "198.51.100.7", null, null],
    ["for=10.0.0.3, for=10.0.0.2", "10.0.0.3", null, null], // all trusted: the leftmost
    ["for=198.51.100.7;;proto=https", "198.51.100.7", "https", null], // empty pair
    // Commas and semicolons inside quoted strings do not split.
    ['for=198.51.100.7;host="a,b", for=10.0.0.2', "198.51.100.7", null, null],
    ['for=198.51.100.7;ext="x;y\\"z"', "198.51.100.7", null, null],
  ])("%p → %p %p %p", (fwd, client, proto, host) => {
    const v = view("127.0.0.1", { forwarded: fwd });
    expect([v.client, v.proto, v.host]).toEqual([client, proto, host]);
  });

  test("Forwarded wins over X-Forwarded-For", () => {
    expect(clientOf("127.0.0.1", { forwarded: "for=198.51.100.7", "x-forwarded-for": "203.0.113.1" })).toBe(
      "198.51.100.7",
    );
    expect(clientOf("127.0.0.1", { forwarded: " ", "x-forwarded-for": "203.0.113.1" })).toBe("203.0.113.1");
  });

  test.each([
    // "unknown", obfuscated identifiers and elements without for=: the proxy chose not to say.
    // The walk stops; the trusted hop to its right is the answer, and that proxy's proto/host stand.
    ["for=unknown;proto=https;host=site.example", "127.0.0.1", "https", "site.example"],
    ['for="unknown:8080"', "127.0.0.1", null, null],
    ["for=_hidden;proto=https", "127.0.0.1", "https", null],
    ["for=_SEVKISEK", "127.0.0.1", null, null],
    ['for="_gazonk:_port"', "127.0.0.1", null, null],
    ["for=198.51.100.7, for=_hidden, for=10.0.0.2", "10.0.0.2", null, null],
    ["for=198.51.100.7, proto=https;host=site.example", "127.0.0.1", "https", "site.example"],
  ])("%p → %p, no problem", (fwd, client, proto, host) => {
    expect(view("127.0.0.1", { forwarded: fwd })).toEqual({ client, proto, host, problem: null });
  });

  test.each([
    // [Forwarded, client]
    ["for=garbage", "127.0.0.1"],
    ["for=198.51.100.7;for=203.0.113.1", "127.0.0.1"], // a parameter twice
    ["for", "127.0.0.1"],
    ["for=", "127.0.0.1"],
    ['for="198.51.100.7', "127.0.0.1"], // unterminated quote
    ['for="198.51.100.7"x', "127.0.0.1"],
    ["for = 198.51.100.7", "127.0.0.1"],
    ["for=198.51.100.7:_", "127.0.0.1"], // an empty obfport
    ['for="_bad name"', "127.0.0.1"],
    ['for="[2001:db8::1"', "127.0.0.1"],
    ["for=198.51.100.7, for=10.0.0.3, for=garbage, for=10.0.0.2", "10.0.0.2"],
    ['for="a\u0001b"', "127.0.0.1"], // control character in a quoted string
  ])("malformed %p → %p + problem", (fwd, client) => {
    const v = view("127.0.0.1", { forwarded: fwd });
    expect([v.client, v.problem]).toEqual([client, "E_FORWARDED_MALFORMED"]);
  });

  test("a stray quote written by the client cannot swallow the elements our proxies appended", () => {
    // The client sent `Forwarded: for="x` and the proxy appended its element after a comma.
    expect(view("127.0.0.1", { forwarded: 'for="x, for=198.51.100.7;proto=https' })).toEqual({
      client: "198.51.100.7",
      proto: "https",
      host: null,
      problem: null,
    });
  });

  test("caps apply to Forwarded too", () => {
    const el = (i: number) => `for=10.0.${i >> 8}.${i & 255}`;
    const at = Array.from({ length: MAX_FORWARDED_HOPS }, (_, i) => el(i)).join(",");
    expect(view("127.0.0.1", { forwarded: at })).toMatchObject({ client: "10.0.0.0", problem: null });
    const over = Array.from({ length: MAX_FORWARDED_HOPS + 1 }, (_, i) => el(i)).join(",");
    expect(view("127.0.0.1", { forwarded: over })).toMatchObject({
      client: "127.0.0.1",
      problem: "E_FORWARDED_MALFORMED",
    });
    const long = `for=198.51.100.7;ext="${"x".repeat(MAX_FORWARDED_CHARS)}"`;
    expect(view("127.0.0.1", { forwarded: long })).toMatchObject({
      client: "127.0.0.1",
      problem: "E_FORWARDED_MALFORMED",
    });
  });
});
