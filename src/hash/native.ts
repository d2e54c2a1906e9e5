/**
 * Loads libverushash (native/) through bun:ffi: the only module that loads it (net/fd-limit.ts uses
 * bun:ffi too, for libc's getrlimit/setrlimit).
 *
 * The library is embedded in the compiled binary (`with { type: "file" }`; scripts/build.ts maps
 * the import to the target's own build). VBRIDGE_NATIVE_LIB overrides the path for development.
 * The ABI (native/verushash.h) passes only 32-bit integers and pointers, so no BigInt conversions.
 */
import { dlopen, FFIType, type FFIFunction } from "bun:ffi";
import { ABI_VERSION } from "./abi.ts";
import { HashError } from "./errors.ts";

const { ptr, i32, u32, cstring } = FFIType;

const SYMBOLS = {
  vh_abi_version: { args: [], returns: u32 },
  vh_ctx_bytes: { args: [], returns: u32 },
  vh_impl_available: { args: [i32], returns: i32 },
  vh_impl_best: { args: [], returns: i32 },
  vh_impl_name: { args: [i32], returns: cstring },
  vh_ctx_init: { args: [ptr, i32], returns: i32 },
  vh_ctx_set_lanes: { args: [ptr, i32], returns: i32 },
  vh_hash: { args: [ptr, ptr, u32, ptr], returns: i32 },
  vh_hash_header: { args: [ptr, ptr, ptr], returns: i32 },
  vh_preheader_hash: { args: [ptr, ptr], returns: i32 },
  vh_job_prepare: { args: [ptr, ptr], returns: i32 },
  vh_job_hash: { args: [ptr, ptr, ptr], returns: i32 },
  vh_scan: { args: [ptr, ptr, u32, u32, ptr, ptr, u32], returns: i32 },
} as const;

export type NativeSymbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

/**
 * The import is dynamic only so that a missing build in development surfaces as our actionable
 * error below instead of a module-resolution failure; scripts/build.ts checks that the file exists
 * before it compiles, so a binary always carries its library.
 */
let embeddedPath: string | undefined;
try {
  embeddedPath = (await import("../../build/native/libverushash.so", { with: { type: "file" } })).default;
} catch {
  embeddedPath = undefined;
}

/** The one actionable hint, depending on where the library was supposed to come from. */
function howToFix(path: string | undefined): string {
  const pointAt = "VBRIDGE_NATIVE_LIB to a libverushash.so";
  if (process.env.VBRIDGE_NATIVE_LIB) return `unset VBRIDGE_NATIVE_LIB or point ${pointAt} that loads`;
  if (path?.startsWith("/$bunfs/")) {
    return `the copy embedded in this binary does not load here; set ${pointAt} built on this machine`;
  }
  return `run \`make native\` in the vbridge checkout, or set ${pointAt} built from native/`;
}

let loaded: NativeSymbols | undefined;

/** The library's symbols, loaded and ABI-checked on first use; throws E_NATIVE_LOAD / E_NATIVE_ABI. */
export function native(): NativeSymbols {
  if (loaded !== undefined) return loaded;
  // The override (when set and not empty), else the embedded/built copy.
  const path = process.env.VBRIDGE_NATIVE_LIB || embeddedPath;
  if (path === undefined) {
    throw new HashError("E_NATIVE_LOAD", `libverushash.so is not built: ${howToFix(path)}`);
  }
  // The version first, on its own: a library of another ABI may lack symbols of this one
  // (ABI 1 has no vh_ctx_set_lanes), and that must read as E_NATIVE_ABI, not as a failed load.
  const abi = bind(path, { vh_abi_version: SYMBOLS.vh_abi_version }).vh_abi_version();
  if (abi !== ABI_VERSION) {
    throw new HashError(
      "E_NATIVE_ABI",
      `${path} has ABI version ${abi} but this vbridge needs ${ABI_VERSION}: ${howToFix(path)}`,
    );
  }
  loaded = bind(path, SYMBOLS);
  return loaded;
}

/** dlopen(path, symbols)'s functions; E_NATIVE_LOAD if it cannot be opened or lacks one. */
function bind<S extends Record<string, FFIFunction>>(path: string, symbols: S) {
  try {
    return dlopen(path, symbols).symbols;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new HashError("E_NATIVE_LOAD", `cannot load ${path} (${reason}): ${howToFix(path)}`);
  }
}
