// nginx.ts — a real nginx (Debian's package) in front of the bridge, as an operator runs it: the test
// writes the server{} blocks, the harness writes the rest of nginx.conf (everything under one
// temporary directory: pid, logs, temp files), runs the binary in the foreground, waits until every
// `listen` port listens (no probe connection reaches the backend), and stop() shuts it down and
// removes the directory.

import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBinary, loopbackEndpoint, readTail, startServer, type Endpoint } from "./processes.ts";

export interface NginxOptions {
  /** What goes inside http{}: server{} (and upstream{}, map{} …) blocks, ports already filled in. */
  conf: string;
  /** What goes inside stream{} (needs Debian's libnginx-mod-stream), if anything. */
  stream?: string;
  /** Endpoints to wait for; by default every `listen` address in `conf` and `stream`. */
  waitFor?: readonly Endpoint[];
  /** events{} worker_connections (each proxied client costs two). */
  workerConnections?: number;
}

export interface Nginx {
  readonly dir: string;
  /** nginx's error log, level info (its last MiB). */
  errorLog(): string;
  /** The access log, nginx's "combined" format (its last MiB). */
  accessLog(): string;
  /** Fast shutdown (SIGTERM), bounded; removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

// Debian builds stream{} as a dynamic module (package libnginx-mod-stream).
const STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";

function listenEndpoints(text: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const m of text.matchAll(/(?:^|[\s{;])listen\s+([^\s;]+)/g)) {
    const e = loopbackEndpoint(m[1]!);
    if (e !== null) out.push(e);
  }
  return out;
}

function mainConf(dir: string, o: NginxOptions): string {
  if (o.stream !== undefined && !existsSync(STREAM_MODULE)) {
    throw new Error(`nginx: stream{} needs ${STREAM_MODULE} (Debian package libnginx-mod-stream)`);
  }
  const isRoot = process.getuid?.() === 0;
  return [
    o.stream === undefined ? "" : `load_module ${STREAM_MODULE};`,
    "daemon off;",
    // Workers run as root when the test does: else nginx switches them to `nobody`, which cannot
    // enter the test's private temporary directory.
    isRoot ? "user root;" : "",
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    `events { worker_connections ${o.workerConnections ?? 4096}; }`,
    "http {",
    `  access_log ${dir}/access.log;`,
    // Every temporary path in our directory: Debian's defaults (/var/lib/nginx) need root.
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t};`),
    o.conf,
    "}",
    o.stream === undefined ? "" : `stream {\n${o.stream}\n}`,
    "",
  ].join("\n");
}

/** Starts nginx with `opts.conf` inside its http{} and resolves once every listen port listens. */
export async function startNginx(opts: NginxOptions): Promise<Nginx> {
  const bin = findBinary("nginx", "nginx");
  const server = await startServer("nginx", (dir) => {
    const confFile = join(dir, "nginx.conf");
    const errorLog = join(dir, "error.log");
    writeFileSync(confFile, mainConf(dir, opts));
    return {
      // -e: the log for what happens before the config is read (the build's default is stderr).
      argv: [bin, "-p", `${dir}/`, "-c", confFile, "-e", errorLog],
      endpoints: opts.waitFor ?? listenEndpoints(`${opts.conf}\n${opts.stream ?? ""}`),
      more: () => readTail(errorLog),
    };
  });
  return {
    dir: server.dir,
    errorLog: () => readTail(join(server.dir, "error.log")),
    accessLog: () => readTail(join(server.dir, "access.log")),
    stop: () => server.stop(),
  };
}
