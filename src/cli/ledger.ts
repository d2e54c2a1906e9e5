/**
 * `vbridge ledger report --from T1 --to T2 [--format csv|json] [--ledger FILE|URL] [--config FILE]`:
 * the payout report (src/ledger/report.ts) over [T1, T2) on stdout, from the SQLite file or the
 * PostgreSQL database the bridge writes (config.toml's bridge.ledger, VBRIDGE_LEDGER, or --ledger).
 * T is an ISO 8601 date or date-time (`2026-01-01`, `2026-01-01T12:00Z`) or unix milliseconds.
 * Bad input is one line on stderr and exit 2; nothing is created (a missing SQLite file is an
 * error, not a new empty ledger). docs/payouts.md says how to pay from it.
 */
import { existsSync } from "node:fs";
import { defineCommand } from "citty";
import { Ledger } from "../ledger/index.ts";
import { formatCsv, payoutReport } from "../ledger/report.ts";
import { rejectUnknownOptions } from "./args.ts";
import { cliConfig } from "./config.ts";
import { UsageError } from "./errors.ts";

const reportArgs = {
  from: { type: "string", description: "start, inclusive: ISO 8601 date/time or unix ms" },
  to: { type: "string", description: "end, exclusive: ISO 8601 date/time or unix ms" },
  format: { type: "string", default: "csv", description: "csv | json" },
  ledger: {
    type: "string",
    description: "SQLite file or postgres://user:pass@host/db (default: bridge.ledger of the configuration)",
  },
  config: { type: "string", description: "configuration file (default: ./config.toml if present)" },
} as const;

/** Unix ms from `--flag T`: digits are unix ms, else an ISO 8601 date or date-time. */
export function parseTime(flag: string, value: string | undefined): number {
  if (value === undefined || value.trim() === "") throw new UsageError("E_USAGE", `--${flag} is required`);
  const v = value.trim();
  const ms = /^\d{1,15}$/.test(v)
    ? Number(v)
    : /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(v)
      ? Date.parse(v.replace(" ", "T"))
      : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      "E_USAGE",
      `--${flag} must be an ISO 8601 date/time (2026-01-01T00:00Z) or unix ms (got ${JSON.stringify(value)})`,
    );
  }
  return ms;
}

const reportCommand = defineCommand({
  meta: {
    name: "report",
    description: "payout report: per worker credited difficulty and share over a range",
  },
  args: reportArgs,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, reportArgs);
    const from = parseTime("from", a.from);
    const to = parseTime("to", a.to);
    if (from >= to) throw new UsageError("E_USAGE", `--from must be before --to (${a.from} … ${a.to})`);
    if (a.format !== "csv" && a.format !== "json") {
      throw new UsageError("E_USAGE", `--format must be csv or json (got ${JSON.stringify(a.format)})`);
    }
    const target = a.ledger ?? cliConfig(a.config, []).bridge.ledger;
    if (target === "")
      throw new UsageError("E_USAGE", "the configured ledger is in memory: give --ledger FILE|URL");
    if (!/^postgres(ql)?:\/\//i.test(target) && !existsSync(target)) {
      throw new UsageError("E_USAGE", `no ledger file at ${target} (give --ledger FILE|URL)`);
    }
    // retentionDays 0: a report never prunes the operator's history.
    const ledger = Ledger.open(target, { retentionDays: 0 });
    try {
      await ledger.ready;
      const report = await payoutReport(ledger, from, to);
      process.stdout.write(a.format === "csv" ? formatCsv(report) : `${JSON.stringify(report, null, 2)}\n`);
    } finally {
      await ledger.close();
    }
    return 0;
  },
});

export const ledgerCommand = defineCommand({
  meta: { name: "ledger", description: "the share ledger: payout reports" },
  subCommands: { report: reportCommand },
});
