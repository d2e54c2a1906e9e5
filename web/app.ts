// app.ts — the miner page (web/index.html): nothing runs until the user presses Start. Then it
// compiles the VerusHash WebAssembly module once (the SIMD build when the engine has SIMD), starts
// the chosen number of Web Workers (web/miners.ts), connects to the bridge (web/session.ts) and
// shows what happens. Stop terminates the workers at once and closes the connection.
//
// Query parameters: `token` is passed on to the WebSocket (bridge.token); `wasm=plain` forces the
// build without SIMD.

import { WASM_FILE, WASM_SIMD_FILE, wasmSimdSupported } from "../src/hash/wasm.ts";
import type { MsgpackJob, WireVerdict } from "../src/protocol/ws-msgpack.ts";
import { countOf, formatHashrate } from "../src/util/format.ts";
import { MinerPool, type MinerJob } from "./miners.ts";
import { BridgeSession, type SessionState } from "./session.ts";
import { shareNonce } from "./work.ts";

const WORKER_KEY = "vbridge.worker";
const THROTTLE_KEY = "vbridge.throttle";
/** Stratum reject code for a share of a job the pool no longer has (docs/protocol.md §3). */
const STALE_CODE = 21;
const LOG_LINES = 8;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  worker: $<HTMLInputElement>("worker"),
  threads: $<HTMLInputElement>("threads"),
  cores: $<HTMLElement>("cores"),
  throttle: $<HTMLInputElement>("throttle"),
  throttleOut: $<HTMLOutputElement>("throttle-out"),
  start: $<HTMLButtonElement>("start"),
  stop: $<HTMLButtonElement>("stop"),
  status: $<HTMLElement>("status"),
  pool: $<HTMLElement>("pool"),
  hashrate: $<HTMLElement>("hashrate"),
  accepted: $<HTMLElement>("accepted"),
  rejected: $<HTMLElement>("rejected"),
  stale: $<HTMLElement>("stale"),
  difficulty: $<HTMLElement>("difficulty"),
  impl: $<HTMLElement>("impl"),
  log: $<HTMLUListElement>("log"),
};

const params = new URLSearchParams(location.search);
const cores = Math.max(1, navigator.hardwareConcurrency || 1);
const counts = { accepted: 0, rejected: 0, stale: 0 };
let pool: MinerPool | null = null;
let module: Promise<WebAssembly.Module> | null = null;
let running = false;

function wsUrl(): string {
  const url = new URL("/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const token = params.get("token");
  if (token !== null) url.searchParams.set("token", token);
  return url.href;
}

const session = new BridgeSession(wsUrl(), {
  state: (state: SessionState, detail: string) => {
    const text = {
      stopped: "stopped",
      connecting: "connecting…",
      connected: "connected",
      waiting: "disconnected",
      idle: "waiting for pool",
    }[state];
    setText(ui.status, detail !== "" && state === "waiting" ? `${text}: ${detail}` : text, state);
    if (state === "waiting" || state === "idle") log(detail);
  },
  welcome: (id: number, worker: string) => {
    pool?.clearJobs(); // a new session has a new prefix: old jobs are worthless
    log(`session ${id} as ${worker}`);
  },
  lease: () => {
    pool?.pause(); // work of the old prefix is worthless; the clean job for the new one follows
    log("new nonce lease from the bridge");
  },
  idle: () => {
    pool?.pause(); // no visitor CPU on work no pool will take
    refresh();
  },
  job: (job: MsgpackJob) => {
    setText(ui.difficulty, formatNumber(job.difficulty), String(job.difficulty));
    pool?.setJob(job);
  },
  result: (v: WireVerdict) => {
    if (v.accepted) counts.accepted++;
    else if (v.code === STALE_CODE) counts.stale++;
    else {
      counts.rejected++;
      log(`share rejected: ${v.message} (${v.code})`);
    }
    showCounts();
  },
  message: (text: string) => log(text),
});

function compileModule(): Promise<WebAssembly.Module> {
  const simd = params.get("wasm") !== "plain" && wasmSimdSupported();
  return WebAssembly.compileStreaming(fetch(simd ? WASM_SIMD_FILE : WASM_FILE));
}

async function start(): Promise<void> {
  if (running) return;
  running = true;
  const worker = ui.worker.value.trim();
  localStorage.setItem(WORKER_KEY, worker);
  setRunning(true);
  try {
    module ??= compileModule();
    const m = await module;
    if (!running) return; // stopped while compiling
    pool = new MinerPool(m, "miner-worker.js", {
      share: (job: MinerJob, tail: Uint8Array) => {
        if (!session.sendShare(job.job.jobId, shareNonce(tail, job.job.prefix.length)))
          log("a share was found while disconnected and is lost");
      },
      error: (message: string) => log(message),
      ready: (impl: string) =>
        setText(ui.impl, impl === "wasm-simd" ? "WebAssembly SIMD" : "WebAssembly", impl),
    });
    pool.start(threads(), throttle());
    session.start(worker === "" ? "anonymous" : worker);
  } catch (e) {
    module = null;
    log(`cannot start: ${e instanceof Error ? e.message : String(e)}`);
    stop();
  }
}

function stop(): void {
  running = false;
  pool?.stop();
  pool = null;
  session.stop();
  setRunning(false);
  refresh();
}

function setRunning(on: boolean): void {
  ui.start.disabled = on;
  ui.stop.disabled = !on;
  ui.worker.disabled = on;
  document.body.dataset.state = on ? "running" : "stopped";
}

function threads(): number {
  const n = Math.round(Number(ui.threads.value));
  return Number.isFinite(n) ? Math.min(cores, Math.max(1, n)) : 1;
}

function throttle(): number {
  const t = Math.round(Number(ui.throttle.value));
  return Number.isFinite(t) ? Math.min(100, Math.max(10, t)) : 100;
}

function refresh(): void {
  const rate = pool?.hashrate() ?? 0;
  const n = pool?.threads ?? 0;
  setText(
    ui.hashrate,
    n > 1 ? `${formatHashrate(rate)} (${n} threads, ${formatHashrate(rate / n)} each)` : formatHashrate(rate),
    String(Math.round(rate)),
  );
}

function showCounts(): void {
  for (const k of ["accepted", "rejected", "stale"] as const)
    setText(ui[k], String(counts[k]), String(counts[k]));
}

async function showPool(): Promise<void> {
  try {
    const r = await fetch("health", { cache: "no-store" });
    const h = (await r.json()) as { ok: boolean; upstreams: { state: string; connected: boolean }[] };
    const up = h.upstreams.filter((u) => u.connected).length;
    setText(
      ui.pool,
      h.ok ? `connected (${up} of ${countOf(h.upstreams.length, "upstream")})` : "no pool connection",
      h.ok ? "ok" : "down",
    );
  } catch {
    setText(ui.pool, "unknown (bridge not reachable)", "unknown");
  }
}

function setText(el: HTMLElement, text: string, value: string): void {
  el.textContent = text;
  el.dataset.value = value;
}

function log(text: string): void {
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  ui.log.prepend(li);
  while (ui.log.children.length > LOG_LINES) ui.log.lastElementChild!.remove();
}

function formatNumber(x: number): string {
  return x >= 0.01 ? String(Number(x.toPrecision(6))) : x.toExponential(2);
}

// ------------------------------------------------------------------------------------ wiring
ui.worker.value = localStorage.getItem(WORKER_KEY) ?? "";
ui.threads.max = String(cores);
ui.threads.value = String(Math.max(1, Math.floor(cores / 2)));
ui.cores.textContent = String(cores);
ui.throttle.value = localStorage.getItem(THROTTLE_KEY) ?? "100";
ui.throttleOut.value = `${throttle()} %`;
ui.start.addEventListener("click", () => void start());
ui.stop.addEventListener("click", stop);
ui.threads.addEventListener("change", () => {
  ui.threads.value = String(threads());
  pool?.setThreads(threads());
});
ui.throttle.addEventListener("input", () => {
  ui.throttleOut.value = `${throttle()} %`;
  localStorage.setItem(THROTTLE_KEY, String(throttle()));
  pool?.setThrottle(throttle());
});
setRunning(false);
showCounts();
refresh();
void showPool();
setInterval(refresh, 500);
setInterval(() => {
  if (running) void showPool();
}, 10_000);
