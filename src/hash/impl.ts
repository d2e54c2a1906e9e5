/**
 * Implementation names (spec §8; config key `impl`) and what this CPU can run.
 * The numeric ids are VH_IMPL_* of native/verushash.h: the index in IMPL_NAMES.
 */
import { HashError } from "./errors.ts";
import { IMPL_AUTO } from "./abi.ts";
import { native } from "./native.ts";

export const IMPL_NAMES = ["portable", "aesni", "armv8"] as const;
export type ImplName = (typeof IMPL_NAMES)[number];
export type ImplChoice = ImplName | "auto";

export function isImplName(s: string): s is ImplName {
  return (IMPL_NAMES as readonly string[]).includes(s);
}

/** Validates a user-supplied name; throws E_IMPL_UNKNOWN. Does not check availability. */
export function parseImpl(s: string): ImplChoice {
  if (s === "auto" || isImplName(s)) return s;
  throw new HashError(
    "E_IMPL_UNKNOWN",
    `unknown implementation ${JSON.stringify(s)} (expected auto, ${IMPL_NAMES.join(", ")})`,
  );
}

export function implId(impl: ImplChoice): number {
  return impl === "auto" ? IMPL_AUTO : IMPL_NAMES.indexOf(impl);
}

export function implName(id: number): ImplName {
  const name = IMPL_NAMES[id];
  if (name === undefined)
    throw new HashError("E_NATIVE", `libverushash returned unknown implementation id ${id}`);
  return name;
}

/** Implementations compiled in and supported by this CPU, portable first. */
export function availableImpls(): ImplName[] {
  const lib = native();
  return IMPL_NAMES.filter((_, id) => lib.vh_impl_available(id) === 1);
}

/** What "auto" resolves to here. */
export function bestImpl(): ImplName {
  return implName(native().vh_impl_best());
}

/** Throws E_IMPL_UNAVAILABLE unless `impl` can run here; returns the concrete name. */
export function resolveImpl(impl: ImplChoice): ImplName {
  if (impl === "auto") return bestImpl();
  if (native().vh_impl_available(implId(impl)) !== 1) {
    throw new HashError(
      "E_IMPL_UNAVAILABLE",
      `implementation ${impl} is not available on this CPU (available: ${availableImpls().join(", ")})`,
    );
  }
  return impl;
}
