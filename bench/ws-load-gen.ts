/**
 * The load generator of bench/ws-load.ts: a separate process (spawned with an IPC channel) that
 * opens thousands of WebSocket sessions to the bridge, as msgpack miners, and reports what it saw.
 *
 * Sessions are raw TCP sockets doing the WebSocket handshake and framing themselves (raw-ws.ts),
 * not Bun's WebSocket client: one small object and one socket per session, and the receive time of
 * a frame is taken in the socket's data callback, before any decoding. Times are
 * `performance.timeOrigin + performance.now()` (milliseconds since the epoch, sub-millisecond
 * resolution), the clock the benchmark uses on the bridge's side too; the benchmark measures the
 * offset between the two processes' clocks and reports it.
 *
 * Commands (parent → here) and reports (here → parent) are the ToGen / FromGen messages below.
 */
import { Hasher, TAIL_COUNTER_OFFSET } from "../src/hash/index.ts";
import { NONCE_TAIL_OFFSET } from "../src/protocol/layout.ts";
import { decodeJsonServerMessage } from "../src/protocol/ws-json.ts";
import {
  decodeServerFrame,
  encodeClientFrame,
  MSGPACK_SUBPROTOCOL,
  type MsgpackJob,
} from "../src/protocol/ws-msgpack.ts";
import { buildInput } from "../web/work.ts";
import { clientFrame, RawWsSession } from "./raw-ws.ts";

export type ToGen =
  | { cmd: "clock" }
  | { cmd: "connect"; port: number; sessions: number; batch: number; json: boolean }
  | { cmd: "disconnect" }
  | { cmd: "arm"; timeoutMs: number }
  | { cmd: "prepare"; perSession: number }
  | { cmd: "shares"; seconds: number; inFlight: number }
  | { cmd: "exit" };

export interface Sizes {
  /** WebSocket payload bytes of one session's job frame (msgpack). */
  msgpackJob: number;
  /** The seed's JSON work message for the same job (the bridge's JSON protocol, unchanged from the seed). */
  jsonWork: number;
  /** A share frame (msgpack) and the seed's share message, which echoes the whole work object. */
  msgpackShare: number;
  seedShare: number;
  /** The JSON protocol's short share form (job id and nonce only) that the bridge also reads. */
  jsonShortShare: number;
}

export type FromGen =
  | { ev: "clock"; t: number }
  | { ev: "connected"; sessions: number; failed: number; ms: number; firstError: string | null }
  | { ev: "disconnected" }
  | { ev: "armed" }
  | {
      ev: "jobs";
      times: Float64Array;
      missing: number;
      wrong: number;
      jobId: string | null;
      sizes: Sizes | null;
      /** CPU time this process used from arming to the report (receiving is part of what is timed). */
      cpuMs: number;
    }
  | { ev: "prepared"; shares: number; ms: number }
  | {
      ev: "shares";
      startedAt: number;
      /** Results per 100 ms bucket from startedAt. */
      buckets: number[];
      accepted: number;
      rejected: Record<string, number>;
      sent: number;
      unanswered: number;
      cpuMs: number;
      exhausted: number;
    }
  | { ev: "error"; message: string };

const now = () => performance.timeOrigin + performance.now();
const send = (m: FromGen) => process.send!(m);
const BUCKET_MS = 100;
const encoder = new TextEncoder();

/** One miner session: its raw socket, and what each phase of the benchmark keeps about it. */
class Session extends RawWsSession {
  /** The latest job frame (msgpack) or work message (JSON). */
  job: Uint8Array | string | null = null;
  welcomed = false;
  /** Arm phase: receive time of the first frame after arming, and that frame. */
  armed = false;
  armedAt = 0;
  armedFrame: Uint8Array | string | null = null;
  /** Share phase. */
  shares: Uint8Array[] = [];
  nextShare = 0;
  inFlight = 0;
  #ready: (() => void) | null = null;
  #failed: ((e: Error) => void) | null = null;

  constructor(
    readonly id: number,
    readonly json: boolean,
  ) {
    super(now);
  }

  /** Resolves once the session has work (msgpack: welcome and a job; JSON: the first work). */
  start(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#ready = resolve;
      this.#failed = reject;
      this.connect(port, this.json ? "/ws?protocol=json" : "/ws", this.json ? null : MSGPACK_SUBPROTOCOL);
    });
  }

  protected onOpen(): void {
    if (!this.json)
      this.write(
        clientFrame(
          encodeClientFrame({
            type: "hello",
            worker: `RBenchLoadxxxxxxxxxxxxxxxxxxxxxxxx.s${this.id}`,
            agent: "ws-load",
          }),
        ),
      );
  }

  protected onFail(e: Error): void {
    this.#failed?.(e);
  }

  protected onMessage(t: number, m: Uint8Array | string): void {
    if (this.armed && this.armedAt === 0) {
      // The timed path: a timestamp and a reference, nothing else.
      this.armedAt = t;
      this.armedFrame = m;
      onArmedFrame();
      return;
    }
    if (typeof m === "string") {
      if (decodeJsonServerMessage(m).type === "work") {
        this.job = m;
        this.#becomeReady();
      }
      return;
    }
    const f = decodeServerFrame(m);
    if (f.type === "welcome") this.welcomed = true;
    else if (f.type === "job") {
      this.job = m;
      if (this.welcomed) this.#becomeReady();
    } else if (f.type === "result") onResult(this, f.verdict.accepted ? null : f.verdict.code);
    else if (f.type === "error") onError(`session ${this.id}: ${f.code} ${f.message}`);
  }

  #becomeReady(): void {
    const r = this.#ready;
    this.#ready = null;
    this.#failed = null;
    r?.();
  }
}

let sessions: Session[] = [];
let jsonSession: Session | null = null;
let firstError: string | null = null;

function onError(message: string): void {
  firstError ??= message;
}

/** Opens sessions until there are `n` (in batches of `batch` concurrent handshakes), and one JSON session if asked. */
async function connectAll(port: number, n: number, batch: number, json: boolean): Promise<void> {
  const started = now();
  let failed = 0;
  for (let i = sessions.length; i < n; i += batch) {
    const group = Array.from({ length: Math.min(batch, n - i) }, (_, k) => new Session(i + k, false));
    const results = await Promise.allSettled(group.map((s) => withTimeout(s.start(port), 30_000)));
    results.forEach((r, k) => {
      if (r.status === "fulfilled") sessions.push(group[k]!);
      else {
        failed++;
        onError(String(r.reason));
        group[k]!.terminate();
      }
    });
    if (failed > 0) break;
  }
  if (json && jsonSession === null && failed === 0) {
    const j = new Session(-1, true);
    await withTimeout(j.start(port), 30_000).then(
      () => (jsonSession = j),
      (e) => onError(`JSON session: ${String(e)}`),
    );
  }
  send({ ev: "connected", sessions: sessions.length, failed, ms: now() - started, firstError });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no welcome and job within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

// ------------------------------------------------------------------------------- job fan-out

let armedWaiting = 0;
let armTimer: ReturnType<typeof setTimeout> | null = null;
let armCpu = process.cpuUsage();

function arm(timeoutMs: number): void {
  const all = jsonSession === null ? sessions : [...sessions, jsonSession];
  for (const s of all) {
    s.armed = true;
    s.armedAt = 0;
    s.armedFrame = null;
  }
  armedWaiting = all.length;
  armCpu = process.cpuUsage();
  armTimer = setTimeout(reportJobs, timeoutMs);
  send({ ev: "armed" });
}

function onArmedFrame(): void {
  if (--armedWaiting === 0) setImmediate(reportJobs);
}

function reportJobs(): void {
  if (armTimer === null) return;
  clearTimeout(armTimer);
  armTimer = null;
  const cpu = process.cpuUsage(armCpu);
  const times = new Float64Array(sessions.length);
  let missing = 0;
  let wrong = 0;
  let jobId: string | null = null;
  let sizes: Sizes | null = null;
  sessions.forEach((s, i) => {
    s.armed = false;
    times[i] = s.armedAt;
    if (s.armedAt === 0 || s.armedFrame === null) return void missing++;
    // Checked after the clock stopped: every session got a clean job, the same one.
    const f = decodeServerFrame(s.armedFrame as Uint8Array);
    if (f.type !== "job" || !f.clean || (jobId !== null && f.jobId !== jobId)) wrong++;
    else {
      jobId = f.jobId;
      s.job = s.armedFrame;
      sizes ??= frameSizes(s.armedFrame as Uint8Array, f);
    }
  });
  if (jsonSession !== null) {
    jsonSession.armed = false;
    if (typeof jsonSession.armedFrame === "string") jsonSession.job = jsonSession.armedFrame;
  }
  send({ ev: "jobs", times, missing, wrong, jobId, sizes, cpuMs: (cpu.user + cpu.system) / 1000 });
}

function frameSizes(frame: Uint8Array, job: MsgpackJob): Sizes | null {
  const work = jsonSession?.armedFrame;
  if (typeof work !== "string") return null;
  const w = decodeJsonServerMessage(work);
  if (w.type !== "work") return null;
  const nonce = 0x7fff_fffe; // a typical 10-digit counter
  return {
    msgpackJob: frame.length,
    jsonWork: encoder.encode(work).length,
    msgpackShare: encodeClientFrame({
      type: "share",
      seq: 1234,
      jobId: job.jobId,
      nonce: new Uint8Array(15 - job.prefix.length),
    }).length,
    // The seed's miner echoed the work object as it received it, with the nonce beside it.
    seedShare: encoder.encode(
      JSON.stringify({ type: "share", work: (JSON.parse(work) as { work: unknown }).work, nonce }),
    ).length,
    jsonShortShare: encoder.encode(JSON.stringify({ type: "share", work: { job_id: job.jobId }, nonce }))
      .length,
  };
}

// ------------------------------------------------------------------------------------ shares

const hasher = Hasher.open("auto");

/** Real shares, found beforehand: per session, `perSession` counters that meet its target. */
function prepare(perSession: number): void {
  const started = now();
  let total = 0;
  let seq = 1;
  for (const s of sessions) {
    s.shares = [];
    s.nextShare = 0;
    if (!(s.job instanceof Uint8Array)) continue;
    const job = decodeServerFrame(s.job);
    if (job.type !== "job") continue;
    const input = buildInput(job); // as the browser miner builds it
    hasher.prepareJob(input);
    const tail = input.slice(NONCE_TAIL_OFFSET);
    const found = hasher.scan(tail, 0, 1_000_000, job.target, perSession);
    for (const counter of found) {
      new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, counter, true);
      s.shares.push(
        clientFrame(
          encodeClientFrame({
            type: "share",
            seq: seq++,
            jobId: job.jobId,
            nonce: tail.slice(job.prefix.length),
          }),
        ),
      );
    }
    total += s.shares.length;
  }
  send({ ev: "prepared", shares: total, ms: now() - started });
}

let run: {
  startedAt: number;
  endsAt: number;
  inFlight: number;
  buckets: number[];
  accepted: number;
  rejected: Record<string, number>;
  sent: number;
  exhausted: number;
  cpu: NodeJS.CpuUsage;
  done: boolean;
} | null = null;

function sendNext(s: Session): void {
  if (run === null || now() >= run.endsAt) return;
  if (s.nextShare >= s.shares.length) {
    if (s.inFlight === 0) run.exhausted++;
    return;
  }
  s.inFlight++;
  run.sent++;
  s.write(s.shares[s.nextShare++]!);
}

function onResult(s: Session, rejectCode: number | null): void {
  s.inFlight--;
  if (run === null) return;
  const b = Math.floor((now() - run.startedAt) / BUCKET_MS);
  run.buckets[b] = (run.buckets[b] ?? 0) + 1;
  if (rejectCode === null) run.accepted++;
  else run.rejected[rejectCode] = (run.rejected[rejectCode] ?? 0) + 1;
  sendNext(s);
}

async function shares(seconds: number, inFlight: number): Promise<void> {
  const startedAt = now();
  run = {
    startedAt,
    endsAt: startedAt + seconds * 1000,
    inFlight,
    buckets: [],
    accepted: 0,
    rejected: {},
    sent: 0,
    exhausted: 0,
    cpu: process.cpuUsage(),
    done: false,
  };
  for (let k = 0; k < inFlight; k++) for (const s of sessions) sendNext(s);
  // Until the end, then the answers to what is still in flight (bounded).
  while (now() < run.endsAt) await Bun.sleep(50);
  const deadline = now() + 10_000;
  while (sessions.some((s) => s.inFlight > 0) && now() < deadline) await Bun.sleep(20);
  const cpu = process.cpuUsage(run.cpu);
  const r = run;
  run = null;
  send({
    ev: "shares",
    startedAt: r.startedAt,
    buckets: Array.from({ length: r.buckets.length }, (_, i) => r.buckets[i] ?? 0),
    accepted: r.accepted,
    rejected: r.rejected,
    sent: r.sent,
    unanswered: sessions.reduce((a, s) => a + s.inFlight, 0),
    cpuMs: (cpu.user + cpu.system) / 1000,
    exhausted: r.exhausted,
  });
}

// ----------------------------------------------------------------------------------- commands

process.on("disconnect", () => process.exit(0));
process.on("message", (m: ToGen) => {
  void (async () => {
    switch (m.cmd) {
      case "clock":
        return send({ ev: "clock", t: now() });
      case "connect":
        return connectAll(m.port, m.sessions, m.batch, m.json);
      case "disconnect":
        for (const s of sessions) s.terminate();
        jsonSession?.terminate();
        sessions = [];
        jsonSession = null;
        return send({ ev: "disconnected" });
      case "arm":
        return arm(m.timeoutMs);
      case "prepare":
        return prepare(m.perSession);
      case "shares":
        return shares(m.seconds, m.inFlight);
      case "exit":
        for (const s of sessions) s.terminate();
        jsonSession?.terminate();
        hasher.close();
        process.exit(0);
    }
  })().catch((e: unknown) =>
    send({ ev: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
