// params.ts — small readers for positional Stratum params. Each throws E_BAD_PARAMS naming the
// method and the position, so a typed decoder reads as a list of field rules.

import { ProtocolError } from "./errors.ts";
import { isHex } from "./hex.ts";

/** Extranonce1 as pools send it: 1..31 bytes of hex (4 in v-nomp, 3 in Miningcore, 6 behind verusProxy). */
export const EXTRANONCE1_HEX = { minChars: 2, maxChars: 62 } as const;

export function badParams(method: string, index: number | null, why: string): ProtocolError {
  return new ProtocolError("E_BAD_PARAMS", `${method}${index === null ? "" : ` param ${index}`}: ${why}`, {
    method,
    index,
  });
}

export function expectCount(method: string, params: unknown[], min: number, max = Infinity): void {
  if (params.length < min || params.length > max) {
    const want = max === min ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw badParams(method, null, `expected ${want} params, got ${params.length}`);
  }
}

export function readString(method: string, params: unknown[], i: number, maxLength = Infinity): string {
  const v = params[i];
  if (typeof v !== "string") throw badParams(method, i, "must be a string");
  if (v.length > maxLength) throw badParams(method, i, `longer than ${maxLength} characters`);
  return v;
}

export function readOptionalString(
  method: string,
  params: unknown[],
  i: number,
  maxLength = Infinity,
): string | null {
  const v = params[i];
  if (v === undefined || v === null) return null;
  return readString(method, params, i, maxLength);
}

/**
 * A hex string, returned lowercase. `hexChars` fixes the exact length; otherwise any even length
 * from `minChars` to `maxChars`.
 */
export function readHex(
  method: string,
  params: unknown[],
  i: number,
  len: { hexChars: number } | { minChars: number; maxChars: number },
): string {
  const v = readString(method, params, i);
  if ("hexChars" in len) {
    if (v.length !== len.hexChars)
      throw badParams(method, i, `must be ${len.hexChars} hex digits, got ${v.length}`);
  } else if (v.length < len.minChars || v.length > len.maxChars) {
    throw badParams(method, i, `must be ${len.minChars} to ${len.maxChars} hex digits, got ${v.length}`);
  }
  if (!isHex(v)) throw badParams(method, i, "must be hex");
  return v.toLowerCase();
}

/** A TCP port given as a number or a decimal string (ccminer accepts both; nheqminer sends strings). */
export function readPort(method: string, params: unknown[], i: number): number | null {
  const v = params[i];
  if (v === undefined || v === null || v === "") return null;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw badParams(method, i, "must be a port number 1..65535");
  return n;
}

/** A non-negative finite number, also accepted as a decimal string. */
export function readNumber(method: string, params: unknown[], i: number): number {
  const v = params[i];
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) throw badParams(method, i, "must be a finite number >= 0");
  return n;
}

/** An integer in [min, max], also accepted as a decimal string. */
export function readInteger(method: string, params: unknown[], i: number, min: number, max: number): number {
  const n = readNumber(method, params, i);
  if (!Number.isInteger(n) || n < min || n > max)
    throw badParams(method, i, `must be an integer ${min}..${max}`);
  return n;
}
