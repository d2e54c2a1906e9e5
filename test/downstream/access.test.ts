import { describe, expect, test } from "bun:test";
import { isLoopback, normaliseIp, originAllowed, tokenMatches } from "../../src/downstream/access.ts";

describe("originAllowed", () => {
  test("no Origin header (a native client): allowed", () => {
    expect(originAllowed(null, "h:1", [])).toBe(true);
  });

  test("same origin by default: host[:port] equals Host, default ports folded", () => {
    expect(originAllowed("http://127.0.0.1:8080", "127.0.0.1:8080", [])).toBe(true);
    expect(originAllowed("http://127.0.0.1:8081", "127.0.0.1:8080", [])).toBe(false);
    expect(originAllowed("https://Mine.Example.org", "mine.example.org:443", [])).toBe(true);
    expect(originAllowed("http://mine.example.org", "mine.example.org", [])).toBe(true);
    expect(originAllowed("https://mine.example.org", "mine.example.org:80", [])).toBe(false);
    expect(originAllowed("http://evil.example", "mine.example.org", [])).toBe(false);
    expect(originAllowed("http://mine.example.org", null, [])).toBe(false);
  });

  test("opaque and odd origins are refused", () => {
    for (const o of ["null", "file://", "chrome-extension://abc", "not a url"])
      expect(originAllowed(o, "x", [])).toBe(false);
  });

  test('an allowlist compares scheme, host and port; "*" allows any', () => {
    const list = ["https://mine.example.org", "http://localhost:3000/"];
    expect(originAllowed("https://mine.example.org", "other", list)).toBe(true);
    expect(originAllowed("http://localhost:3000", "other", list)).toBe(true);
    expect(originAllowed("http://mine.example.org", "other", list)).toBe(false);
    expect(originAllowed("https://mine.example.org:8443", "other", list)).toBe(false);
    expect(originAllowed("https://evil.example", "x", ["*"])).toBe(true);
  });

  test("the bridge's own page is allowed with a list too; a known scheme must match", () => {
    const list = ["https://www.example.org"];
    expect(originAllowed("https://bridge.example.org", "bridge.example.org", list)).toBe(true);
    expect(originAllowed("https://www.example.org", "bridge.example.org", list)).toBe(true);
    expect(originAllowed("https://evil.example", "bridge.example.org", list)).toBe(false);
    // Behind a TLS-terminating proxy (X-Forwarded-Proto: https) or on a TLS listener.
    expect(originAllowed("https://bridge.example.org", "bridge.example.org", [], "https")).toBe(true);
    expect(originAllowed("http://bridge.example.org:443", "bridge.example.org", [], "https")).toBe(false);
    expect(originAllowed("http://bridge.example.org", "bridge.example.org", [], "https")).toBe(false);
  });
});

describe("tokens, addresses, log text", () => {
  test("tokenMatches: none configured → anyone; else exactly the token", () => {
    expect(tokenMatches(null, "")).toBe(true);
    expect(tokenMatches("t", "t")).toBe(true);
    expect(tokenMatches(null, "t")).toBe(false);
    expect(tokenMatches("", "t")).toBe(false);
    expect(tokenMatches("tt", "t")).toBe(false);
  });

  test("normaliseIp folds IPv4-mapped IPv6; isLoopback knows 127/8 and ::1", () => {
    expect(normaliseIp("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(normaliseIp("::FFFF:10.1.2.3")).toBe("10.1.2.3");
    expect(normaliseIp(undefined)).toBe("unknown");
    expect(["127.0.0.1", "127.9.8.7", "::1"].every(isLoopback)).toBe(true);
    expect(["10.0.0.1", "::2", "unknown", "1127.0.0.1"].some(isLoopback)).toBe(false);
  });
});
