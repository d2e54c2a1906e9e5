/**
 * Constants of native/verushash.h, mirrored for TypeScript. Keep in step with the header; the
 * loader refuses a library whose vh_abi_version() differs from ABI_VERSION.
 */

export const ABI_VERSION = 2;

/** VH_LANES_MAX: the most nonces one vh_scan hashes at once (vh_ctx_set_lanes; 0 = the fastest). */
export const LANES_MAX = 4;

/** VerusHash 2.x is undefined below this many input bytes (spec §9 pitfall 7). Sizes of the
 * 1487-byte header the other functions take are protocol/layout.ts's. */
export const MIN_INPUT_BYTES = 32;

/** VH_IMPL_AUTO; the concrete ids are the indices of IMPL_NAMES in impl.ts. */
export const IMPL_AUTO = -1;

/** Negative return values of the C functions (VH_ERR_*). */
export const VH_ERR = { ARG: -1, IMPL: -2, SHORT: -3, NO_JOB: -4, CTX: -5 } as const;
