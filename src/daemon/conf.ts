// conf.ts — the daemon's RPC endpoint and credentials from its own VRSC.conf, which is how operators
// point pools at their node (rpcuser, rpcpassword, rpcport; rpcconnect/rpcbind for the host). The
// format is verusd's (boost program_options / bitcoind): key=value lines, '#' starts a comment
// anywhere on a line, [section] lines start sections whose keys verusd reads only on other networks
// (ignored here), and the first occurrence of a key wins. Errors never contain the password.

import { readFileSync } from "node:fs";
import { DaemonError } from "./errors.ts";

/** VRSC mainnet's RPC port (verusd's default when rpcport is absent). */
export const DEFAULT_RPC_PORT = 27486;
export const DEFAULT_RPC_HOST = "127.0.0.1";
/** A VRSC.conf is a few hundred bytes; anything this large is not one. */
const MAX_CONF_BYTES = 1024 * 1024;

export interface DaemonConf {
  /** http://host:port, ready for DaemonRpc (no credentials in it). */
  url: string;
  user: string;
  pass: string;
}

/** Reads `path` (VRSC.conf). E_DAEMON_CONF if it cannot be read or lacks rpcuser/rpcpassword. */
export function readDaemonConf(path: string): DaemonConf {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_CONF_BYTES)
      throw new DaemonError(
        "E_DAEMON_CONF",
        `daemon conf ${path} is over ${MAX_CONF_BYTES} bytes: not a VRSC.conf`,
        { path },
      );
    text = bytes.toString("utf8");
  } catch (e) {
    if (e instanceof DaemonError) throw e;
    const why = (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e));
    throw new DaemonError(
      "E_DAEMON_CONF",
      `cannot read daemon conf ${path} (${why})`,
      { path },
      { cause: e },
    );
  }
  return parseDaemonConf(text, path);
}

/** The same from the file's text (`path` only names it in errors). */
export function parseDaemonConf(text: string, path = "VRSC.conf"): DaemonConf {
  const keys = readKeys(text);
  const user = keys.get("rpcuser");
  const pass = keys.get("rpcpassword");
  if (user === undefined || user === "")
    throw new DaemonError("E_DAEMON_CONF", `daemon conf ${path} has no rpcuser`, {
      path,
      missing: "rpcuser",
    });
  if (pass === undefined || pass === "")
    throw new DaemonError("E_DAEMON_CONF", `daemon conf ${path} has no rpcpassword`, {
      path,
      missing: "rpcpassword",
    });
  const portText = keys.get("rpcport");
  let port = DEFAULT_RPC_PORT;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535))
      throw new DaemonError(
        "E_DAEMON_CONF",
        `daemon conf ${path}: rpcport ${JSON.stringify(portText)} is not a port`,
        {
          path,
          field: "rpcport",
        },
      );
  }
  const host = hostOf(keys.get("rpcconnect")) ?? hostOf(keys.get("rpcbind")) ?? DEFAULT_RPC_HOST;
  return { url: `http://${host}:${port}`, user, pass };
}

/** key → value of the lines before the first [section]; first occurrence wins. */
function readKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const hash = raw.indexOf("#");
    const line = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (line === "") continue;
    if (line.startsWith("[")) break; // network sections (e.g. [test]) are not the mainnet daemon's
    const eq = line.indexOf("=");
    if (eq <= 0) continue; // a bare flag ("server") carries nothing we need
    const key = line.slice(0, eq).trim().toLowerCase();
    if (!keys.has(key)) keys.set(key, line.slice(eq + 1).trim());
  }
  return keys;
}

/** A host to connect to from rpcconnect/rpcbind: any-address binds mean loopback; a port is dropped. */
function hostOf(v: string | undefined): string | undefined {
  if (v === undefined || v === "") return undefined;
  let host = v;
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracket !== null) host = bracket[1]!;
  else if (/^[^:]+:\d+$/.test(v)) host = v.slice(0, v.indexOf(":"));
  if (host === "0.0.0.0" || host === "::") return undefined;
  return host.includes(":") ? `[${host}]` : host;
}
