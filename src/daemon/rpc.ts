// rpc.ts — a JSON-RPC 1.0 client for verusd over HTTP POST with Basic auth (verus-stratum.md §9):
// one call or a batch per request, each bounded in time (AbortSignal) and in size (the response body
// is read against a cap, so a runaway daemon or a wrong port cannot fill memory; 8 MiB holds a
// template with ~10k transactions). Every failure is a DaemonError with a stable code; the password
// lives in a private field and the Authorization header only, never in a message, detail or describe().

import { DaemonError, SYNCING_RPC_CODES } from "./errors.ts";

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** How much of an unexpected body an error quotes. */
const BODY_PREVIEW_CHARS = 200;

export interface DaemonRpcOptions {
  /** http://[user[:pass]@]host:port[/path]; credentials in the URL are used when user/pass are not given. */
  url: string;
  user?: string;
  pass?: string;
  /** Default time bound of each call (ms). */
  timeoutMs?: number;
  /** Cap on a response body (bytes). */
  maxResponseBytes?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  /** Aborting it ends the call with E_DAEMON_ABORTED (a longpoll at shutdown). */
  signal?: AbortSignal;
}

export interface RpcCall {
  method: string;
  params?: readonly unknown[];
}

/** A daemon URL taken apart: the endpoint fetch() gets (no credentials) and the credentials. */
export interface DaemonUrl {
  endpoint: string;
  host: string;
  port: number;
  path: string;
  user: string;
  pass: string;
}

// http:// ‖ optional userinfo ‖ host (name, IPv4 or [IPv6]) ‖ an explicit :port ‖ optional path.
const URL_RE = /^http:\/\/(?:([^/?#]*)@)?(\[[0-9a-f:.]+\]|[^:/?#@[\]]+):(\d{1,5})(\/[^?#]*)?$/i;

/** Validates a daemon URL: plain http, a host and an explicit port. Throws E_DAEMON_URL. */
export function parseDaemonUrl(raw: string): DaemonUrl {
  const shown = redactUrl(raw);
  if (typeof raw !== "string" || raw.trim() === "")
    throw new DaemonError("E_DAEMON_URL", "daemon URL is empty (expected http://127.0.0.1:27486)");
  const s = raw.trim();
  if (/^https:\/\//i.test(s))
    throw new DaemonError(
      "E_DAEMON_URL",
      `daemon URL ${shown}: verusd's RPC is plain http:// (tunnel it for a remote node)`,
    );
  if (!/^http:\/\//i.test(s))
    throw new DaemonError(
      "E_DAEMON_URL",
      `daemon URL ${shown} must start with http:// (e.g. http://127.0.0.1:27486)`,
    );
  const m = URL_RE.exec(s);
  if (m === null)
    throw new DaemonError(
      "E_DAEMON_URL",
      `daemon URL ${shown} is not http://host:port[/path] (the port is required; verusd's is 27486; ` +
        `percent-encode a password with / ? # or @, or give it separately)`,
    );
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new DaemonError("E_DAEMON_URL", `daemon URL ${shown}: port ${m[3]} is outside 1..65535`);
  let user = "";
  let pass = "";
  if (m[1] !== undefined) {
    const colon = m[1].indexOf(":");
    try {
      user = decodeURIComponent(colon < 0 ? m[1] : m[1].slice(0, colon));
      pass = colon < 0 ? "" : decodeURIComponent(m[1].slice(colon + 1));
    } catch {
      throw new DaemonError("E_DAEMON_URL", `daemon URL ${shown}: bad percent-encoding in the credentials`);
    }
  }
  const host = m[2]!.toLowerCase();
  const path = m[4] ?? "/";
  return { endpoint: `http://${host}:${port}${path}`, host, port, path, user, pass };
}

/** A URL for messages: whatever sits between "://" and the last "@" replaced by "***". */
export function redactUrl(raw: string): string {
  if (typeof raw !== "string") return String(raw);
  const start = raw.indexOf("://");
  const at = raw.lastIndexOf("@");
  if (start < 0 || at < start) return raw;
  return raw.slice(0, start + 3) + "***" + raw.slice(at);
}

export class DaemonRpc {
  readonly #url: DaemonUrl;
  readonly #user: string;
  /** Only ever used to build #authorization. */
  readonly #authorization: string | null;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  #nextId = 1;

  constructor(options: DaemonRpcOptions) {
    this.#url = parseDaemonUrl(options.url);
    const user = options.user ?? this.#url.user;
    const pass = options.pass ?? this.#url.pass;
    if (user.includes(":"))
      throw new DaemonError("E_DAEMON_AUTH", "daemon rpcuser must not contain ':' (HTTP Basic auth)");
    this.#user = user;
    this.#authorization =
      user === "" && pass === ""
        ? null
        : "Basic " + Buffer.from(`${user}:${pass}`, "utf8").toString("base64");
    this.#timeoutMs = checkPositive("timeoutMs", options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.#maxBytes = checkPositive(
      "maxResponseBytes",
      options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    );
  }

  /** The daemon for logs: http://user@host:port (never the password). */
  describe(): string {
    const who = this.#user === "" ? "" : `${encodeURIComponent(this.#user)}@`;
    const path = this.#url.path === "/" ? "" : this.#url.path;
    return `http://${who}${this.#url.host}:${this.#url.port}${path}`;
  }

  /** One call: its result, or a DaemonError (E_DAEMON_RPC / E_DAEMON_SYNCING for an error object). */
  async call<T = unknown>(
    method: string,
    params: readonly unknown[] = [],
    options: CallOptions = {},
  ): Promise<T> {
    const id = this.#nextId++;
    const body = await this.#post({ jsonrpc: "1.0", id, method, params }, method, options);
    if (!isObject(body)) throw malformed(method, "the response is not a JSON-RPC object");
    const outcome = readResponse(body, method);
    if (outcome instanceof DaemonError) throw outcome;
    return outcome as T;
  }

  /**
   * Several calls in one request. Whole-request failures (connect, auth, timeout, HTTP, size, a body
   * that is not a JSON array) throw; otherwise each slot holds that call's result or its DaemonError.
   * Responses are matched to calls by id (ours are unique), not by position.
   */
  async batch(calls: readonly RpcCall[], options: CallOptions = {}): Promise<unknown[]> {
    if (calls.length === 0) return [];
    const ids = calls.map(() => this.#nextId++);
    const request = calls.map((c, i) => ({
      jsonrpc: "1.0",
      id: ids[i],
      method: c.method,
      params: c.params ?? [],
    }));
    const what = `batch(${calls.map((c) => c.method).join(",")})`;
    const body = await this.#post(request, what, options);
    if (!Array.isArray(body)) throw malformed(what, "the response to a batch is not a JSON array");
    const byId = new Map<unknown, Record<string, unknown>>();
    for (const r of body) if (isObject(r) && !byId.has(r.id)) byId.set(r.id, r);
    return calls.map((c, i) => {
      const r = byId.get(ids[i]);
      return r === undefined
        ? malformed(c.method, "no response with this call's id in the batch")
        : readResponse(r, c.method);
    });
  }

  /** POSTs `payload`, returns the parsed JSON body (any status whose body is JSON-RPC). */
  async #post(payload: unknown, what: string, options: CallOptions): Promise<unknown> {
    const timeoutMs = checkPositive("timeoutMs", options.timeoutMs ?? this.#timeoutMs);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.#authorization !== null) headers.authorization = this.#authorization;
    const where = this.describe();
    let text: string;
    let status: number;
    try {
      const res = await fetch(this.#url.endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify(payload),
        signal,
        redirect: "manual",
      });
      status = res.status;
      if (status === 401 || status === 403) {
        await res.body?.cancel().catch(() => {});
        throw new DaemonError(
          "E_DAEMON_AUTH",
          `daemon ${where} refused the RPC credentials (HTTP ${status}): check rpcuser/rpcpassword`,
          { status },
        );
      }
      text = await readCapped(res, this.#maxBytes, what);
    } catch (e) {
      if (e instanceof DaemonError) throw e;
      if (options.signal?.aborted === true)
        throw new DaemonError("E_DAEMON_ABORTED", `daemon ${where}: ${what} aborted`, { method: what });
      if (timeout.aborted || (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")))
        throw new DaemonError(
          "E_DAEMON_TIMEOUT",
          `daemon ${where}: ${what} got no answer within ${timeoutMs} ms`,
          {
            method: what,
            timeoutMs,
          },
        );
      const reason =
        e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
      throw new DaemonError(
        "E_DAEMON_CONNECT",
        `daemon ${where} unreachable (${reason})`,
        { method: what },
        { cause: e },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const rpcShaped =
      Array.isArray(parsed) || (isObject(parsed) && ("result" in parsed || "error" in parsed));
    if (status < 200 || status > 299) {
      if (rpcShaped) return parsed; // bitcoind answers RPC errors with HTTP 500/404 and a JSON-RPC body
      throw new DaemonError("E_DAEMON_HTTP", `daemon ${where}: HTTP ${status} for ${what}`, {
        method: what,
        status,
        body: text.slice(0, BODY_PREVIEW_CHARS),
      });
    }
    if (parsed === undefined) throw malformed(what, "the response is not JSON", text);
    return parsed;
  }
}

/** A JSON-RPC response object → its result, or the DaemonError its error member describes. */
function readResponse(r: Record<string, unknown>, method: string): unknown {
  const err = r.error;
  if (err !== null && err !== undefined) {
    const code = isObject(err) && typeof err.code === "number" ? err.code : null;
    const message =
      isObject(err) && typeof err.message === "string"
        ? err.message
        : JSON.stringify(err).slice(0, BODY_PREVIEW_CHARS);
    // komodod/verusd: "Wallet disabled and -mineraddress not set" (getblocktemplate, RPC −32601).
    if (message.includes("mineraddress"))
      return new DaemonError(
        "E_DAEMON_NO_ADDRESS",
        `daemon cannot build a coinbase for ${method}: start verusd with -mineraddress=<address> (${message})`,
        { method, code, message },
      );
    if (code !== null && SYNCING_RPC_CODES.has(code))
      return new DaemonError("E_DAEMON_SYNCING", `daemon not ready for ${method} (${code}): ${message}`, {
        method,
        code,
        message,
      });
    return new DaemonError("E_DAEMON_RPC", `daemon ${method} failed (${code ?? "no code"}): ${message}`, {
      method,
      code,
      message,
    });
  }
  if (!("result" in r)) return malformed(method, "the response has neither result nor error");
  return r.result;
}

/** The body as text, E_DAEMON_TOO_LARGE past `limit` bytes (declared or counted while reading). */
async function readCapped(res: Response, limit: number, what: string): Promise<string> {
  const tooLarge = () =>
    new DaemonError("E_DAEMON_TOO_LARGE", `daemon response to ${what} is over the ${limit}-byte cap`, {
      method: what,
      limit,
    });
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}

function malformed(method: string, why: string, body?: string): DaemonError {
  const detail: Record<string, unknown> = { method };
  if (body !== undefined) detail.body = body.slice(0, BODY_PREVIEW_CHARS);
  return new DaemonError("E_DAEMON_MALFORMED", `daemon answer to ${method} is malformed: ${why}`, detail);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkPositive(name: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0)
    throw new RangeError(`${name} must be a positive finite number, got ${v}`);
  return v;
}
