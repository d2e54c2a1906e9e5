// postgres.ts — a real PostgreSQL (Debian's, /usr/lib/postgresql/N/bin) for the ledger tests and the
// ledger bench: initdb into a new temporary directory, listening on 127.0.0.1 and a free port only
// (the unix socket goes into the same directory, never /var/run). PostgreSQL refuses to run as
// root, so as root every command runs as the `postgres` user (runuser) and the directory is chowned
// to it. Trust authentication on loopback, or scram-sha-256 with a password (so a test can see a
// wrong password fail). stop("immediate") is a crash as far as the server is concerned (no
// checkpoint; recovery from the WAL on the next start); start() brings it back on the same
// directory and port. Every wait is bounded and a failure carries the server's log.

import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
  appendFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, readTail } from "./processes.ts";

export interface Postgres {
  /** postgres://postgres[:password]@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The server's log (the newest part). */
  log(): string;
  /** pg_ctl stop -m MODE: "fast" (clean) or "immediate" (crash, recovery on the next start). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again on the same directory and port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it (immediate) and removes the directory. Idempotent. */
  remove(): Promise<void>;
}

export interface PostgresOptions {
  /** Require this password for the superuser `postgres` over TCP (default: trust, no password). */
  password?: string;
}

/** The newest PostgreSQL's bin directory, or a clear error naming the package. */
export function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `PostgreSQL is not installed: Debian's postgresql package (scripts/apt-deps.sh installs it)`,
    );
  }
  return join(root, versions[0]!, "bin");
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL tool (as `postgres` when we are root); bounded; throws with its output. */
async function run(argv: string[], what: string, timeoutMs: number, log: () => string): Promise<void> {
  const full = asRoot ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
  const proc = Bun.spawn(full, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  if (code !== 0) {
    const killed = proc.signalCode === "SIGKILL" ? ` (killed after ${timeoutMs} ms)` : "";
    throw new Error(
      `${what} failed${killed}, exit ${code}:\n${out.slice(-4000)}${err.slice(-4000)}\n${log()}`,
    );
  }
}

export async function startPostgres(o: PostgresOptions = {}): Promise<Postgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "vbridge-postgres-"));
  const data = join(dir, "data");
  const logFile = join(dir, "server.log");
  const log = () => `--- server log (${logFile}) ---\n${readTail(logFile, 16 * 1024)}`;
  const port = freePort();
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  let running = false;
  const pgCtl = (args: string[], what: string, timeoutMs: number) =>
    run([join(bin, "pg_ctl"), "-D", data, ...args], what, timeoutMs, log);

  const start = async () => {
    // -w: pg_ctl waits until the server accepts connections (-t seconds at most).
    await pgCtl(["-l", logFile, "-w", "-t", "30", "start"], `PostgreSQL start on 127.0.0.1:${port}`, 40_000);
    running = true;
  };
  const stop = async (mode: "fast" | "immediate" = "fast") => {
    if (!running) return;
    await pgCtl(["-m", mode, "-w", "-t", "30", "stop"], `PostgreSQL stop -m ${mode}`, 40_000);
    running = false;
  };

  try {
    const initdb = [
      join(bin, "initdb"),
      "-D",
      data,
      "-U",
      "postgres",
      "--no-sync",
      "-E",
      "UTF8",
      "--locale=C",
    ];
    if (o.password === undefined) initdb.push("--auth=trust");
    else {
      const pwfile = join(dir, "pwfile");
      writeFileSync(pwfile, `${o.password}\n`, { mode: 0o600 });
      if (asRoot) chownSync(pwfile, postgresUser().uid, postgresUser().gid);
      initdb.push("--auth-local=trust", "--auth-host=scram-sha-256", `--pwfile=${pwfile}`);
    }
    await run(initdb, "initdb", 60_000, log);
    // Loopback TCP only; the socket beside the data (not /var/run/postgresql, which may not exist).
    appendFileSync(
      join(data, "postgresql.conf"),
      [
        "",
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        "max_connections = 50",
        "logging_collector = off",
        "",
      ].join("\n"),
    );
    await start();
  } catch (e) {
    await stop("immediate").catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const auth = o.password === undefined ? "postgres" : `postgres:${encodeURIComponent(o.password)}`;
  let removed: Promise<void> | undefined;
  return {
    url: `postgres://${auth}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    log,
    stop,
    start,
    remove: () =>
      (removed ??= (async () => {
        await stop("immediate").catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

function postgresUser(): { uid: number; gid: number } {
  const line = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
  const gline = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
  const uid = Number(line);
  const gid = Number(gline);
  if (line === "" || !Number.isInteger(uid)) {
    throw new Error(
      "running as root, but there is no `postgres` user to run PostgreSQL as (the postgresql package creates it)",
    );
  }
  return { uid, gid };
}
