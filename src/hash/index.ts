/**
 * The hash layer's public surface: everything outside src/hash/ imports from here.
 */
export { MIN_INPUT_BYTES } from "./abi.ts";
// The sizes the Hasher API takes, defined once in protocol/layout.ts (re-exported for its callers).
export {
  HASH_BYTES,
  HASH_INPUT_BYTES,
  JOB_PREFIX_BYTES,
  NONCE_TAIL_BYTES,
  TAIL_COUNTER_OFFSET,
} from "../protocol/layout.ts";
export { Hasher, preheaderHash } from "./hasher.ts";
export { availableImpls, bestImpl, parseImpl, resolveImpl, type ImplChoice, type ImplName } from "./impl.ts";
export { runSelftest, EMBEDDED_VECTORS } from "./selftest.ts";
