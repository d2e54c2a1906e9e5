// deploy-snippets.ts — the configuration snippets of docs/deploy.md as the tests run them: each one is
// the fenced block right after a `<!-- snippet: NAME -->` marker, and the test swaps the reader's
// placeholders (ports 443/8080/3333/3334, the Let's Encrypt paths) for its own values. A placeholder
// that is not in the block is an error, so the doc cannot drift away from what the tests run.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../../src/config/index.ts";
import { loadConfig } from "../../src/config/index.ts";
import { ROOT } from "./stack.ts";

export const DEPLOY_DOC = join(ROOT, "docs/deploy.md");

/** The fenced block after `<!-- snippet: name -->` (exactly one such marker). */
export function snippet(name: string): string {
  const text = readFileSync(DEPLOY_DOC, "utf8");
  const marker = `<!-- snippet: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0 || text.indexOf(marker, at + 1) >= 0) throw new Error(`docs/deploy.md: expected one ${marker}`);
  const m = /^\s*```[^\n]*\n([\s\S]*?)\n```/.exec(text.slice(at + marker.length));
  if (m === null) throw new Error(`docs/deploy.md: no fenced block right after ${marker}`);
  return m[1]!;
}

/** `text` with each [placeholder, value] replaced (every occurrence); each placeholder must occur. */
export function substitute(
  name: string,
  text: string,
  pairs: readonly (readonly [string, string])[],
): string {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`docs/deploy.md snippet ${name}: no "${from}" to replace`);
    out = out.split(from).join(to);
  }
  return out;
}

/** A snippet with its placeholders replaced. */
export function filled(name: string, pairs: readonly (readonly [string, string])[]): string {
  return substitute(name, snippet(name), pairs);
}

/** TOML text read by the real config loader (unknown keys and bad values throw, as at start). */
export function loadTomlText(text: string): Readonly<Config> {
  const dir = mkdtempSync(join(tmpdir(), "vbridge-snippet-"));
  try {
    const file = join(dir, "snippet.toml");
    writeFileSync(file, text);
    return loadConfig({ file, env: {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A TOML snippet read by the real config loader. */
export function snippetConfig(name: string): Readonly<Config> {
  return loadTomlText(snippet(name));
}

/** Every ```toml block of the doc, marked or not (each must load as it stands). */
export function tomlBlocks(): string[] {
  const text = readFileSync(DEPLOY_DOC, "utf8");
  return [...text.matchAll(/^ *```toml\n([\s\S]*?)\n *```/gm)].map((m) => m[1]!.replace(/^ +/gm, ""));
}
