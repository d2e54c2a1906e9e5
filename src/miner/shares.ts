/**
 * From a worker's candidate to a counted result: re-verify on the main thread with the full
 * 1487-byte input rebuilt from the job (Job.hashInput + the miner-rule hash), submit through the
 * pool client (its in-flight limit and stale checks), count and log what the pool says.
 *
 * A candidate that does not verify is a bug somewhere below (scan loop, tail layout, shared
 * memory): it is counted as invalid and logged loudly, never submitted — v-nomp bans at ≥ 50 %
 * invalid shares (verus-stratum.md §5). A share whose job died is stale, not lost: "21 job not
 * found" (the share crossed a new block on the wire) counts as stale too, as it is no miner fault.
 * A share the pool client never sent (its job or extranonce1 died first, or it was dropped) is
 * counted unsent, never submitted.
 */
import { HASH_BYTES, NONCE_TAIL_BYTES, type Hasher } from "../hash/index.ts";
import { bytesToHex, meetsTargetLE, shareDifficulty } from "../protocol/index.ts";
import type { UpstreamEvent, UpstreamShare } from "../upstream/index.ts";
import type { Logger } from "../util/log.ts";
import { formatResult, type Paint, type ResultFacts } from "./report.ts";
import type { MinerStats } from "./stats.ts";
import type { Work } from "./work.ts";

/** Travels with each submit and comes back with its result. */
export interface ShareToken {
  n: number;
  /** Epoch ms when it was handed to the client. */
  at: number;
  shareDifficulty: number;
}

/** What tests and benchmarks may watch (MinerIO.observe). */
export interface SubmitEvent {
  type: "submit";
  seq: number;
  worker: number;
  epoch: number;
  jobId: string;
  extranonce1: string;
  extranonce2: string;
  tail: string;
  at: number;
}

export interface ShareDeskDeps {
  hasher: Hasher;
  stats: MinerStats;
  submit(share: UpstreamShare, token: ShareToken): void;
  log: Logger;
  paint: Paint;
  now(): number;
  observe(e: SubmitEvent): void;
}

export class ShareDesk {
  readonly #d: ShareDeskDeps;
  readonly #hash = new Uint8Array(HASH_BYTES);
  #n = 0;

  constructor(deps: ShareDeskDeps) {
    this.#d = deps;
  }

  /** Tails a worker found for work `seq`; `work` is undefined when it fell out of the book. */
  found(seq: number, worker: number, work: Work | undefined, tails: Uint8Array): void {
    const d = this.#d;
    for (let at = 0; at + NONCE_TAIL_BYTES <= tails.length; at += NONCE_TAIL_BYTES) {
      const tail = tails.subarray(at, at + NONCE_TAIL_BYTES);
      if (work === undefined) {
        d.stats.offered();
        d.stats.result("stale", false);
        const facts: ResultFacts = {
          kind: "stale",
          unsent: true,
          why: `work ${seq} is long gone`,
          jobId: "?",
        };
        d.log.info(formatResult(facts, d.paint));
        continue;
      }
      if (!this.#verify(work, tail, worker)) continue;
      const { worker: _, ...p } = work.job.submitParams("", work.extranonce2, tail);
      const share: UpstreamShare = { epoch: work.epoch, ...p };
      const token: ShareToken = { n: ++this.#n, at: d.now(), shareDifficulty: shareDifficulty(this.#hash) };
      d.stats.offered();
      d.observe({
        type: "submit",
        seq,
        worker,
        epoch: work.epoch,
        jobId: work.job.id,
        extranonce1: work.extranonce1Hex,
        extranonce2: p.extranonce2,
        tail: bytesToHex(tail),
        at: token.at,
      });
      d.submit(share, token);
    }
  }

  /** The pool client's verdict on one share. */
  result(e: Extract<UpstreamEvent<ShareToken>, { type: "result" }>): void {
    const d = this.#d;
    const { outcome: o, jobId } = e;
    let facts: ResultFacts;
    let sent = true;
    if (o.status === "accepted") {
      const accepted = d.stats.count("accepted") + 1;
      const total = accepted + d.stats.count("rejected");
      const { shareDifficulty, at } = e.token;
      facts = { kind: "accepted", accepted, total, shareDifficulty, jobId, ms: d.now() - at };
    } else if (o.status === "rejected") {
      facts =
        o.reject.reason === "job-not-found"
          ? { kind: "stale", why: `${o.reject.code} ${o.reject.message}`, jobId }
          : { kind: "rejected", reject: o.reject, jobId };
    } else if (o.status === "timeout") {
      facts = { kind: "lost", why: "no answer in time", jobId };
    } else if (o.status === "stale") {
      sent = false; // the client's verdict before sending: the job or extranonce1 died first
      facts = { kind: "stale", unsent: true, why: o.reason, jobId };
    } else {
      sent = o.status !== "dropped";
      facts = { kind: o.status, why: o.reason, jobId };
    }
    d.stats.result(facts.kind, sent);
    d.log.info(formatResult(facts, d.paint));
  }

  /** The full input hashed again here; the tail must also carry this work's extranonce1 first. */
  #verify(work: Work, tail: Uint8Array, worker: number): boolean {
    const d = this.#d;
    const xn1 = work.extranonce1;
    let ok = tail.length === NONCE_TAIL_BYTES && xn1.every((b, i) => tail[i] === b);
    if (ok) {
      d.hasher.hashHeaderInto(work.job.hashInput(xn1, work.extranonce2, tail), this.#hash);
      ok = meetsTargetLE(this.#hash, work.targetLE);
    }
    if (!ok) {
      d.stats.invalid();
      d.log.error(
        d.paint.red(
          `BUG: worker ${worker} found tail ${bytesToHex(tail)} for job ${work.job.id}, ` +
            `which does not verify (hash ${bytesToHex(this.#hash)}): not submitted`,
        ),
      );
    }
    return ok;
  }
}
