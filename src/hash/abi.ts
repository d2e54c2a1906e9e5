/**
 * Constants of native/verushash.h, mirrored for TypeScript. Keep in step with the header; the
 * loader refuses a library whose vh_abi_version() differs from ABI_VERSION.
 */

export const ABI_VERSION = 1;

/** Sizes of a Verus block header (spec §1). */
export const HEADER_BYTES = 1487; // 140 header + fd4005 + 1344 solution
export const PREFIX_BYTES = 1472; // absorbed once per job: 46 full 32-byte chunks
export const TAIL_BYTES = 15; // the nonce space: input bytes 1472..1486
export const TAIL_COUNTER_OFFSET = 11; // vh_scan writes its uint32 LE counter at tail[11..14]
export const HASH_BYTES = 32;
export const MIN_INPUT_BYTES = 32; // VerusHash 2.x is undefined below this (spec §9 pitfall 7)

/** VH_IMPL_AUTO; the concrete ids are the indices of IMPL_NAMES in impl.ts. */
export const IMPL_AUTO = -1;

/** Negative return values of the C functions (VH_ERR_*). */
export const VH_ERR = { ARG: -1, IMPL: -2, SHORT: -3, NO_JOB: -4, CTX: -5 } as const;
