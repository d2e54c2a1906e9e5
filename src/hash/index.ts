/**
 * The hash layer's public surface: everything outside src/hash/ imports from here.
 */
export {
  HASH_BYTES,
  HEADER_BYTES,
  MIN_INPUT_BYTES,
  PREFIX_BYTES,
  TAIL_BYTES,
  TAIL_COUNTER_OFFSET,
} from "./abi.ts";
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
