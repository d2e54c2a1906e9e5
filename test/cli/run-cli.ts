/** Runs `bun src/main.ts ARGS` from the repository root, as a user would in development. */
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "../..");

export type CliResult = { code: number; stdout: string; stderr: string };

export async function cli(args: string[], stdin?: string): Promise<CliResult> {
  const proc = Bun.spawn([process.execPath, "src/main.ts", ...args], {
    cwd: ROOT,
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** The one line a usage error must print. */
export function oneLine(s: string): string {
  const lines = s.trimEnd().split("\n");
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}:\n${s}`);
  return lines[0]!;
}
