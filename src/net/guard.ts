// guard.ts — the per-connection limits every transport applies to what a peer sends, whatever its
// protocol: bad frames (an error reply each, a close past BAD_FRAME_LIMIT), a message rate (a
// token bucket; shares are also limited by the core, this stops ping and garbage floods), and the
// handshake and idle deadlines. Pure: the caller passes the time; one sweep timer for all
// connections asks timeout() instead of a timer per connection.

import type { CloseCode } from "../protocol/close-codes.ts";

/** Bad frames a connection may send before it is closed (a correct client sends none). */
export const BAD_FRAME_LIMIT = 5;
/** Seconds of the full message rate a peer may send at once. */
const BURST_SECONDS = 2;

export interface GuardLimits {
  handshakeMs: number;
  idleMs: number;
  /** Messages per second, sustained. */
  messageRate: number;
}

/**
 * Messages a session may send per second before the transport cuts it off. Generous on purpose:
 * a fast miner above the share limit is the core's to slow down (it raises that miner's
 * difficulty step by step, bridge/rate-limit.ts); this guard is only for floods no honest miner
 * sends, so it sits well above that ladder.
 */
export function messageRateFor(maxSharesPerSecond: number): number {
  return Math.max(100, 10 * maxSharesPerSecond);
}

export class InboundGuard {
  readonly #limits: GuardLimits;
  readonly #openedAt: number;
  #lastActivity: number;
  #handshakeDone = false;
  #badFrames = 0;
  #tokens: number;
  #refilledAt: number;

  constructor(limits: GuardLimits, now: number) {
    this.#limits = limits;
    this.#openedAt = this.#lastActivity = this.#refilledAt = now;
    this.#tokens = limits.messageRate * BURST_SECONDS;
  }

  get badFrames(): number {
    return this.#badFrames;
  }

  get handshakeDone(): boolean {
    return this.#handshakeDone;
  }

  /** A message arrived: false when it exceeds the rate (the caller closes with E_RATE_LIMITED). */
  message(now: number): boolean {
    this.#lastActivity = now;
    const rate = this.#limits.messageRate;
    this.#tokens = Math.min(
      rate * BURST_SECONDS,
      this.#tokens + (Math.max(0, now - this.#refilledAt) / 1000) * rate,
    );
    this.#refilledAt = Math.max(this.#refilledAt, now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** A frame could not be used: true when this one reaches the limit (the caller closes). */
  badFrame(): boolean {
    return ++this.#badFrames >= BAD_FRAME_LIMIT;
  }

  completeHandshake(): void {
    this.#handshakeDone = true;
  }

  timeout(now: number): CloseCode | null {
    if (!this.#handshakeDone && now - this.#openedAt > this.#limits.handshakeMs) return "E_HANDSHAKE_TIMEOUT";
    if (now - this.#lastActivity > this.#limits.idleMs) return "E_IDLE_TIMEOUT";
    return null;
  }
}
