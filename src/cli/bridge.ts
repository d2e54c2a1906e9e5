/**
 * `vbridge bridge` (and `vbridge` with mode = "bridge"): the bridge core (src/bridge/) with its
 * upstream pool session(s) — the built-in pool in this process when upstream.pools has "builtin"
 * — and the downstream servers for miners (src/downstream/: HTTP + WebSocket on bridge.port,
 * Stratum TCP on bridge.stratum_port when set). Settings: config.toml, then the seed's environment
 * (POOL_URL, POOL_USER, POOL_PASS, WS_PORT, DEBUG), then these flags. At start the open-files limit
 * is raised to its hard limit and bridge.max_connections kept below it (net/fd-limit.ts). SIGHUP
 * and changed files reload the TLS certificate (certificates.ts). SIGINT/SIGTERM: stop taking
 * shares, let the pool answer the forwarded ones (bounded), close the ledger, exit 0.
 *
 * bridge.workers > 1 (src/cluster/): this process becomes a supervisor. It claims the ports,
 * starts the built-in pool once (for "builtin"), and runs the same command N times as worker
 * processes (VBRIDGE_WORKER=i), each the bridge above with its own pool session(s) and miners on
 * the shared ports (SO_REUSEPORT); it restarts a crashed one, passes SIGHUP on, and on
 * SIGINT/SIGTERM stops them all (SIGTERM, bounded wait, SIGKILL), then exits 0.
 */
import { defineCommand } from "citty";
import {
  claimPorts,
  selfCommand,
  Supervisor,
  WorkerLink,
  workerCount,
  workerRole,
  type ClusterPlan,
  type WorkerRole,
} from "../cluster/index.ts";
import { BUILTIN_POOL, type Config } from "../config/index.ts";
import { startDownstream, type Downstream } from "../downstream/index.ts";
import { connectionBudget, openFds, raiseFdLimit } from "../net/fd-limit.ts";
import { consoleLogger, type Logger } from "../util/log.ts";
import { rejectUnknownOptions } from "./args.ts";
import { downstreamOptions, startBridgeStack, startInProcessPool } from "./compose.ts";
import { describe, loadCertificate, reloadCertificates, type CertificateFiles } from "./certificates.ts";
import { cliConfig, configArgs, configFlags } from "./config.ts";
import { untilSignal } from "./signals.ts";

const args = configArgs("bridge");

export const bridgeCommand = defineCommand({
  meta: {
    name: "bridge",
    description: "connect browser and native miners to a Stratum pool (default command)",
  },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const config = cliConfig(a.config, configFlags("bridge", a, rawArgs));
    const log = consoleLogger({ debug: config.debug });
    const role = workerRole(process.env);
    if (role !== null) return serve(workerConfig(config, role.plan), prefixed(log, role.index), role);
    const count = workerCount(config.bridge.workers);
    return count === 1 ? serve(config, log, null) : supervise(config, count, log);
  },
});

function certificateFiles(config: Readonly<Config>): CertificateFiles {
  return {
    cert: config.bridge.tls_cert,
    key: config.bridge.tls_key,
    names: { cert: "bridge.tls_cert", key: "bridge.tls_key" },
  };
}

/** The bridge itself: one process, or one worker of a supervisor (`role`). Resolves to the exit code. */
async function serve(config: Readonly<Config>, log: Logger, role: WorkerRole | null): Promise<number> {
  const files = certificateFiles(config);
  const tls = loadCertificate(files);
  if (tls !== null) log.info(`TLS certificate: ${describe(tls)}`);
  const limits = raiseFdLimit();
  const budget = connectionBudget(config.bridge.max_connections, limits, openFds());
  const orphaned = Promise.withResolvers<void>();
  let downstream: Downstream;
  const stack = startBridgeStack(config, { log, maxConnections: budget.maxConnections });
  // The ledger usable first (PostgreSQL: connected and migrated): a bad URL, a wrong password or a
  // newer schema is one line and exit 2 before any miner is taken.
  try {
    await stack.bridge.ready;
  } catch (e) {
    await stack.stop();
    throw e;
  }
  const link =
    role === null
      ? null
      : new WorkerLink({
          index: role.index,
          workers: role.plan.workers,
          numbers: () => ({
            stats: stack.bridge.stats(),
            downstream: { ...downstream.stats(), sockets: downstream.sockets() },
            health: stack.bridge.health(),
          }),
          orphaned: () => orphaned.resolve(),
        });
  try {
    const pair = tls === null ? null : { cert: tls.cert, key: tls.key };
    downstream = startDownstream(
      stack.bridge,
      {
        ...downstreamOptions(config.bridge, pair, budget.maxConnections),
        reusePort: link !== null,
        box: link,
        alerts: stack.alerts,
      },
      log,
    );
  } catch (e) {
    link?.stop();
    await stack.stop();
    throw e;
  }
  for (const w of budget.warnings) log.warn(w);
  const stopReload = reloadCertificates(
    tls === null ? null : files,
    (p) => downstream.setCertificate(p),
    log,
  );
  link?.ready();
  // The built-in pool's daemon refusing us for good (401, no mining address) ends it: exit 2.
  const daemon = stack.builtinPool?.daemon ?? null;
  const refused =
    daemon === null ? new Promise<never>(() => {}) : daemon.ready.then(() => new Promise<never>(() => {}));
  let why: string;
  try {
    why = await Promise.race([
      untilSignal(),
      orphaned.promise.then(() => "supervisor gone" as const),
      refused,
    ]);
  } catch (e) {
    link?.stop();
    stopReload();
    await downstream.stop();
    await stack.stop();
    throw e;
  }
  if (why === "supervisor gone") log.warn("the supervisor is gone: stopping");
  link?.stop();
  stopReload();
  log.info("stopping: no new miners or shares, waiting for the pool's answers");
  // Miners first (no new shares reach the core), then the core drains and its ledger closes,
  // then the in-process pool stops.
  await downstream.stop();
  await stack.stop();
  return 0;
}

/** A worker's settings: the supervisor's ports and built-in pool in place of its own. */
function workerConfig(c: Readonly<Config>, plan: ClusterPlan): Readonly<Config> {
  const pools = c.upstream.pools.map((p) => (p === BUILTIN_POOL && plan.pool !== null ? plan.pool : p));
  return {
    ...c,
    upstream: { ...c.upstream, pools },
    bridge: {
      ...c.bridge,
      port: plan.port,
      stratum_port: plan.stratumPort,
      stratum_tls_port: plan.stratumTlsPort,
    },
  };
}

/** Every line of worker i says so. */
function prefixed(log: Logger, i: number): Logger {
  const p = `worker ${i}: `;
  return {
    debug: (m, f) => log.debug(p + m, f),
    info: (m, f) => log.info(p + m, f),
    warn: (m, f) => log.warn(p + m, f),
    error: (m, f) => log.error(p + m, f),
  };
}

/** bridge.workers > 1: the supervisor. Resolves to the exit code. */
async function supervise(config: Readonly<Config>, count: number, log: Logger): Promise<number> {
  loadCertificate(certificateFiles(config)); // a bad file: one line, exit 2, before any worker
  const b = config.bridge;
  const ports = claimPorts(
    b.host,
    { port: b.port, stratumPort: b.stratum_port, stratumTlsPort: b.stratum_tls_port },
    ["port"],
  );
  const pool = startInProcessPool(config, log);
  const plan: ClusterPlan = {
    workers: count,
    ...ports,
    pool: pool === null ? null : `stratum+tcp://127.0.0.1:${pool.port}`,
    startedAt: Date.now(),
  };
  log.info(`supervisor (pid ${process.pid}): starting ${count} worker processes on ${b.host}:${ports.port}`);
  let supervisor: Supervisor;
  try {
    supervisor = await Supervisor.start({ plan, command: selfCommand(), env: process.env, log });
  } catch (e) {
    pool?.stop();
    throw e;
  }
  const onHup = () => supervisor.hup();
  process.on("SIGHUP", onHup);
  // The built-in pool's daemon refusing us for good (401, no mining address): stop, exit 2.
  const daemon = pool?.daemon ?? null;
  const refused =
    daemon === null ? new Promise<never>(() => {}) : daemon.ready.then(() => new Promise<never>(() => {}));
  let signal: string;
  try {
    signal = await Promise.race([untilSignal(), refused]);
  } catch (e) {
    await supervisor.stop();
    process.off("SIGHUP", onHup);
    pool?.stop();
    throw e;
  }
  log.info(`${signal}: stopping the worker processes`);
  const clean = await supervisor.stop();
  process.off("SIGHUP", onHup);
  pool?.stop();
  log.info(clean ? "every worker process stopped cleanly" : "a worker process did not stop cleanly");
  return clean ? 0 : 1;
}
