// blocks.ts — a share that met the block target, from the pool's answer on it to one ledger row,
// one event and one line to the miner who found it. What the block became is the pool's to say:
// the built-in pool mining on a daemon tells its finder with client.show_message "block found at
// height H: HASH (RESULT)" once the daemon answered (src/pool/server.ts); that message settles the
// candidate with the height and the daemon's verdict, and goes to the finding miner only. Another
// pool says nothing of the kind: after VERDICT_WAIT_MS the candidate is settled with what is known
// (no height, the pool's answer on the share).

import type { Ledger, PoolResultKind } from "../ledger/index.ts";
import type { Logger } from "../util/log.ts";
import type { EventSink } from "./contract.ts";

/** How long a candidate waits for its pool's word on the block. */
export const VERDICT_WAIT_MS = 30_000;
/** Candidates waiting at once (each is a found block: a handful at most). */
const MAX_PENDING = 64;
const POOL_SAYS = /^block found at height (\d+): ([0-9a-f]{64}) \((.{1,200})\)$/;

export interface BlockContext {
  ledger: Ledger;
  events: EventSink;
  log: Logger;
  now(): number;
  stats: { block(accepted: boolean): void };
  /** Tell one miner session (by id) a line, if it is still there. */
  tell(session: number, text: string): void;
}

interface Pending {
  worker: string;
  session: number;
  poolAnswer: PoolResultKind;
  timer: ReturnType<typeof setTimeout>;
}

export class BlockCandidates {
  readonly #ctx: BlockContext;
  readonly #tag: string;
  readonly #pending = new Map<string, Pending>();

  readonly #waitMs: number;

  constructor(ctx: BlockContext, tag: string, waitMs = VERDICT_WAIT_MS) {
    this.#ctx = ctx;
    this.#tag = tag;
    this.#waitMs = waitMs;
  }

  /** The pool answered a forwarded share that met the block target. */
  candidate(hash: string, worker: string, session: number, poolAnswer: PoolResultKind): void {
    this.#ctx.log.info(`${this.#tag} BLOCK candidate ${hash} of ${worker}: pool says ${poolAnswer}`);
    if (this.#pending.size >= MAX_PENDING) this.#settle(this.#pending.keys().next().value!, null, poolAnswer);
    const timer = setTimeout(() => this.#settle(hash, null, poolAnswer), this.#waitMs);
    timer.unref?.();
    this.#pending.set(hash, { worker, session, poolAnswer, timer });
  }

  /** A pool message: true when it was the word on one of our candidates (not for every miner). */
  poolSays(text: string): boolean {
    const m = POOL_SAYS.exec(text);
    if (m === null || !this.#pending.has(m[2]!)) return false;
    this.#settle(m[2]!, Number(m[1]), m[3]!);
    return true;
  }

  /** Settle what still waits (the bridge stopping). */
  flush(): void {
    for (const [hash, p] of [...this.#pending]) this.#settle(hash, null, p.poolAnswer);
  }

  #settle(hash: string, height: number | null, result: string): void {
    const p = this.#pending.get(hash);
    if (p === undefined) return;
    this.#pending.delete(hash);
    clearTimeout(p.timer);
    const at = this.#ctx.now();
    this.#ctx.ledger.block({ at, worker: p.worker, height, hash, result });
    this.#ctx.stats.block(result === "accepted" || result === "pbaas");
    this.#ctx.events.publish({ type: "block", at, worker: p.worker, height, hash, result });
    const where = height === null ? "" : ` at height ${height}`;
    this.#ctx.log.info(`${this.#tag} BLOCK ${hash}${where} of ${p.worker}: ${result}`);
    this.#ctx.tell(p.session, `block found${where}: ${hash} (${result})`);
  }
}
