// stratum-miner.ts — one native miner (ccminer 3.8.3, bloxminer, `vbridge mine`) on the bridge's
// Stratum port, as the bridge sees it: the answers to the shared Stratum server session's hooks
// (src/stratum/server-session.ts) made of core calls, and the core's MinerSink, whose work,
// verdicts and messages go back through the session. No decisions of its own (STYLE.md §2):
// difficulty, leases and verdicts are the core's.
//
// - the first subscribe or authorize opens a core session (E_BRIDGE_FULL / E_BRIDGE_CLOSING close
//   the connection when the core has no room);
// - with bridge.token set, the authorize password must be the token (else 24 and a close);
// - a submit goes to the core with its request id as the token; the verdict comes back as result();
// - no pause(): Stratum has nothing to say "no work for now" with, so the connection stays and
//   shares for dead work are answered 21 by the core;
// - a new lease: mining.set_extranonce, or client.reconnect back here (server-session.ts).

import type {
  BridgeCore,
  MinerSession,
  MinerSink,
  MinerWork,
  SessionEnd,
  ShareResult,
} from "../bridge/contract.ts";
import { bytesToHex, parseSubmit, type RpcId, type SubmitParams } from "../protocol/index.ts";
import type { StratumConnection } from "../stratum/connection.ts";
import type { AuthorizeAnswer, StratumServerHooks } from "../stratum/server-session.ts";
import { isCodedError } from "../util/errors.ts";
import type { Logger } from "../util/log.ts";
import { printable } from "../util/text.ts";
import { tokenMatches } from "./access.ts";
import { sessionEndCode } from "./errors.ts";

export interface StratumMinerContext {
  core: BridgeCore;
  token: string;
  log: Logger;
}

export class StratumMiner implements StratumServerHooks, MinerSink {
  readonly id: number;
  readonly remote: string;
  readonly #ctx: StratumMinerContext;
  /** Set right after construction: the connection and this miner refer to each other. */
  conn: StratumConnection | null = null;
  #session: MinerSession | null = null;
  /** The connection closed (possibly while core.open was still running). */
  #over = false;

  constructor(id: number, remote: string, ctx: StratumMinerContext) {
    this.id = id;
    this.remote = remote;
    this.#ctx = ctx;
  }

  /** The connection is gone: free the lease. */
  closed(): void {
    this.#over = true;
    this.#session?.close();
  }

  // ---------------------------------------------------------------------- StratumServerHooks

  hello(agent: string | null): boolean {
    return this.#open(agent);
  }

  authorize(user: string, password: string | null): AuthorizeAnswer {
    if (!tokenMatches(password, this.#ctx.token)) {
      this.#ctx.log.debug(`stratum ${this.id} wrong access token for ${printable(user)}`);
      return { ok: false, close: { code: "E_UNAUTHORIZED", detail: "access token missing or wrong" } };
    }
    if (!this.#open(null)) return { ok: false };
    const r = this.#session!.authorize(user, password ?? "");
    this.#ctx.log.debug(
      r.ok
        ? `stratum ${this.id} authorized ${printable(user)}`
        : `stratum ${this.id} refused ${printable(user)}: ${r.reason}`,
    );
    return { ok: r.ok };
  }

  submit(m: SubmitParams, id: RpcId): "later" {
    this.#session!.submit(parseSubmit(m), id); // into bytes once, here at the boundary
    return "later";
  }

  /** core.open on the first subscribe or authorize; false (and closed) when the core has no room. */
  #open(agent: string | null): boolean {
    if (this.#session !== null) return true;
    try {
      const hello = {
        transport: "stratum" as const,
        remote: this.remote,
        ...(agent === null ? {} : { agent: agent.slice(0, 64) }),
      };
      this.#session = this.#ctx.core.open(hello, this);
      if (this.#over) this.#session.close(); // ended by the core while it opened
      return !this.#over;
    } catch (e) {
      if (isCodedError(e) && (e.code === "E_BRIDGE_FULL" || e.code === "E_BRIDGE_CLOSED")) {
        this.conn!.close(e.code === "E_BRIDGE_FULL" ? "E_BRIDGE_FULL" : "E_BRIDGE_CLOSING", e.message);
        return false;
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------------- MinerSink (core)

  work(w: MinerWork): void {
    const conn = this.conn!;
    conn.run(() =>
      conn.session.work({
        notify: w.job.notify,
        jobId: w.jobId,
        clean: w.clean,
        extranonce1: bytesToHex(w.extranonce1),
        extranonce2Size: w.extranonce2Size,
        target: w.target,
      }),
    );
  }

  result(r: ShareResult): void {
    const conn = this.conn!;
    const o = r.outcome;
    conn.run(() =>
      conn.session.answer(
        r.token as RpcId,
        o.status === "accepted" ? { accepted: true } : { accepted: false, reject: o.reject },
      ),
    );
  }

  message(text: string): void {
    const conn = this.conn!;
    conn.run(() => conn.session.showMessage(text));
  }

  end(e: SessionEnd): void {
    const { code, detail } = sessionEndCode(e);
    this.conn!.close(code, detail);
  }
}
