import { describe, expect, test } from "bun:test";
import { isCleared } from "../../src/hash/vectors.ts";
import { minerRuleClears } from "../../src/protocol/layout.ts";
import { hexToBytes } from "../../src/util/hex.ts";
import { shared, sharedRaw } from "./shared-vectors.ts";

const header = (id: string) => hexToBytes(sharedRaw.find((v) => v.id === id)!.input_hex);

describe("classifying the shared vectors", () => {
  test("miner rule: solution version ≥ 7 with a PBaaS header clears; v5/v6 and v4 do not", () => {
    expect(minerRuleClears(header("chain-4141500"))).toBe(true); // v8
    expect(minerRuleClears(header("pbaas-valid-0"))).toBe(true); // v7
    expect(minerRuleClears(header("chain-1796401"))).toBe(false); // v6, garbage header count
    expect(minerRuleClears(header("random22-00"))).toBe(false); // v4
  });

  test("only the pre-cleared vector has its cleared fields zero", () => {
    expect(isCleared(header("pbaas-precleared"))).toBe(true);
    expect(isCleared(header("pbaas-valid-0"))).toBe(false);
  });

  test("every VerusHash 2.2 vector and every 2.2 block is covered", () => {
    const ids = new Set([...shared.vectors.map((v) => v.id), ...shared.mining.steps.map((s) => s.id)]);
    const want = sharedRaw.filter((v) => v.algo === "verushash2.2").map((v) => v.id);
    want.push("chain-1053706", "chain-1796401", "chain-2549501", "chain-4141500");
    want.push("pbaas-valid-0", "pbaas-valid-1", "pbaas-valid-2", "pbaas-mismatch");
    for (const id of want) expect(ids.has(id)).toBe(true);
  });

  test("blocks hashed by other functions are left out", () => {
    const ids = shared.vectors.map((v) => v.id);
    for (const id of ["chain-genesis", "chain-41970", "chain-380649", "chain-800205"])
      expect(ids).not.toContain(id);
  });

  test("the mismatch vector expects the miner rule's value, not the daemon's", () => {
    const raw = sharedRaw.find((v) => v.id === "pbaas-mismatch")!;
    const v = shared.vectors.find((x) => x.id === "pbaas-mismatch")!;
    expect(v.miner).toEqual({ hash: raw.miner_hash_hex!, cleared: true });
    expect(v.preheaderMatchesFirst).toBe(false);
  });

  test("the mining sequence is the 8 mining-seq vectors, in file order", () => {
    expect(shared.mining.steps.map((s) => s.id)).toEqual(
      sharedRaw.filter((v) => v.id.startsWith("mining-seq-")).map((v) => v.id),
    );
    expect(shared.mining.steps.length).toBe(8);
  });
});
