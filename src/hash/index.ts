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
export { HashError, type HashErrorCode } from "./errors.ts";
export { DEFAULT_MAX_FOUND, Hasher, preheaderHash, type HeaderHash } from "./hasher.ts";
export {
  availableImpls,
  bestImpl,
  IMPL_NAMES,
  parseImpl,
  resolveImpl,
  type ImplChoice,
  type ImplName,
} from "./impl.ts";
export { runSelftest, EMBEDDED_VECTORS, type SelftestResult } from "./selftest.ts";
