import { describe, expect, test } from "bun:test";
import {
  AddressError,
  AddressSet,
  formatIp,
  isLoopback,
  normaliseIp,
  parseIp,
} from "../../src/net/addresses.ts";

function codeOf(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
    return e.code;
  }
}

describe("normaliseIp", () => {
  test.each([
    ["1.2.3.4", "1.2.3.4"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:1.2.3.4", "1.2.3.4"],
    ["::ffff:102:304", "1.2.3.4"], // the same mapped address in hex
    ["[::ffff:1.2.3.4]", "1.2.3.4"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // RFC 5952 §4.2.3: the first of equal runs
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // §4.2.2: a single zero group stays
    ["2001:0db8::0001", "2001:db8::1"], // §4.1: leading zeros dropped
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"], // §4.2.3: the longest run
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["[::1]", "::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["[fe80::1%25eth0]", "fe80::1"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ])("%p → %p", (input, want) => {
    expect(normaliseIp(input)).toBe(want);
    expect(normaliseIp(want)).toBe(want); // canonical text is a fixed point
  });

  test.each([
    null,
    undefined,
    "",
    "unknown",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4", // octal or decimal? neither
    "1.2.3.4 ",
    "1.2.3.4:80",
    "[1.2.3.4]",
    ":::1",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "12345::1",
    "g::1",
    "::1]",
    "[::1",
    "::ffff:1.2.3.256",
    "fe80::1%",
    "fe80::1%a b",
    "x".repeat(100),
  ])("%p → unknown", (input) => {
    expect(normaliseIp(input)).toBe("unknown");
  });
});

describe("parseIp / formatIp", () => {
  test("4 bytes for IPv4, 16 for IPv6, null for anything else", () => {
    expect(parseIp("10.0.0.1")).toEqual(Uint8Array.of(10, 0, 0, 1));
    expect(parseIp("::1")?.length).toBe(16);
    expect(parseIp("[2001:db8::1]")?.[1]).toBe(0x01);
    expect(parseIp("example.org")).toBeNull();
  });

  test("round trip over seeded random addresses", () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let n = 0; n < 500; n++) {
      const b = new Uint8Array(16).map(() => (next() < 96 ? 0 : next()));
      const text = formatIp(b);
      const back = parseIp(text)!;
      expect(formatIp(back)).toBe(text);
      if (back.length === 16) expect(back).toEqual(b);
    }
  });
});

describe("isLoopback", () => {
  test.each([
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["128.0.0.1", false],
    ["::2", false],
    ["::", false],
    ["::127.0.0.1", false], // IPv4-compatible, not mapped: not loopback
    ["10.0.0.1", false],
    ["localhost", false],
    ["", false],
  ])("%p → %p", (ip, want) => {
    expect(isLoopback(ip)).toBe(want);
  });
});

describe("AddressSet", () => {
  const set = new AddressSet(["127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8", "192.168.1.0/24"]);

  test.each([
    ["127.0.0.1", true],
    ["::ffff:127.0.0.1", true], // an IPv4 entry matches its mapped form
    ["127.0.0.2", false],
    ["::1", true],
    ["[::1]", true],
    ["10.0.0.0", true],
    ["10.255.255.255", true],
    ["::ffff:10.1.2.3", true],
    ["11.0.0.0", false],
    ["9.255.255.255", false],
    ["fd12:3456::1", true],
    ["fe00::1", false],
    ["192.168.1.77", true],
    ["192.168.2.1", false],
    ["::a00:1", false], // IPv4-compatible ::10.0.0.1 is not 10.0.0.1
    ["unknown", false],
    ["", false],
    ["10.0.0.1:80", false],
  ])("has(%p) = %p", (ip, want) => {
    expect(set.has(ip)).toBe(want);
  });

  test("size counts distinct entries; entries() are canonical", () => {
    expect(set.size).toBe(5);
    const dup = new AddressSet(["10.0.0.0/8", " 10.0.0.0/8 ", "::ffff:10.0.0.0/104", "::1", "0:0::1/128"]);
    expect(dup.size).toBe(2);
    expect(dup.entries()).toEqual(["10.0.0.0/8", "::1/128"]);
    expect(new AddressSet([]).size).toBe(0);
    expect(new AddressSet([]).has("127.0.0.1")).toBe(false);
  });

  test("/0, /32, /128 and mapped blocks", () => {
    const v4all = new AddressSet(["0.0.0.0/0"]);
    expect(v4all.has("1.2.3.4")).toBe(true);
    expect(v4all.has("::ffff:255.255.255.255")).toBe(true);
    expect(v4all.has("::1")).toBe(false); // all of IPv4, none of IPv6

    // ::/0 covers every IPv6 address, and an IPv4 address is ::ffff:a.b.c.d in that space.
    const all = new AddressSet(["::/0"]);
    expect(all.has("2001:db8::1")).toBe(true);
    expect(all.has("1.2.3.4")).toBe(true);

    const one = new AddressSet(["203.0.113.9/32", "2001:db8::9/128"]);
    expect(one.has("203.0.113.9")).toBe(true);
    expect(one.has("203.0.113.8")).toBe(false);
    expect(one.has("2001:db8::9")).toBe(true);
    expect(one.has("2001:db8::8")).toBe(false);

    const mapped = new AddressSet(["::ffff:192.0.2.0/120"]);
    expect(mapped.has("192.0.2.200")).toBe(true);
    expect(mapped.has("192.0.3.1")).toBe(false);

    const odd = new AddressSet(["10.128.0.0/9", "2001:db8:8000::/33"]);
    expect(odd.has("10.200.0.1")).toBe(true);
    expect(odd.has("10.127.255.255")).toBe(false);
    expect(odd.has("2001:db8:ffff::1")).toBe(true);
    expect(odd.has("2001:db8:7fff::1")).toBe(false);
  });

  test.each([
    [""],
    ["localhost"],
    ["10.0.0.0/"],
    ["10.0.0.0/33"],
    ["::/129"],
    ["10.0.0.0/08"],
    ["10.0.0.0/-1"],
    ["10.0.0.0/8/8"],
    ["10.0.0.1/8"],
    ["fd00::1/8"],
    ["0.0.0.1/0"],
    ["fe80::1%eth0"],
    ["1.2.3.4:80"],
    ["10.0.0.0/ 8"],
  ])("bad entry %p → E_BAD_ADDRESS", (entry) => {
    expect(codeOf(() => new AddressSet(["127.0.0.1", entry]))).toBe("E_BAD_ADDRESS");
  });

  test("the message names the entry; host bits suggest the network", () => {
    try {
      new AddressSet(["10.0.0.1/8"]);
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(AddressError);
      const err = e as AddressError;
      expect(err.message).toContain('"10.0.0.1/8"');
      expect(err.message).toContain("10.0.0.0/8");
      expect(err.usage).toBe(true); // a configuration mistake: exit 2
    }
  });
});
