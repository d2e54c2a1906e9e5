// fake-sink.ts — a transport stand-in for the bridge core's tests: records what the core sends to
// one miner session (work, verdicts, messages, pauses, the end).

import type { MinerSink, MinerWork, SessionEnd, ShareResult } from "../../src/bridge/contract.ts";

export class FakeSink implements MinerSink {
  readonly works: MinerWork[] = [];
  readonly results: ShareResult[] = [];
  readonly messages: string[] = [];
  readonly ends: SessionEnd[] = [];
  /** pause() reasons, in order. */
  readonly pauses: string[] = [];
  /** Runs inside result(), before it is recorded (to look at the ledger at that moment). */
  onResult: ((r: ShareResult) => void) | null = null;

  work(w: MinerWork): void {
    this.works.push(w);
  }
  result(r: ShareResult): void {
    this.onResult?.(r);
    this.results.push(r);
  }
  message(text: string): void {
    this.messages.push(text);
  }
  end(e: SessionEnd): void {
    this.ends.push(e);
  }
  pause(reason: string): void {
    this.pauses.push(reason);
  }

  get last(): MinerWork {
    const w = this.works.at(-1);
    if (w === undefined) throw new Error("no work yet");
    return w;
  }

  resultFor(token: unknown): ShareResult | undefined {
    return this.results.find((r) => r.token === token);
  }

  /** Each result as accepted(difficulty, forwarded) or its reject code. */
  verdicts(): (number | { difficulty: number; forwarded: boolean })[] {
    return this.results.map(({ outcome: o }) =>
      o.status === "accepted" ? { difficulty: o.difficulty, forwarded: o.forwarded } : o.reject.code,
    );
  }
}
