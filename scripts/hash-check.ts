/**
 * Checks a vbridge executable's `hash` command against the shared vectors: every plain
 * VerusHash 2.2 expectation through `hash`, every miner-rule one through `hash --pbaas`, inputs fed
 * on stdin. Used by `make test` on the dist binaries (arm64 under qemu, x64 alone in a temp dir).
 *
 *   bun scripts/hash-check.ts [--impl NAME] [--] COMMAND [ARGS...]
 */
import { classify, type SharedVector } from "../src/hash/vectors.ts";
import { JOB_PREFIX_BYTES } from "../src/protocol/layout.ts";
import { SHARED_VECTORS } from "./gen-selftest-vectors.ts";

type Case = { id: string; input: string; hash: string };

function cases(shared: SharedVector[]): { raw: Case[]; pbaas: Case[] } {
  const set = classify(shared, SHARED_VECTORS);
  const raw: Case[] = [];
  const pbaas: Case[] = [];
  for (const v of set.vectors) {
    if (v.raw !== undefined) raw.push({ id: v.id, input: v.input, hash: v.raw });
    if (v.canonical !== undefined)
      raw.push({ id: `${v.id} canonical`, input: v.canonical.input, hash: v.canonical.hash });
    if (v.miner !== undefined) pbaas.push({ id: v.id, input: v.input, hash: v.miner.hash });
  }
  const prefix = set.mining.job.slice(0, JOB_PREFIX_BYTES * 2);
  for (const s of set.mining.steps) raw.push({ id: s.id, input: prefix + s.tail, hash: s.hash });
  return { raw, pbaas };
}

/** Runs `command hash [flags]` with one input per stdin line; returns the mismatches. */
async function run(command: string[], flags: string[], list: Case[]): Promise<string[]> {
  const proc = Bun.spawn([...command, "hash", ...flags], {
    stdin: new TextEncoder().encode(list.map((c) => c.input).join("\n") + "\n"),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) return [`${[...command, "hash", ...flags].join(" ")} exited ${code}: ${err.trim()}`];
  const got = out.trimEnd().split("\n");
  const bad = list.flatMap((c, i) =>
    got[i] === c.hash
      ? []
      : [`${c.id}${flags.includes("--pbaas") ? " --pbaas" : ""}: got ${got[i]}, want ${c.hash}`],
  );
  if (got.length !== list.length) bad.push(`${got.length} output lines for ${list.length} inputs`);
  return bad;
}

const argv = process.argv.slice(2);
const opts = argv[0] === "--impl" ? argv.splice(0, 2) : [];
if (argv[0] === "--") argv.shift();
const command = argv;
if (command.length === 0 || opts.length === 1) {
  console.error("usage: bun scripts/hash-check.ts [--impl NAME] [--] COMMAND [ARGS...]");
  process.exit(2);
}
const { raw, pbaas } = cases((await Bun.file(SHARED_VECTORS).json()) as SharedVector[]);
const bad = [...(await run(command, opts, raw)), ...(await run(command, [...opts, "--pbaas"], pbaas))];
for (const b of bad) console.log(`  MISMATCH ${b}`);
const label = opts.join(" ") || "(auto)";
console.log(
  `hash-check ${label}: ${raw.length} raw + ${pbaas.length} --pbaas inputs, ${bad.length} mismatches`,
);
process.exit(bad.length === 0 ? 0 : 1);
