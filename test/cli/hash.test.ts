import { describe, expect, test } from "bun:test";
import { availableImpls } from "../../src/hash/impl.ts";
import { sharedRaw } from "../hash/shared-vectors.ts";
import { cli, oneLine } from "./run-cli.ts";

const vector = (id: string) => sharedRaw.find((v) => v.id === id)!;
const test1234 = vector("test1234-verushash2.2");
const len32 = vector("len-2.2-32");
const v8block = vector("chain-4141500"); // v8 PBaaS block: the miner rule clears it

describe("vbridge hash", () => {
  test("prints one lowercase hex hash per argument, in order", async () => {
    const r = await cli(["hash", test1234.input_hex, len32.input_hex.toUpperCase()]);
    expect(r).toEqual({ code: 0, stdout: `${test1234.hash_hex}\n${len32.hash_hex}\n`, stderr: "" });
  });

  test("reads one input per stdin line without arguments (CRLF and blank lines tolerated)", async () => {
    const r = await cli(["hash"], `${test1234.input_hex}\r\n\n${len32.input_hex}\n`);
    expect(r).toEqual({ code: 0, stdout: `${test1234.hash_hex}\n${len32.hash_hex}\n`, stderr: "" });
  });

  test("--pbaas hashes a 1487-byte header by the miner rule", async () => {
    const r = await cli(["hash", "--pbaas", v8block.input_hex]);
    expect(r.stdout).toBe(`${v8block.hash_hex}\n`);
    // without clearing, the same bytes hash to something else entirely
    const raw = await cli(["hash", v8block.input_hex]);
    expect(raw.stdout).not.toBe(r.stdout);
  });

  test.each(availableImpls())("--impl %s gives the same hash", async (impl) => {
    const r = await cli(["hash", "--impl", impl, test1234.input_hex]);
    expect(r.stdout).toBe(`${test1234.hash_hex}\n`);
  });

  describe("usage errors: exit 2, one line naming the input and the problem, nothing on stdout", () => {
    const cases: [string, string[], string | undefined, RegExp][] = [
      [
        "bad hex",
        ["hash", test1234.input_hex, "00zz" + "00".repeat(32)],
        undefined,
        /input 2 .*not hex: "z" at character 3/,
      ],
      ["odd length", ["hash", "0".repeat(65)], undefined, /input 1 .*odd number of hex digits \(65\)/],
      ["too short", ["hash", "00".repeat(31)], undefined, /input 1: too short \(31 bytes\).*at least 32/],
      ["bad stdin line", ["hash"], `${test1234.input_hex}\nxyz\n`, /line 2 .*not hex/],
      [
        "--pbaas on a non-header",
        ["hash", "--pbaas", test1234.input_hex],
        undefined,
        /--pbaas needs a 1487-byte header, got 96 bytes/,
      ],
      [
        "unknown implementation",
        ["hash", "--impl", "sse9", test1234.input_hex],
        undefined,
        /unknown implementation "sse9"/,
      ],
      ["unknown option", ["hash", "--pbas", test1234.input_hex], undefined, /unknown option --pbas/],
    ];
    for (const [name, args, stdin, message] of cases) {
      test(name, async () => {
        const r = await cli(args, stdin);
        expect(r.code).toBe(2);
        expect(oneLine(r.stderr)).toMatch(message);
        if (stdin === undefined) expect(r.stdout).toBe("");
      });
    }
  });

  test("an implementation this CPU lacks is a usage error too", async () => {
    const missing = (["aesni", "armv8"] as const).find((i) => !availableImpls().includes(i));
    if (missing === undefined) return;
    const r = await cli(["hash", "--impl", missing, test1234.input_hex]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`${missing} is not available on this CPU`);
  });
});

describe("vbridge", () => {
  test("an unknown command: exit 2, one line", async () => {
    const r = await cli(["mine-bitcoin"]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain("Unknown command mine-bitcoin");
  });

  test("--help prints usage and exits 0", async () => {
    const r = await cli(["hash", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--pbaas");
  });
});
