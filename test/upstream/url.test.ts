import { describe, expect, test } from "bun:test";
import { UpstreamError } from "../../src/upstream/errors.ts";
import { isValidHost, parsePoolUrl, redirectAllowed, redirectEndpoint } from "../../src/upstream/url.ts";

function errorOf(f: () => unknown): UpstreamError {
  try {
    f();
  } catch (e) {
    if (e instanceof UpstreamError) return e;
    throw e;
  }
  throw new Error("expected an UpstreamError");
}

describe("parsePoolUrl: accepted forms", () => {
  test.each([
    [
      "stratum+tcp://na.luckpool.net:3956",
      { scheme: "stratum+tcp", host: "na.luckpool.net", port: 3956, tls: false, extranonceSubscribe: false },
    ],
    [
      "stratum+ssl://pool.example.com:443",
      { scheme: "stratum+ssl", host: "pool.example.com", port: 443, tls: true, extranonceSubscribe: false },
    ],
    [
      "stratum+tls://127.0.0.1:1",
      { scheme: "stratum+tls", host: "127.0.0.1", port: 1, tls: true, extranonceSubscribe: false },
    ],
    [
      "stratum+tcp://na.luckpool.net:3956#xnsub",
      { scheme: "stratum+tcp", host: "na.luckpool.net", port: 3956, tls: false, extranonceSubscribe: true },
    ],
    [
      "STRATUM+TCP://localhost:65535/",
      { scheme: "stratum+tcp", host: "localhost", port: 65535, tls: false, extranonceSubscribe: false },
    ],
    [
      "  stratum+tcp://[::1]:3333  ",
      { scheme: "stratum+tcp", host: "::1", port: 3333, tls: false, extranonceSubscribe: false },
    ],
  ])("%s", (url, want) => {
    expect(parsePoolUrl(url)).toMatchObject(want);
  });

  test("canonical url: lowercase scheme, brackets for IPv6, #xnsub kept", () => {
    expect(parsePoolUrl("STRATUM+TCP://localhost:3956/").url).toBe("stratum+tcp://localhost:3956");
    expect(parsePoolUrl("stratum+ssl://[2001:db8::1]:443#XNSUB").url).toBe(
      "stratum+ssl://[2001:db8::1]:443#xnsub",
    );
  });

  test("endpoints are frozen", () => {
    expect(Object.isFrozen(parsePoolUrl("stratum+tcp://a:1"))).toBe(true);
  });
});

describe("parsePoolUrl: E_POOL_URL with a message that says what is wrong", () => {
  test.each([
    ["", /empty/],
    ["na.luckpool.net:3956", /no scheme/],
    ["http://pool:80", /unsupported scheme/],
    ["stratum://pool:3333", /unsupported scheme/],
    ["stratum+tcp://pool", /no port/],
    ["stratum+tcp://pool:", /port "" is not a number/],
    ["stratum+tcp://pool:abc", /not a number/],
    ["stratum+tcp://pool:0", /not in 1\.\.65535/],
    ["stratum+tcp://pool:65536", /not in 1\.\.65535/],
    ["stratum+tcp://pool:123456", /not a number/],
    ["stratum+tcp://pool:3333/path", /path or query/],
    ["stratum+tcp://pool:3333?x=1", /path or query/],
    ["stratum+tcp://pool:3333#other", /only "#xnsub"/],
    ["stratum+tcp://bad_host!:3333", /not a valid host/],
    ["stratum+tcp://::1:3333", /IPv6 addresses must be in brackets/],
    ["stratum+tcp://[::1:3333", /unterminated IPv6/],
    ["stratum+tcp://[::1]3333", /no port/],
    ["stratum+tcp://" + "a".repeat(600) + ":1", /longer than/],
  ])("%s", (url, message) => {
    const e = errorOf(() => parsePoolUrl(url));
    expect(e.code).toBe("E_POOL_URL");
    expect(e.message).toMatch(message);
  });

  test("credentials in the URL are refused without echoing them", () => {
    const e = errorOf(() => parsePoolUrl("stratum+tcp://RAddr.worker:s3cret@pool:3333"));
    expect(e.code).toBe("E_POOL_URL");
    expect(e.message).toMatch(/credentials/);
    expect(e.message).not.toContain("s3cret");
  });
});

describe("redirects (client.reconnect)", () => {
  const base = parsePoolUrl("stratum+ssl://pool.example.com:443#xnsub");

  test("keeps scheme and #xnsub, changes host and/or port", () => {
    expect(redirectEndpoint(base, "eu.example.com", 3956).url).toBe(
      "stratum+ssl://eu.example.com:3956#xnsub",
    );
    expect(redirectEndpoint(base, null, 444).url).toBe("stratum+ssl://pool.example.com:444#xnsub");
    expect(redirectEndpoint(base, "::1", null).url).toBe("stratum+ssl://[::1]:443#xnsub");
  });

  test("isValidHost refuses URL syntax smuggled in a host", () => {
    expect(isValidHost("eu.luckpool.net")).toBe(true);
    expect(isValidHost("10.0.0.1")).toBe(true);
    expect(isValidHost("2001:db8::2")).toBe(true);
    expect(isValidHost("evil/path")).toBe(false);
    expect(isValidHost("a b")).toBe(false);
    expect(isValidHost("")).toBe(false);
  });
});

describe("redirectAllowed: the same host (any port) or a configured pool's host, nothing else", () => {
  const here = parsePoolUrl("stratum+tcp://na.luckpool.net:3956");
  const pools = [
    here,
    parsePoolUrl("stratum+tcp://eu.luckpool.net:3956"),
    parsePoolUrl("stratum+tcp://[::1]:1"),
  ];
  test.each([
    ["na.luckpool.net", true],
    ["NA.LuckPool.net.", true], // case and a trailing dot do not make another host
    ["eu.luckpool.net", true],
    ["::1", true],
    ["[::1]", true],
    ["evil.example.com", false],
    ["luckpool.net", false],
    ["127.0.0.1", false],
  ])("%s → %p", (host, ok) => {
    expect(redirectAllowed(host, here, pools)).toBe(ok);
  });
});
