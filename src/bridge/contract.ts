/**
 * The contract between the bridge core (src/bridge/: jobs, nonce leases, verdicts, accounting) and
 * the downstream transports (src/downstream/: WebSocket and Stratum TCP). Transports are thin
 * adapters (STYLE.md §2): they decode their wire format into these calls and encode what the core
 * sends back; every decision — difficulty, lease, verdict, forwarding — is the core's.
 *
 * Data flows one way: pool → core → MinerSink.work (jobs); transport → MinerSession.submit →
 * core verdict → MinerSink.result (and, for pool-target shares, → the pool).
 */
import type { BridgeEvent } from "../events/schema.ts";
import type { FleetView } from "./fleet.ts";
import type { Job, ShareReject, SubmitBytes } from "../protocol/index.ts";
import type { UpstreamShare } from "../upstream/index.ts";
import type { LeaseBook } from "./leases.ts";
import type { Ledger } from "../ledger/index.ts";

/** How a miner reaches the bridge; selects its default difficulty and share interval. */
export type MinerTransport = "ws-msgpack" | "ws-json" | "stratum";

export interface MinerHello {
  transport: MinerTransport;
  /** Remote address (for per-IP caps and logs; never a metrics label). */
  remote: string;
  /** User agent / client name if the miner sent one. */
  agent?: string;
}

/** Work for one miner session: everything needed to build hash inputs and a submit. */
export interface MinerWork {
  /** The job id the miner submits against (the pool's id; opaque). */
  jobId: string;
  job: Job;
  /** This session's extranonce1: the pool's ‖ its lease bytes. It must start the 15-byte tail. */
  extranonce1: Uint8Array;
  /** 32 − extranonce1.length: what a Stratum miner's extranonce2 must be. */
  extranonce2Size: number;
  /** This session's share target (LE256(hash) ≤ target) and difficulty (diff1 / target). */
  target: bigint;
  difficulty: number;
  /** True when older jobs are void (new block, new lease, first job of the session). */
  clean: boolean;
}

/** A share as a transport received it; the core trusts nothing but these bytes. */
export type MinerShare =
  | {
      /** WebSocket miners: the job and the 15-byte tail they hashed (input bytes 1472..1486). */
      kind: "tail";
      jobId: string;
      tail: Uint8Array;
      /**
       * The job the transport announced under that id: a pool that restarts its job ids (v-nomp)
       * re-sends an id for new work, and a share hashed on the old job is stale, not the new one's.
       */
      announced?: Job;
    }
  /** Stratum miners: mining.submit in bytes, parsed where it arrived (protocol parseSubmit). */
  | SubmitBytes;

/** The verdict on one share, as the miner is told. */
export type ShareOutcome =
  | {
      status: "accepted";
      difficulty: number;
      /** also met the pool's target and was forwarded */ forwarded: boolean;
    }
  | { status: "rejected"; reject: ShareReject };

export interface ShareResult {
  /** The transport's own correlation token (Stratum request id, frame sequence). */
  token: unknown;
  outcome: ShareOutcome;
}

/** Why the core ends a session (the transport closes the connection after telling the miner). */
export type SessionEnd =
  | { reason: "bridge-closing" }
  | { reason: "too-many-invalid"; detail: string }
  | { reason: "rate-limited"; detail: string }
  | { reason: "unauthorized"; detail: string };

/** Core → transport, for one session. Calls are synchronous and must not throw. */
export interface MinerSink {
  work(w: MinerWork): void;
  result(r: ShareResult): void;
  /** The pool said something miners should see (client.show_message). */
  message?(text: string): void;
  /**
   * No work can be had now (the pool is gone and no backup serves): stop hashing, since every
   * share would be stale. The next work() resumes. Transports that cannot say it ignore it.
   */
  pause?(reason: string): void;
  end(e: SessionEnd): void;
}

/** Transport → core, for one session. */
export interface MinerSession {
  readonly id: number;
  /** Sets the worker for accounting: the miner's full ADDRESS[.WORKER], as the ledger keys it. */
  authorize(user: string, password: string): { ok: true } | { ok: false; reason: string };
  /** Checks, credits, maybe forwards; the result arrives through MinerSink.result. */
  submit(share: MinerShare, token: unknown): void;
  /** The transport's connection closed; frees the lease. Idempotent. */
  close(): void;
}

/** Counters and state for /stats and /metrics (no per-IP or per-worker labels). */
export interface BridgeStats {
  uptimeSeconds: number;
  /** Open miner sessions by transport. */
  sessions: Record<MinerTransport, number>;
  shares: {
    /** Verdicts on miner shares. */
    accepted: number;
    rejected: number;
    /** Rejections by code (20..25). */
    rejectedByCode: Record<string, number>;
    /**
     * Of the rejected: exactly those for dead work (21 for a job this session was given that is gone:
     * a new block, a reconnect, a lost pool, an old lease), not the miner's fault.
     */
    stale: number;
    /** Sum of credited share difficulty (what the ledger pays on). */
    creditedDifficulty: number;
  };
  /** Shares forwarded to the pool and what it answered. */
  pool: { submitted: number; accepted: number; rejected: number; stale: number; lost: number };
  /** Upstream warnings (e.g. a pool difficulty out of range) by error code. */
  upstreamErrors?: Record<string, number>;
  /** Estimated from credited difficulty over the last minutes, H/s. */
  hashrate: number;
  upstreams: {
    url: string;
    state: string;
    extranonce1: string | null;
    difficulty: number | null;
    sessions: number;
  }[];
  /** Shares that met the block target, and of those the blocks the pool (or its daemon) took. */
  blocks?: { found: number; accepted: number };
  /** The ledger's queue and commits (src/ledger counters()). */
  ledger?: {
    kind: string;
    queued: number;
    committed: number;
    duplicates: number;
    refused: number;
    retries: number;
    failing: boolean;
  };
  /** The Redis event stream, when configured. */
  events?: EventSinkCounters;
}

export interface BridgeCore {
  /**
   * A new miner connection. Throws a CodedError to refuse it (E_BRIDGE_FULL when no lease or
   * upstream session is free; the transport tells the miner and closes). Work arrives through
   * sink.work as soon as there is a job, possibly before this returns; while there is none,
   * sink.pause is called once (also possibly before this returns).
   */
  open(hello: MinerHello, sink: MinerSink): MinerSession;
  stats(): BridgeStats;
  /**
   * Whether a miner can get work now: some upstream session is subscribed with a current job.
   * /health answers 200 or 503 with the reason from this.
   */
  health(): BridgeHealth;
  /** Every bridge sharing the ledger's database, as last read (fleet.ts); absent in fakes. */
  fleet?(): FleetView;
  /** Open miner sessions, for the operator API (absent in fakes). */
  miners?(): MinerInfo[];
  /** Upstream sessions in detail, for the operator API (absent in fakes). */
  upstreamInfo?(): UpstreamInfo[];
  /** Invalid shares and the last minute's hashrate, for the operator API (absent in fakes). */
  tallies?(): { invalid: number; hashrate1m: number };
  /** The share ledger (history, payout reports); absent in fakes. */
  readonly ledger?: Ledger;
}

/** One open miner session as the operator API shows it (remote: only when asked and allowed). */
export interface MinerInfo {
  id: number;
  /** The authorised ADDRESS[.WORKER], or null before mining.authorize / hello. */
  worker: string | null;
  transport: MinerTransport;
  agent: string | null;
  remote: string;
  /** The upstream session (index) it is leased from. */
  upstream: number;
  difficulty: number;
  /** Unix ms. */
  connectedAt: number;
  accepted: number;
  rejected: number;
  invalid: number;
  stale: number;
  /** Sum of credited difficulty. */
  credited: number;
  lastShareAt: number | null;
  /** H/s over the last minute. */
  hashrate: number;
}

/** One upstream session in detail (url without credentials). */
export interface UpstreamInfo {
  index: number;
  url: string;
  state: string;
  difficulty: number | null;
  extranonce1: string | null;
  sessions: number;
  /** Round trip of the last forwarded share the pool answered, ms; null before one. */
  latencyMs: number | null;
  /** Times it connected to another pool than the one it last had work from. */
  failovers: number;
  /** Unix ms of the last job, or null. */
  lastJobAt: number | null;
  /** Forwarded shares not answered yet. */
  pending: number;
}

/**
 * The event stream as the core sees it (src/events/stream.ts is the Redis one): publish() never
 * blocks and never throws, whatever happens to the stream behind it.
 */
export interface EventSink {
  publish(e: BridgeEvent): void;
  /** For /stats: published, dropped, buffered, connected. */
  counters?(): EventSinkCounters;
}

export interface EventSinkCounters {
  published: number;
  dropped: number;
  buffered: number;
  connected: boolean;
}

/** No event stream configured. */
export const NO_EVENTS: EventSink = { publish() {} };

/**
 * ok: a miner can get work now. `degraded`: it can, but something is wrong that costs nothing yet
 * (the ledger's database is failing and shares wait in its queue).
 */
export type BridgeHealth = { ok: true; degraded?: string } | { ok: false; reason: string };

// Access tokens (bridge.token) and Origin checks are the transports' business: they refuse a
// connection before it ever reaches open().

// ---------------------------------------------------------------------------------------------
// Inside the core: a miner session (session.ts) and the upstream session it is leased from
// (upstream.ts) know each other only through these, so neither file imports the other.

/** A session's slice of the nonce space under one pool extranonce1 (leases.ts). */
export interface Lease {
  book: LeaseBook;
  id: number;
  epoch: number;
  /** Pool xn1 ‖ lease id. */
  extranonce1: Uint8Array;
  extranonce1Hex: string;
  idHex: string;
}

/** Carried through PoolClient.submit to the pool's answer (upstream.ts). */
export interface ForwardToken {
  worker: string;
  session: number;
  jobId: string;
  /** The miner's difficulty (what the ledger credited). */
  difficulty: number;
  /** The pool's difficulty the share was forwarded at (the upstream session adds it). */
  poolDifficulty?: number;
  /** Set when the share also met the block target: the block's hash (ledger and events record it). */
  blockHash?: string;
  /** Core clock when it was handed to the pool client (the upstream session adds it: latency). */
  sentAt?: number;
}

/** What a miner session needs from its upstream session. */
export interface SessionUpstream {
  /** A job of the current epoch, if still valid. */
  job(jobId: string): Job | undefined;
  /** Cache key of a job's hashing context. */
  jobKey(jobId: string): string;
  /** The pool's share difficulty, once known. */
  readonly difficulty: number | null;
  /** The newest job of the current epoch, if any. */
  readonly latest: Job | null;
  /** Send a pool-target share up (paced by the pool client); its answer goes to the ledger. */
  forward(share: UpstreamShare, token: ForwardToken): void;
  leave(session: LeasedSession): void;
}

/** What an upstream session drives on each miner session leased from it. */
export interface LeasedSession {
  readonly id: number;
  /** A new lease (new pool extranonce1), or none (pool gone): work restarts clean. */
  assign(lease: Lease | null): void;
  /** Work for a new job; `clean` when the pool voided older jobs. */
  deliver(job: Job, clean: boolean): void;
  /** The pool's client.show_message text. */
  notice(text: string): void;
  /** No work can be had now (pool lost, unusable, no job yet): pause the miner, once, until work. */
  idle(reason: string): void;
  end(e: SessionEnd): void;
}
