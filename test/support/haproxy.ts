// haproxy.ts — a real HAProxy (Debian's package) in front of the bridge's Stratum port, as an operator
// runs it with `send-proxy` / `send-proxy-v2`: the test writes the frontend/backend (or listen)
// sections, the harness writes global and defaults (TCP mode, bounded timeouts, logs to stderr so the
// test can read them), runs `haproxy -db` in the foreground, waits until every `bind` port listens,
// and stop() shuts it down and removes the temporary directory.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBinary, loopbackEndpoint, startServer, type Endpoint } from "./processes.ts";

export interface HaproxyOptions {
  /** frontend/backend/listen sections, ports already filled in (defaults: mode tcp, see below). */
  conf: string;
  /** Endpoints to wait for; by default every `bind` address in `conf`. */
  waitFor?: readonly Endpoint[];
  /** global maxconn (HAProxy's own cap on concurrent connections). */
  maxconn?: number;
}

export interface Haproxy {
  readonly dir: string;
  /** HAProxy's log lines and messages so far (stderr; one line per connection in TCP mode, capped). */
  log(): string;
  /** Hard stop (SIGTERM), bounded; removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

function bindEndpoints(text: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const m of text.matchAll(/^\s*bind\s+(\S+)/gm)) {
    const e = loopbackEndpoint(m[1]!);
    if (e !== null) out.push(e);
  }
  return out;
}

function mainConf(o: HaproxyOptions): string {
  return `global
  log stderr format raw local0 info
  maxconn ${o.maxconn ?? 4096}

defaults
  mode tcp
  log global
  option tcplog
  # Bounded, and long enough for a test's idle miners: a timeout here must never be what a test sees.
  timeout connect 5s
  timeout client 120s
  timeout server 120s

${o.conf}
`;
}

/** Starts HAProxy with `opts.conf` after its global/defaults and resolves once every bind port listens. */
export async function startHaproxy(opts: HaproxyOptions): Promise<Haproxy> {
  const bin = findBinary("haproxy", "haproxy");
  const server = await startServer("haproxy", (dir) => {
    const confFile = join(dir, "haproxy.cfg");
    writeFileSync(confFile, mainConf(opts));
    // -db: foreground, no daemon; the config is checked before it binds, and errors go to stderr.
    return { argv: [bin, "-db", "-f", confFile], endpoints: opts.waitFor ?? bindEndpoints(opts.conf) };
  });
  return { dir: server.dir, log: () => server.output(), stop: () => server.stop() };
}
