// hashers.ts — the native Hasher adapted to the share validator's injected hash functions
// (validate.ts ShareHashers), so that a verdict costs one VerusHash.
//
// hashHeaderInto keeps the last prepared job in the context (keyed on the cleared first 1472
// bytes), so every share of a job — from any connection, since the pool rule hashes the daemon
// nonce, which clearing zeroes anyway — reuses the absorbed prefix and key. But it applies the
// miner rule's clearing, while hash22 must hash its input as given. The two agree whenever the
// miner rule would not clear the input, or the input is already cleared (clearing is idempotent),
// which is every call validateShare makes; anything else takes the uncached raw path.

import { Hasher, preheaderHash } from "../hash/index.ts";
import { isAllZero, minerRuleClears, preHeaderOf, type ShareHashers } from "../protocol/index.ts";

export function poolHashers(hasher: Hasher): ShareHashers {
  return {
    hash22(input: Uint8Array): Uint8Array {
      const out = new Uint8Array(32);
      if (!minerRuleClears(input) || isAllZero(preHeaderOf(input))) hasher.hashHeaderInto(input, out);
      else hasher.hashInto(input, out);
      return out;
    },
    preHeaderHash: preheaderHash,
  };
}
