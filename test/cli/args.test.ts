import { describe, expect, test } from "bun:test";
import { parseIntFlag, parseSecondsFlag, rejectUnknownOptions } from "../../src/cli/args.ts";

const defs = {
  impl: { type: "string" },
  pbaas: { type: "boolean" },
  maxFound: { type: "string" },
  hex: { type: "positional" },
} as const;

describe("rejectUnknownOptions", () => {
  test("accepts declared options, kebab-case names, --name=value, --no-flag and positionals", () => {
    expect(() =>
      rejectUnknownOptions(["--impl", "aesni", "--pbaas", "--max-found=3", "--no-pbaas", "00ff"], defs),
    ).not.toThrow();
  });

  test("the value of a string option is not mistaken for an option", () => {
    expect(() => rejectUnknownOptions(["--impl", "-x"], defs)).not.toThrow();
  });

  test("anything else is E_UNKNOWN_OPTION", () => {
    for (const args of [["--imp", "x"], ["-p"], ["--impl=aesni", "--verbose"]]) {
      expect(() => rejectUnknownOptions(args, defs)).toThrow(
        expect.objectContaining({ code: "E_UNKNOWN_OPTION" }),
      );
    }
  });

  test("after --, everything is positional", () => {
    expect(() => rejectUnknownOptions(["--", "--whatever"], defs)).not.toThrow();
  });
});

describe("numeric flags", () => {
  test("whole numbers within bounds", () => {
    expect(parseIntFlag("threads", "4", 1, 8)).toBe(4);
    for (const bad of ["0", "9", "2.5", "", "four"]) {
      expect(() => parseIntFlag("threads", bad, 1, 8)).toThrow(expect.objectContaining({ code: "E_USAGE" }));
    }
  });

  test("seconds are positive and finite", () => {
    expect(parseSecondsFlag("seconds", "0.25")).toBe(0.25);
    for (const bad of ["0", "-1", "Infinity", "x"]) {
      expect(() => parseSecondsFlag("seconds", bad)).toThrow(expect.objectContaining({ code: "E_USAGE" }));
    }
  });
});
