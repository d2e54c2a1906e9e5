/**
 * `vbridge hash`: VerusHash 2.2 of hex inputs (arguments, or one per stdin line), one lowercase hex
 * hash per input in memory order (the vectors' `hash_hex`). `--pbaas` hashes a 1487-byte header by
 * the miner rule (spec §3.5), the rule a bridge checks shares with.
 */
import { defineCommand } from "citty";
import { HASH_INPUT_BYTES, MIN_INPUT_BYTES, Hasher, parseImpl } from "../hash/index.ts";
import { isCodedError } from "../util/errors.ts";
import { hexToBytes, bytesToHex } from "../util/hex.ts";
import { rejectUnknownOptions } from "./args.ts";
import { UsageError } from "./errors.ts";

const args = {
  impl: { type: "string", default: "auto", description: "auto | portable | aesni | armv8" },
  pbaas: {
    type: "boolean",
    default: false,
    description: "apply miner-rule PBaaS clearing (1487-byte headers)",
  },
  hex: { type: "positional", required: false, description: "inputs as hex; none: one per line from stdin" },
} as const;

export const hashCommand = defineCommand({
  meta: { name: "hash", description: "VerusHash 2.2 of hex inputs" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const hasher = Hasher.open(parseImpl(a.impl));
    const hashOne = (hex: string, where: string) =>
      bytesToHex(hashInput(hasher, decode(hex, where), a.pbaas, where));
    if (a._.length > 0) {
      // Decode every argument before printing anything: a typo fails the whole call.
      const out = a._.map((hex, i) => hashOne(hex, `input ${i + 1}`));
      console.log(out.join("\n"));
    } else {
      const lines = (await Bun.stdin.text()).split("\n");
      lines.forEach((line, i) => {
        const hex = line.trim();
        if (hex !== "") console.log(hashOne(hex, `line ${i + 1}`));
      });
    }
    hasher.close();
    return 0;
  },
});

function decode(hex: string, where: string): Uint8Array {
  try {
    return hexToBytes(hex);
  } catch (e) {
    if (isCodedError(e)) throw new UsageError("E_BAD_INPUT", `${where} (${preview(hex)}): ${e.message}`);
    throw e;
  }
}

function hashInput(hasher: Hasher, input: Uint8Array, pbaas: boolean, where: string): Uint8Array {
  if (pbaas && input.length !== HASH_INPUT_BYTES) {
    throw new UsageError(
      "E_BAD_INPUT",
      `${where}: --pbaas needs a ${HASH_INPUT_BYTES}-byte header, got ${bytes(input.length)}`,
    );
  }
  if (input.length < MIN_INPUT_BYTES) {
    throw new UsageError(
      "E_BAD_INPUT",
      `${where}: too short (${bytes(input.length)}), VerusHash 2.2 needs at least ${MIN_INPUT_BYTES} bytes`,
    );
  }
  return pbaas ? hasher.hashHeader(input).hash : hasher.hash(input);
}

function bytes(n: number): string {
  return n === 1 ? "1 byte" : `${n} bytes`;
}

function preview(hex: string): string {
  return JSON.stringify(hex.length > 16 ? `${hex.slice(0, 16)}…` : hex);
}
