// `vbridge ledger report` as a user runs it (a subprocess): CSV and JSON on stdout from a SQLite
// ledger file, the ledger taken from --ledger or from the configuration file, ISO 8601 or unix-ms
// bounds; bad input is one line on stderr and exit 2, with nothing on stdout and no file created.
// Until src/main.ts registers the command, a two-line entry point in a temporary directory runs
// it through the same runCli boundary.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../../src/ledger/index.ts";
import { CSV_HEADER, type PayoutReport } from "../../src/ledger/report.ts";
import { cli, oneLine, ROOT, type CliResult } from "./run-cli.ts";

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
let dir = "";
let file = "";
let entry: string | null = null;

/** `vbridge ARGS`: src/main.ts once it has the command, else the temporary entry point. */
async function vbridge(args: string[]): Promise<CliResult> {
  if (entry === null) return cli(args);
  const proc = Bun.spawn([process.execPath, entry, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vbridge-ledger-cli-"));
  file = join(dir, "ledger.sqlite");
  if (!/ledger:\s*ledgerCommand/.test(readFileSync(join(ROOT, "src/main.ts"), "utf8"))) {
    entry = join(dir, "main.ts");
    writeFileSync(
      entry,
      `import { ledgerCommand } from ${JSON.stringify(join(ROOT, "src/cli/ledger.ts"))};\n` +
        `import { runCli } from ${JSON.stringify(join(ROOT, "src/cli/run.ts"))};\n` +
        `await runCli({ meta: { name: "vbridge" }, subCommands: { ledger: ledgerCommand } }, process.argv.slice(2));\n`,
    );
  }
  const l = Ledger.open(file, { retentionDays: 0 });
  const credits: [string, number, number][] = [
    ["RA.w1", 3, T0 + 1000],
    ["RA.w1", 1, T0 + 61 * MIN], // after the hour
    ["RB,two", 1, T0 + 30 * MIN],
  ];
  await Promise.all(
    credits.map(
      ([worker, difficulty, at], i) =>
        new Promise<void>((resolve, reject) =>
          l.credit({ worker, difficulty, at, key: new TextEncoder().encode(`k${i}`) }, (e) =>
            e === null ? resolve() : reject(e),
          ),
        ),
    ),
  );
  l.reject("RB,two", 23, T0 + 30 * MIN);
  l.poolResult("RA.w1", "accepted", T0 + 2000);
  await l.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("vbridge ledger report", () => {
  test("CSV (the default) over [from, to) with ISO 8601 bounds", async () => {
    const r = await vbridge([
      "ledger",
      "report",
      "--ledger",
      file,
      "--from",
      "2026-01-01",
      "--to",
      "2026-01-01T01:00Z",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${CSV_HEADER.join(",")}\r\nRA.w1,3,0.75,1,0,1\r\n"RB,two",1,0.25,1,1,0\r\n`);
  }, 20_000);

  test("JSON with unix-ms bounds; the ledger from the configuration file", async () => {
    const config = join(dir, "config.toml");
    writeFileSync(config, `[bridge]\nledger = ${JSON.stringify(file)}\n`);
    const r = await vbridge([
      "ledger",
      "report",
      "--config",
      config,
      "--from",
      String(T0),
      "--to",
      String(T0 + 2 * 60 * MIN),
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as PayoutReport;
    expect(report.from).toBe(T0);
    expect(report.totals).toEqual({
      workers: 2,
      creditedDifficulty: 5,
      accepted: 3,
      rejected: 1,
      poolAccepted: 1,
    });
    expect(report.workers.map((w) => [w.worker, w.creditedDifficulty, w.share])).toEqual([
      ["RA.w1", 4, 0.8],
      ["RB,two", 1, 0.2],
    ]);
  }, 20_000);

  describe("bad input: exit 2, one line, nothing on stdout", () => {
    const missing = () => join(dir, "missing.sqlite");
    const cases: [string, () => string[], RegExp][] = [
      ["no --from", () => ["--ledger", file, "--to", "2026-01-02"], /--from is required/],
      [
        "a bad time",
        () => ["--ledger", file, "--from", "yesterday", "--to", "2026-01-02"],
        /--from must be an ISO 8601/,
      ],
      [
        "from after to",
        () => ["--ledger", file, "--from", "2026-01-02", "--to", "2026-01-01"],
        /--from must be before --to/,
      ],
      [
        "a bad format",
        () => ["--ledger", file, "--from", "0", "--to", "1", "--format", "xml"],
        /--format must be csv or json/,
      ],
      ["no such file", () => ["--ledger", missing(), "--from", "0", "--to", "1"], /no ledger file at/],
      [
        "an unknown option",
        () => ["--ledger", file, "--from", "0", "--to", "1", "--csv"],
        /unknown option --csv/,
      ],
    ];
    for (const [name, args, message] of cases) {
      test(
        name,
        async () => {
          const r = await vbridge(["ledger", "report", ...args()]);
          expect(r.code).toBe(2);
          expect(r.stdout).toBe("");
          expect(oneLine(r.stderr)).toMatch(message);
        },
        20_000,
      );
    }
    test("nothing was created", () => expect(existsSync(missing())).toBe(false));
  });
});
