// faulty-store.ts — a real backend with faults switched on by the test: commits failing (a database
// that is down, without stopping one), or a commit that succeeds and then "loses its reply" (the
// case the batch ids and share keys exist for). Everything else goes to the real store.

import type { Batch, CommitResult, Store } from "../../src/ledger/store.ts";

export class FaultyStore implements Store {
  readonly kind: Store["kind"];
  /** Always through the front's asynchronous path, where the faults are handled. */
  readonly synchronous = false;
  /** Commits fail at once (nothing written). */
  down = false;
  /** Replies of this many more successful commits are lost (the commit did happen). */
  loseReplies = 0;
  /** Commits attempted (including failed ones). */
  attempts = 0;

  constructor(readonly inner: Store) {
    this.kind = inner.kind;
  }

  open() {
    return this.inner.open();
  }

  async commit(batch: Batch): Promise<CommitResult> {
    this.attempts++;
    if (this.down) throw new Error("the database is down (test fault)");
    const result = await this.inner.commit(batch);
    if (this.loseReplies > 0) {
      this.loseReplies--;
      throw new Error("the commit's reply was lost (test fault)");
    }
    return result;
  }

  /** Reads fail too while down (as a database that is gone). */
  #reading<T>(f: () => Promise<T>): Promise<T> {
    return this.down ? Promise.reject(new Error("the database is down (test fault)")) : f();
  }

  totals = (w?: string) => this.#reading(() => this.inner.totals(w));
  history: Store["history"] = (q) => this.inner.history(q);
  blocks: Store["blocks"] = (q) => this.inner.blocks(q);
  heartbeat: Store["heartbeat"] = (b) => this.#reading(() => this.inner.heartbeat(b));
  fleet: Store["fleet"] = (s) => this.#reading(() => this.inner.fleet(s));
  reset = () => this.inner.reset();
  close = () => this.inner.close();
}
